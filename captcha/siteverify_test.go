package captcha_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/middleware"
)

// stubProvider is a siteverify API answering what the test sets, recording each form.
type stubProvider struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	body   string
	forms  []url.Values
	calls  atomic.Int32
	hold   chan struct{} // when not nil, each request waits for it to close
}

func newStubProvider(t *testing.T) *stubProvider {
	p := &stubProvider{status: http.StatusOK, body: `{"success":true}`}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		_ = r.ParseForm()
		p.mu.Lock()
		p.forms = append(p.forms, r.PostForm)
		status, body, hold := p.status, p.body, p.hold
		p.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *stubProvider) answer(status int, body string) {
	p.mu.Lock()
	p.status, p.body = status, body
	p.mu.Unlock()
}

func (p *stubProvider) lastForm() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.forms) == 0 {
		return nil
	}
	return p.forms[len(p.forms)-1]
}

// testVerifier returns kind's SiteVerifier on the test Redis, asking p.
func testVerifier(t *testing.T, kind string, p *stubProvider, edit func(*captcha.ProviderConfig)) *captcha.SiteVerifier {
	t.Helper()
	s, _, _ := testStore(t, func(c *captcha.Config) {
		c.Kind = kind
		pc := captcha.ProviderConfig{Secret: "test-secret", SiteKey: "test-site-key", VerifyURL: p.URL, Timeout: 5 * time.Second}
		if edit != nil {
			edit(&pc)
		}
		switch kind {
		case captcha.KindTurnstile:
			c.Turnstile = pc
		case captcha.KindHCaptcha:
			c.HCaptcha = pc
		case captcha.KindRecaptcha:
			c.Recaptcha = pc
		}
	})
	v, err := captcha.NewSiteVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var tokenN atomic.Int64

// token is a fresh token: each Check spends the one it is given.
func token() string { return fmt.Sprintf("XXXX.DUMMY.TOKEN.%d", tokenN.Add(1)) }

// The providers' documented answers, and what each means for a send.
func TestSiteVerifyAnswers(t *testing.T) {
	refused, down := middleware.ErrProofRefused, middleware.ErrCheckUnavailable
	tests := []struct {
		name   string
		kinds  []string
		edit   func(*captcha.ProviderConfig)
		status int
		body   string
		want   error
	}{
		{"success", nil, nil, 200, `{"success":true,"challenge_ts":"2026-12-03T13:00:00Z","hostname":"example.com","error-codes":[]}`, nil},
		{"invalid token", nil, nil, 200, `{"success":false,"error-codes":["invalid-input-response"]}`, refused},
		{"expired or duplicate", nil, nil, 200, `{"success":false,"error-codes":["timeout-or-duplicate"]}`, refused},
		{"no reason given", nil, nil, 200, `{"success":false}`, refused},
		{"hostname matches", nil, func(c *captcha.ProviderConfig) { c.Hostname = "example.com" }, 200, `{"success":true,"hostname":"Example.com"}`, nil},
		{"hostname differs", nil, func(c *captcha.ProviderConfig) { c.Hostname = "example.com" }, 200, `{"success":true,"hostname":"evil.example"}`, refused},
		{"hostname missing", nil, func(c *captcha.ProviderConfig) { c.Hostname = "example.com" }, 200, `{"success":true}`, refused},
		{"action matches", []string{captcha.KindRecaptcha, captcha.KindTurnstile}, func(c *captcha.ProviderConfig) { c.Action = "sms" }, 200, `{"success":true,"action":"sms","score":0.9}`, nil},
		{"action differs", []string{captcha.KindRecaptcha, captcha.KindTurnstile}, func(c *captcha.ProviderConfig) { c.Action = "sms" }, 200, `{"success":true,"action":"login","score":0.9}`, refused},
		{"score over min_score", []string{captcha.KindRecaptcha}, func(c *captcha.ProviderConfig) { c.MinScore = 0.5 }, 200, `{"success":true,"score":0.7}`, nil},
		{"score at min_score", []string{captcha.KindRecaptcha}, func(c *captcha.ProviderConfig) { c.MinScore = 0.5 }, 200, `{"success":true,"score":0.5}`, nil},
		{"score under min_score", []string{captcha.KindRecaptcha}, func(c *captcha.ProviderConfig) { c.MinScore = 0.5 }, 200, `{"success":true,"score":0.3}`, refused},
		{"no score with min_score (a v2 token)", []string{captcha.KindRecaptcha}, func(c *captcha.ProviderConfig) { c.MinScore = 0.5 }, 200, `{"success":true}`, refused},
		{"secret wrong: fail closed", nil, nil, 200, `{"success":false,"error-codes":["invalid-input-secret"]}`, down},
		{"provider's internal error", nil, nil, 200, `{"success":false,"error-codes":["internal-error"]}`, down},
		{"HTTP 500", nil, nil, 500, `{"success":true}`, down},
		{"HTTP 503", nil, nil, 503, `busy`, down},
		{"HTTP 429", nil, nil, 429, `{"success":true}`, down},
		{"not JSON", nil, nil, 200, `<html>maintenance</html>`, down},
		{"JSON without success", nil, nil, 200, `{"ok":true}`, down},
		{"success not a boolean", nil, nil, 200, `{"success":"true"}`, down},
		{"empty body", nil, nil, 200, ``, down},
	}
	for _, tt := range tests {
		kinds := tt.kinds
		if kinds == nil {
			kinds = []string{captcha.KindTurnstile, captcha.KindHCaptcha, captcha.KindRecaptcha}
		}
		for _, kind := range kinds {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				p := newStubProvider(t)
				p.answer(tt.status, tt.body)
				v := testVerifier(t, kind, p, tt.edit)
				err := v.Check(context.Background(), token(), "192.0.2.1")
				if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
					t.Fatalf("Check = %v, want %v", err, tt.want)
				}
				if err != nil && strings.Contains(err.Error(), "test-secret") {
					t.Fatalf("the error shows the secret: %v", err)
				}
			})
		}
	}
}

// The form each provider documents: secret, response, remoteip; hCaptcha's sitekey,
// Turnstile's idempotency_key.
func TestSiteVerifyForm(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, kind := range []string{captcha.KindTurnstile, captcha.KindHCaptcha, captcha.KindRecaptcha} {
		t.Run(kind, func(t *testing.T) {
			p := newStubProvider(t)
			v := testVerifier(t, kind, p, nil)
			tok := token()
			if err := v.Check(context.Background(), tok, "198.51.100.7"); err != nil {
				t.Fatal(err)
			}
			f := p.lastForm()
			if f.Get("secret") != "test-secret" || f.Get("response") != tok || f.Get("remoteip") != "198.51.100.7" {
				t.Errorf("form %v: want secret, response and remoteip", f)
			}
			if got := f.Get("sitekey"); (kind == captcha.KindHCaptcha) != (got == "test-site-key") {
				t.Errorf("sitekey = %q; hCaptcha only sends it", got)
			}
			if got := f.Get("idempotency_key"); (kind == captcha.KindTurnstile) != uuidRE.MatchString(got) {
				t.Errorf("idempotency_key = %q; Turnstile only sends one, a UUID", got)
			}
		})
	}
}

// A token is spent once, in Redis, before the provider is asked: a replay is refused
// even when the provider would accept it again, and costs no call; of 30 concurrent
// requests with one token exactly one reaches the provider.
func TestSiteVerifyReplay(t *testing.T) {
	p := newStubProvider(t) // accepts everything, again and again
	v := testVerifier(t, captcha.KindTurnstile, p, nil)
	tok := token()
	if err := v.Check(context.Background(), tok, ""); err != nil {
		t.Fatal(err)
	}
	if err := v.Check(context.Background(), tok, ""); !errors.Is(err, middleware.ErrProofRefused) {
		t.Fatalf("replay = %v, want refused", err)
	}
	if n := p.calls.Load(); n != 1 {
		t.Fatalf("provider called %d times, want 1", n)
	}
	tok = token()
	const n = 30
	var wg sync.WaitGroup
	var passed atomic.Int32
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := v.Check(context.Background(), tok, "")
			if err == nil {
				passed.Add(1)
			} else if !errors.Is(err, middleware.ErrProofRefused) {
				t.Errorf("Check = %v", err)
			}
		}()
	}
	wg.Wait()
	if passed.Load() != 1 || p.calls.Load() != 2 {
		t.Fatalf("%d of %d concurrent uses passed, provider called %d times; want 1 and 2", passed.Load(), n, p.calls.Load())
	}
}

// Fail closed when the provider cannot be reached or does not answer in time. The slow
// provider holds every request until the test ends: only the timeout can end the call.
func TestSiteVerifyUnavailable(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		p := newStubProvider(t)
		v := testVerifier(t, captcha.KindHCaptcha, p, nil)
		p.Close()
		if err := v.Check(context.Background(), token(), ""); !errors.Is(err, middleware.ErrCheckUnavailable) {
			t.Fatalf("Check = %v, want unavailable", err)
		}
	})
	t.Run("past the timeout", func(t *testing.T) {
		p := newStubProvider(t)
		hold := make(chan struct{})
		p.hold = hold
		t.Cleanup(func() { close(hold) })
		v := testVerifier(t, captcha.KindRecaptcha, p, func(c *captcha.ProviderConfig) { c.Timeout = 50 * time.Millisecond })
		start := time.Now()
		err := v.Check(context.Background(), token(), "")
		if !errors.Is(err, middleware.ErrCheckUnavailable) {
			t.Fatalf("Check = %v, want unavailable", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("Check took %s with a 50ms timeout", took)
		}
	})
}

// Spending a token is one round trip; a Redis failure is a storage error (5002), and
// then the provider is not asked.
func TestSiteVerifyRedis(t *testing.T) {
	p := newStubProvider(t)
	s, rdb, _ := testStore(t, func(c *captcha.Config) {
		c.Kind, c.Turnstile.Secret, c.Turnstile.VerifyURL = captcha.KindTurnstile, "s", p.URL
	})
	v, err := captcha.NewSiteVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	counter := &redistest.CommandCounter{}
	rdb.AddHook(counter)
	if err := v.Check(context.Background(), token(), ""); err != nil {
		t.Fatal(err)
	}
	if rt, cmds := counter.Counts(); rt != 1 || cmds != 1 {
		t.Errorf("a check took %d round trips, %d commands; want 1, 1", rt, cmds)
	}
	dead, err := captcha.NewStore(deadClient(t), func() captcha.Config {
		c := captcha.DefaultConfig()
		c.Kind, c.Turnstile.Secret, c.Turnstile.VerifyURL = captcha.KindTurnstile, "s", p.URL
		return c
	}())
	if err != nil {
		t.Fatal(err)
	}
	v, _ = captcha.NewSiteVerifier(dead)
	before := p.calls.Load()
	err = v.Check(context.Background(), token(), "")
	if err == nil || errors.Is(err, middleware.ErrProofRefused) || errors.Is(err, middleware.ErrCheckUnavailable) {
		t.Fatalf("Check with Redis down = %v, want a storage error", err)
	}
	if p.calls.Load() != before {
		t.Fatal("the provider was asked although the token could not be spent")
	}
}
