// Package altchasolve solves ALTCHA challenges natively, as a bot would rather than in a
// browser: the tests use it to pass the "altcha" kind, and its benchmark measures what
// one proof of work costs such a bot.
package altchasolve

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// Challenge is the JSON that GET /altcha_challenges answers.
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int    `json:"maxNumber"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Number finds the secret number of c by trying 0 to c.MaxNumber in turn; ok is false
// when none hashes to c.Challenge.
func Number(c Challenge) (n int, ok bool) {
	want, err := hex.DecodeString(c.Challenge)
	if err != nil || len(want) != sha256.Size {
		return 0, false
	}
	buf := make([]byte, 0, len(c.Salt)+20)
	buf = append(buf, c.Salt...)
	for n = 0; n <= c.MaxNumber; n++ {
		sum := sha256.Sum256(strconv.AppendInt(buf, int64(n), 10))
		if string(sum[:]) == string(want) {
			return n, true
		}
	}
	return 0, false
}

// Payload is the widget's answer for c and number: base64 of its JSON.
func Payload(c Challenge, number int) string {
	b, _ := json.Marshal(map[string]any{"algorithm": c.Algorithm, "challenge": c.Challenge, "number": number,
		"salt": c.Salt, "signature": c.Signature, "took": 1})
	return base64.StdEncoding.EncodeToString(b)
}

// Solve parses a challenge's JSON and returns the payload that solves it.
func Solve(challengeJSON []byte) (string, error) {
	var c Challenge
	if err := json.Unmarshal(challengeJSON, &c); err != nil {
		return "", err
	}
	n, ok := Number(c)
	if !ok {
		return "", errors.New("altchasolve: no number solves the challenge")
	}
	return Payload(c, n), nil
}

// SolveMany fetches n challenges with challenge and solves them on every core, as a bot
// with the proofs ready beforehand would: the query strings ("altcha=<payload>") of a
// send, in order. It stops at the first error.
func SolveMany(n int, challenge func() ([]byte, error)) ([]string, error) {
	proofs := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				body, err := challenge()
				if err == nil {
					var payload string
					if payload, err = Solve(body); err == nil {
						proofs[i] = "altcha=" + url.QueryEscape(payload)
						continue
					}
				}
				errs <- err
				return
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return proofs, nil
}
