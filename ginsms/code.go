package ginsms

import (
	"crypto/rand"
	"fmt"
)

// newCode returns n decimal digits from crypto/rand, each uniform (rejection sampling:
// bytes 250..255 are drawn again, so no digit is more likely), leading zeros allowed.
func newCode(n int) (string, error) {
	var out [16]byte
	var buf [32]byte
	got := 0
	for got < n {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("ginsms: random source: %w", err)
		}
		for _, b := range buf {
			if b < 250 && got < n {
				out[got] = '0' + b%10
				got++
			}
		}
	}
	return string(out[:n]), nil
}

// newMessageID returns the id of one send's message (sender.Message.ID): random, so it
// names this message alone and a receiver can drop a replayed copy of its request. A
// code is never sent twice, and the id is not stored.
func newMessageID() string { return rand.Text() }
