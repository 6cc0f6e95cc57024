package ginsms_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/altchasolve"
	"github.com/ginsms/ginsms/internal/redistest"
)

const testHMACKey = "test-hmac-key-of-at-least-32-bytes!!"

func altchaKind(c *ginsms.Config) {
	c.Captcha.Kind = captcha.KindAltcha
	c.Captcha.Altcha.HMACKey = testHMACKey
	c.Captcha.Altcha.MaxNumber = 5000 // a few ms to solve in a test
}

// solveAltcha fetches a challenge from the router, as the widget does, and solves it.
func (e *env) solveAltcha() string {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, httptest.NewRequest("GET", "/altcha_challenges/", nil))
	if w.Code != http.StatusOK {
		e.t.Fatalf("GET /altcha_challenges/ = %d %s", w.Code, w.Body)
	}
	payload, err := altchasolve.Solve(w.Body.Bytes())
	if err != nil {
		e.t.Fatal(err)
	}
	return payload
}

func (e *env) sendForm(phone, form string) answer {
	return performRequest(e.router, "POST", "/sms_codes/"+phone, "application/x-www-form-urlencoded", form)
}

// The whole send with kind altcha, on each topology: the payload replaces uuid and
// imgcode, is spent once, and the image routes are not mounted.
func TestAltchaSend(t *testing.T) {
	onTopologies(t, func(t *testing.T, top topology) {
		e := newEnvOn(t, top, altchaKind)
		payload := e.solveAltcha()
		if got := e.sendForm(testPhone, "altcha="+url.QueryEscape(payload)); got.Code != 200 {
			t.Fatalf("send = %+v", got)
		}
		if n := len(e.sender.all()); n != 1 {
			t.Fatalf("sent %d SMS, want 1", n)
		}
		if got := e.sendForm("13900000001", "altcha="+url.QueryEscape(payload)); got.Code != 4003 || got.Status != 400 {
			t.Fatalf("replayed payload = %+v, want 4003", got)
		}
		// RateLimit first: a limited phone does not spend the challenge it carried.
		fresh := url.QueryEscape(e.solveAltcha())
		if got := e.sendForm(testPhone, "altcha="+fresh); got.Code != 4004 {
			t.Fatalf("limited phone = %+v, want 4004", got)
		}
		if got := e.sendForm("13900000003", "altcha="+fresh); got.Code != 200 {
			t.Fatalf("the challenge a limited request carried = %+v, want still good", got)
		}
		for _, tt := range []struct {
			name, form string
			want       int
		}{
			{"no payload", "imgcode=1234&uuid=" + uuidN(1), 4001},
			{"blank payload", "altcha=%20", 4001},
			{"garbage", "altcha=abc", 4003},
			{"control byte", "altcha=ab%01c", 4005},
			{"oversized", "altcha=" + strings.Repeat("A", 4097), 4005},
		} {
			if got := e.sendForm("13900000002", tt.form); got.Code != tt.want {
				t.Errorf("%s: send = %+v, want %d", tt.name, got, tt.want)
			}
		}
		if got := performRequest(e.router, "GET", "/image_codes/"+uuidN(1), "", ""); got.Status != http.StatusNotFound {
			t.Errorf("image route with kind altcha = %d, want 404", got.Status)
		}
		if n := len(e.sender.all()); n != 2 {
			t.Fatalf("sent %d SMS, want 2", n)
		}
	})
}

// One payload, 30 concurrent sends to 30 phones: one SMS.
func TestAltchaConcurrentReplay(t *testing.T) {
	e := newEnv(t, altchaKind)
	payload := url.QueryEscape(e.solveAltcha())
	const n = 30
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes <- e.sendForm(fmt.Sprintf("139000001%02d", i), "altcha="+payload).Code
		}(i)
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[200] != 1 || count[4003] != n-1 || len(e.sender.all()) != 1 {
		t.Fatalf("answers %v, %d SMS; want one 200, the rest 4003, one SMS", count, len(e.sender.all()))
	}
}

// siteVerify is a siteverify stub for the Service tests.
type siteVerify struct {
	*httptest.Server
	calls  atomic.Int32
	answer atomic.Value // "status body"
}

func newSiteVerify(t *testing.T) *siteVerify {
	p := &siteVerify{}
	p.answer.Store(`200 {"success":true,"hostname":"example.com"}`)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		status, body, _ := strings.Cut(p.answer.Load().(string), " ")
		code := 200
		fmt.Sscan(status, &code)
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(p.Close)
	return p
}

func providerKind(kind string, p *siteVerify) func(*ginsms.Config) { return providerAt(kind, p.URL) }

var widgetField = map[string]string{
	captcha.KindTurnstile: "cf-turnstile-response",
	captcha.KindHCaptcha:  "h-captcha-response",
	captcha.KindRecaptcha: "g-recaptcha-response",
}

// The send with each provider kind: the token from any of the fields and places, the
// provider's no (4003) and its failure (5003, no SMS), replay, and RateLimit first.
func TestProviderSend(t *testing.T) {
	for _, kind := range []string{captcha.KindTurnstile, captcha.KindHCaptcha, captcha.KindRecaptcha} {
		t.Run(kind, func(t *testing.T) {
			p := newSiteVerify(t)
			e := newEnv(t, providerKind(kind, p))
			phone := 0
			next := func() string { phone++; return fmt.Sprintf("137000000%02d", phone) }
			// Each place and field a token may come in.
			for i, send := range []func(ph, tok string) answer{
				func(ph, tok string) answer { return e.sendForm(ph, "captcha_token="+tok) },
				func(ph, tok string) answer { return e.sendForm(ph, widgetField[kind]+"="+tok) },
				func(ph, tok string) answer {
					return performRequest(e.router, "POST", "/sms_codes/"+ph, "application/json", `{"`+widgetField[kind]+`":"`+tok+`"}`)
				},
				func(ph, tok string) answer {
					return performRequest(e.router, "GET", "/sms_codes/"+ph+"?captcha_token="+tok, "", "")
				},
			} {
				if got := send(next(), fmt.Sprintf("tok.%d", i)); got.Code != 200 {
					t.Fatalf("send %d = %+v", i, got)
				}
			}
			if got := e.sendForm(next(), ""); got.Code != 4001 {
				t.Errorf("no token = %+v, want 4001", got)
			}
			// Replay: the provider would say yes again; the Redis mark says no first.
			calls := p.calls.Load()
			if got := e.sendForm(next(), "captcha_token=tok.0"); got.Code != 4003 || p.calls.Load() != calls {
				t.Errorf("replay = %+v after %d provider calls, want 4003 and no call", got, p.calls.Load()-calls)
			}
			// RateLimit first: a limited phone spends no token and costs no call.
			limited := fmt.Sprintf("137000000%02d", 1)
			if got := e.sendForm(limited, "captcha_token=fresh"); got.Code != 4004 || p.calls.Load() != calls {
				t.Errorf("limited phone = %+v, %d provider calls; want 4004 and none", got, p.calls.Load()-calls)
			}
			if got := e.sendForm(next(), "captcha_token=fresh"); got.Code != 200 {
				t.Errorf("the token a limited request carried = %+v, want still good", got)
			}
			sent := len(e.sender.all())
			for _, tt := range []struct {
				answer string
				code   int
				status int
			}{
				{`200 {"success":false,"error-codes":["invalid-input-response"]}`, 4003, 400},
				{`200 {"success":false,"error-codes":["invalid-input-secret"]}`, 5003, 503},
				{`500 {"success":true}`, 5003, 503},
				{`200 not json`, 5003, 503},
			} {
				p.answer.Store(tt.answer)
				if got := e.sendForm(next(), "captcha_token="+next()); got.Code != tt.code || got.Status != tt.status {
					t.Errorf("provider answering %s: send = %+v, want %d / %d", tt.answer, got, tt.code, tt.status)
				}
			}
			p.Close()
			if got := e.sendForm(next(), "captcha_token="+next()); got.Code != 5003 {
				t.Errorf("provider unreachable: send = %+v, want 5003", got)
			}
			if n := len(e.sender.all()); n != sent {
				t.Errorf("%d SMS sent on a refused or undecided check", n-sent)
			}
		})
	}
}

// Round trips of a send per kind: 3 for a success (flag and quotas, the human check,
// store), 1 for a rate-limited one; the provider kinds add one HTTP call.
func TestRoundTripsPerKind(t *testing.T) {
	p := newSiteVerify(t)
	kinds := []struct {
		name  string
		edit  func(*ginsms.Config)
		proof func(e *env, i int) string
	}{
		{"altcha", altchaKind, func(e *env, _ int) string { return "altcha=" + url.QueryEscape(e.solveAltcha()) }},
		{"turnstile", providerKind(captcha.KindTurnstile, p), func(_ *env, i int) string { return fmt.Sprintf("captcha_token=t%d", i) }},
		{"hcaptcha", providerKind(captcha.KindHCaptcha, p), func(_ *env, i int) string { return fmt.Sprintf("captcha_token=h%d", i) }},
		{"recaptcha", providerKind(captcha.KindRecaptcha, p), func(_ *env, i int) string { return fmt.Sprintf("captcha_token=r%d", i) }},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			e := newEnv(t, func(c *ginsms.Config) { k.edit(c); c.SMS.DailyLimitTotal = 1000 })
			counter := &redistest.CommandCounter{}
			e.rdb.AddHook(counter)
			if got := e.sendForm("13900000000", k.proof(e, 0)); got.Code != 200 { // warm-up: scripts loaded
				t.Fatalf("warm-up = %+v", got)
			}
			proof1, proof2 := k.proof(e, 1), k.proof(e, 2)
			counter.Reset()
			calls := p.calls.Load()
			if got := e.sendForm(testPhone, proof1); got.Code != 200 {
				t.Fatalf("send = %+v", got)
			}
			if rt, _ := counter.Counts(); rt != 3 {
				t.Errorf("success took %d round trips, want 3", rt)
			}
			counter.Reset()
			if got := e.sendForm(testPhone, proof2); got.Code != 4004 {
				t.Fatalf("second send = %+v", got)
			}
			if rt, _ := counter.Counts(); rt != 1 {
				t.Errorf("rejection took %d round trips, want 1", rt)
			}
			if k.name != "altcha" && p.calls.Load()-calls != 1 {
				t.Errorf("%d provider calls for one success and one rejection, want 1", p.calls.Load()-calls)
			}
		})
	}
}

// The observer sees each check's outcome and each provider call's duration.
func TestHumanCheckObserved(t *testing.T) {
	var mu sync.Mutex
	checks := map[string]int{}
	var took []time.Duration
	obs := ginsms.Observer{
		HumanChecked:   func(kind, outcome string) { mu.Lock(); checks[kind+"/"+outcome]++; mu.Unlock() },
		HumanCheckTook: func(kind string, d time.Duration) { mu.Lock(); took = append(took, d); mu.Unlock() },
	}
	p := newSiteVerify(t)
	e := newEnv(t, func(c *ginsms.Config) { providerKind(captcha.KindTurnstile, p)(c); c.Observer = obs })
	e.sendForm("13700000001", "captcha_token=a")
	e.sendForm("13700000002", "captcha_token=a")
	p.answer.Store(`503 down`)
	e.sendForm("13700000003", "captcha_token=b")
	a := newEnv(t, func(c *ginsms.Config) { altchaKind(c); c.Observer = obs })
	a.sendForm("13700000004", "altcha="+url.QueryEscape(a.solveAltcha()))
	img := newEnv(t, func(c *ginsms.Config) { c.Observer = obs })
	img.seedCaptcha(uuidN(1), "1234")
	img.sendGET("13700000005", uuidN(1), "9999")
	img.sendGET("13700000006", uuidN(1), "1234")
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"turnstile/passed": 1, "turnstile/refused": 1, "turnstile/unavailable": 1,
		"altcha/passed": 1, "image/refused": 1, "image/expired": 1}
	if fmt.Sprint(checks) != fmt.Sprint(want) {
		t.Errorf("HumanChecked: %v, want %v", checks, want)
	}
	if len(took) != 2 {
		t.Errorf("HumanCheckTook called %d times, want 2 (one per provider call)", len(took))
	}
}
