package captcha_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/altchasolve"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/middleware"
)

const testHMACKey = "test-hmac-key-of-at-least-32-bytes!!"

// testAltcha returns the altcha kind on the test Redis with a small max_number, so that
// a test solves a challenge in a few milliseconds.
func testAltcha(t *testing.T, edit func(*captcha.Config)) (*captcha.Altcha, *captcha.Store) {
	t.Helper()
	s, _, _ := testStore(t, func(c *captcha.Config) {
		c.Kind = captcha.KindAltcha
		c.Altcha.HMACKey = testHMACKey
		c.Altcha.MaxNumber = 5000
		if edit != nil {
			edit(c)
		}
	})
	a, err := captcha.NewAltcha(s)
	if err != nil {
		t.Fatal(err)
	}
	return a, s
}

// fetchChallenge asks a's route for a challenge, as the widget does.
func fetchChallenge(t *testing.T, a *captcha.Altcha) ([]byte, altchasolve.Challenge) {
	t.Helper()
	r := gin.New()
	r.GET("/altcha_challenges", a.Challenge)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/altcha_challenges", nil))
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("challenge answer: %d %v", w.Code, w.Header())
	}
	var c altchasolve.Challenge
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	return w.Body.Bytes(), c
}

func sign(challenge string) string {
	m := hmac.New(sha256.New, []byte(testHMACKey))
	m.Write([]byte(challenge))
	return hex.EncodeToString(m.Sum(nil))
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestAltchaChallenge(t *testing.T) {
	a, _ := testAltcha(t, nil)
	raw, c := fetchChallenge(t, a)
	for _, field := range []string{`"algorithm":"SHA-256"`, `"maxNumber":5000`, `"challenge":"`, `"salt":"`, `"signature":"`} {
		if !strings.Contains(string(raw), field) {
			t.Errorf("challenge %s lacks %s", raw, field)
		}
	}
	m := regexp.MustCompile(`^[0-9a-f]{24}\?expires=([0-9]+)&$`).FindStringSubmatch(c.Salt)
	if m == nil {
		t.Fatalf("salt %q: want 24 hex digits, ?expires=<unix>, and the & delimiter", c.Salt)
	}
	expires, _ := strconv.ParseInt(m[1], 10, 64)
	if left := time.Until(time.Unix(expires, 0)); left < 290*time.Second || left > 301*time.Second {
		t.Errorf("challenge expires in %s, want captcha.ttl (300s)", left)
	}
	if c.Signature != sign(c.Challenge) {
		t.Error("signature is not the HMAC-SHA256 of the challenge under hmac_key")
	}
	n, ok := altchasolve.Number(c)
	if !ok || hash(c.Salt+strconv.Itoa(n)) != c.Challenge {
		t.Fatal("no number from 0 to maxNumber solves the challenge")
	}
	// Challenges are drawn afresh: two never share a salt or a challenge.
	_, c2 := fetchChallenge(t, a)
	if c2.Salt == c.Salt || c2.Challenge == c.Challenge {
		t.Error("two challenges repeat a salt or a challenge")
	}
}

// Every way a payload can be wrong, each refused before Redis is asked (except a
// replay), and expiry told apart from forgery.
func TestAltchaCheck(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	a, _ := testAltcha(t, nil)
	a.SetNow(func() time.Time { return now })
	fresh := func() (altchasolve.Challenge, int) {
		_, c := fetchChallenge(t, a)
		n, ok := altchasolve.Number(c)
		if !ok {
			t.Fatal("unsolvable")
		}
		return c, n
	}
	encode := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.StdEncoding.EncodeToString(b)
	}
	// resign is a challenge an attacker built around a salt of his choice, signed as if by
	// the server: only the salt's form and the hash can catch it.
	resign := func(salt string, n int) string {
		ch := hash(salt + strconv.Itoa(n))
		return encode(map[string]any{"algorithm": "SHA-256", "challenge": ch, "number": n, "salt": salt, "signature": sign(ch)})
	}
	tests := []struct {
		name    string
		payload func() string
		later   time.Duration
		want    error
	}{
		{"solved", func() string { c, n := fresh(); return altchasolve.Payload(c, n) }, 0, nil},
		{"solved, just before expiry", func() string { c, n := fresh(); return altchasolve.Payload(c, n) }, 299 * time.Second, nil},
		{"expired", func() string { c, n := fresh(); return altchasolve.Payload(c, n) }, 301 * time.Second, middleware.ErrProofExpired},
		{"wrong number", func() string { c, n := fresh(); return altchasolve.Payload(c, n+1) }, 0, middleware.ErrProofRefused},
		{"signature of another key", func() string {
			c, n := fresh()
			m := hmac.New(sha256.New, []byte("another-key-another-key-another-key"))
			m.Write([]byte(c.Challenge))
			c.Signature = hex.EncodeToString(m.Sum(nil))
			return altchasolve.Payload(c, n)
		}, 0, middleware.ErrProofRefused},
		{"no signature", func() string { c, n := fresh(); c.Signature = ""; return altchasolve.Payload(c, n) }, 0, middleware.ErrProofRefused},
		{"other algorithm", func() string { c, n := fresh(); c.Algorithm = "SHA-1"; return altchasolve.Payload(c, n) }, 0, middleware.ErrProofRefused},
		{"expiry extended in the salt", func() string {
			c, n := fresh()
			c.Salt = strings.Replace(c.Salt, "?expires=", "?expires=9", 1)
			return altchasolve.Payload(c, n)
		}, 301 * time.Second, middleware.ErrProofRefused},
		// CVE-2025-68113: without the delimiter, "…?expires=1" + "23" and "…?expires=12" +
		// "3" hash alike, so digits of the number could lengthen the expiry.
		{"salt without the delimiter", func() string {
			return resign("0123456789abcdef01234567?expires="+strconv.FormatInt(now.Unix()+60, 10), 7)
		}, 0, middleware.ErrProofRefused},
		{"digits moved from the number into the expiry", func() string {
			c, n := fresh()
			s := strconv.Itoa(n + 10) // two digits at least
			c.Salt = strings.TrimSuffix(c.Salt, "&") + s[:1] + "&"
			return altchasolve.Payload(c, n)
		}, 0, middleware.ErrProofRefused},
		{"two expiries", func() string {
			return resign("0123456789abcdef01234567?expires=1&expires="+strconv.FormatInt(now.Unix()+60, 10)+"&", 7)
		}, 0, middleware.ErrProofRefused},
		{"negative number", func() string {
			c, _ := fresh()
			return encode(map[string]any{"algorithm": "SHA-256", "challenge": c.Challenge, "number": -1, "salt": c.Salt, "signature": c.Signature})
		}, 0, middleware.ErrProofRefused},
		{"number as a float", func() string {
			c, n := fresh()
			return encode(map[string]any{"algorithm": "SHA-256", "challenge": c.Challenge, "number": float64(n) + 0.5, "salt": c.Salt, "signature": c.Signature})
		}, 0, middleware.ErrProofRefused},
		{"not base64", func() string { return "%%%" }, 0, middleware.ErrProofRefused},
		{"not JSON", func() string { return base64.StdEncoding.EncodeToString([]byte("nope")) }, 0, middleware.ErrProofRefused},
		{"the widget's test payload", func() string { return encode(map[string]any{"challenge": nil, "solution": nil, "test": true}) }, 0, middleware.ErrProofRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := tt.payload()
			a.SetNow(func() time.Time { return now.Add(tt.later) })
			defer a.SetNow(func() time.Time { return now })
			err := a.Check(ctx, payload, "192.0.2.1")
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
			if err == nil { // spent: a second use is refused
				if err := a.Check(ctx, payload, "192.0.2.1"); !errors.Is(err, middleware.ErrProofRefused) {
					t.Fatalf("replay: Check = %v, want refused", err)
				}
			}
		})
	}
}

// One solved challenge, 50 concurrent requests on the real Redis: exactly one passes.
func TestAltchaSpentOnce(t *testing.T) {
	a, _ := testAltcha(t, nil)
	raw, _ := fetchChallenge(t, a)
	payload, err := altchasolve.Solve(raw)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- a.Check(context.Background(), payload, "")
		}()
	}
	wg.Wait()
	close(errs)
	passed := 0
	for err := range errs {
		switch {
		case err == nil:
			passed++
		case !errors.Is(err, middleware.ErrProofRefused):
			t.Errorf("Check = %v, want nil or refused", err)
		}
	}
	if passed != 1 {
		t.Fatalf("%d of %d concurrent uses passed, want 1", passed, n)
	}
}

// The spent mark lives as long as the challenge could be used, no longer: one round trip.
func TestAltchaSpentKey(t *testing.T) {
	ctx := context.Background()
	s, rdb, prefix := testStore(t, func(c *captcha.Config) {
		c.Kind, c.Altcha.HMACKey, c.Altcha.MaxNumber = captcha.KindAltcha, testHMACKey, 1000
	})
	a, err := captcha.NewAltcha(s)
	if err != nil {
		t.Fatal(err)
	}
	raw, c := fetchChallenge(t, a)
	payload, _ := altchasolve.Solve(raw)
	counter := &redistest.CommandCounter{}
	rdb.AddHook(counter)
	if err := a.Check(ctx, payload, ""); err != nil {
		t.Fatal(err)
	}
	if rt, cmds := counter.Counts(); rt != 1 || cmds != 1 {
		t.Errorf("a check took %d round trips, %d commands; want 1, 1", rt, cmds)
	}
	ttl := rdb.PTTL(ctx, prefix+"img_spent_"+c.Challenge).Val()
	if ttl < 290*time.Second || ttl > 300*time.Second {
		t.Errorf("spent mark TTL %s, want the challenge's remaining life (~300s)", ttl)
	}
	// A forged payload never reaches Redis.
	counter.Reset()
	_ = a.Check(ctx, altchasolve.Payload(c, 1_000_000), "")
	if rt, _ := counter.Counts(); rt != 0 {
		t.Errorf("a forged payload cost %d round trips, want 0", rt)
	}
}

func TestAltchaDeadRedis(t *testing.T) {
	s, err := captcha.NewStore(deadClient(t), func() captcha.Config {
		c := captcha.DefaultConfig()
		c.Kind, c.Altcha.HMACKey, c.Altcha.MaxNumber = captcha.KindAltcha, testHMACKey, 1000
		return c
	}())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := captcha.NewAltcha(s)
	raw, _ := fetchChallenge(t, a)
	payload, _ := altchasolve.Solve(raw)
	err = a.Check(context.Background(), payload, "")
	if err == nil || errors.Is(err, middleware.ErrProofRefused) || errors.Is(err, middleware.ErrCheckUnavailable) {
		t.Fatalf("Check with Redis down = %v, want a storage error (5002)", err)
	}
}
