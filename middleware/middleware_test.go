package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

func init() { gin.SetMode(gin.TestMode) }

type result struct {
	status     int
	code       int
	errmsg     string
	retryAfter string
	reached    bool // the final handler ran
	body       string
}

func performRequest(r http.Handler, method, target, contentType, body string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func decode(w *httptest.ResponseRecorder) result {
	var b struct {
		Code   int    `json:"code"`
		ErrMsg string `json:"errormsg"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &b)
	return result{status: w.Code, code: b.Code, errmsg: b.ErrMsg, retryAfter: w.Header().Get("Retry-After"),
		reached: w.Body.String() == "reached", body: w.Body.String()}
}

func reached(c *gin.Context) { c.String(http.StatusOK, "reached") }

// fakeLimiter answers a fixed wait and records what it was asked.
type fakeLimiter struct {
	wait      time.Duration
	err       error
	phone, ip string
	calls     int
}

func (f *fakeLimiter) SendWait(_ context.Context, phone, ip string) (time.Duration, error) {
	f.calls++
	f.phone, f.ip = phone, ip
	return f.wait, f.err
}

// blocked is a limiter's refusal of a blocked destination, with the block's remaining time.
type blocked struct{ wait time.Duration }

func (b blocked) Error() string             { return "range blocked" }
func (b blocked) Unwrap() error             { return middleware.ErrDestinationRefused }
func (b blocked) RetryAfter() time.Duration { return b.wait }
func blockedFor(wait time.Duration) error   { return blocked{wait} }

// fakeVerifier holds captchas in memory, consumed on every attempt.
type fakeVerifier struct {
	answers map[string]string
	err     error
}

func (f *fakeVerifier) Consume(_ context.Context, id, answer string) (bool, bool, error) {
	if f.err != nil {
		return false, false, f.err
	}
	want, ok := f.answers[id]
	delete(f.answers, id)
	return ok, ok && strings.EqualFold(strings.TrimSpace(answer), want), nil
}

const uuid = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"

func sendRouter(t *testing.T, lim *fakeLimiter, ver *fakeVerifier) *gin.Engine {
	t.Helper()
	cfg := middleware.DefaultConfig()
	validate, err1 := middleware.ValidateSend(cfg)
	limit, err2 := middleware.RateLimit(lim, cfg)
	guard, err3 := middleware.CaptchaGuard(ver, cfg)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	chain := []gin.HandlerFunc{validate, limit, guard, reached}
	r.GET("/sms_codes/:phone", chain...)
	r.POST("/sms_codes/:phone", chain...)
	return r
}

func TestSendChain(t *testing.T) {
	storageDown := errors.New("dial tcp: refused")
	tests := []struct {
		name        string
		method      string
		target      string
		ctype, body string
		wait        time.Duration
		limErr      error
		verErr      error
		want        int
		wantStatus  int
		wantRetry   string
		wantLimited bool // the limiter was consulted
		wantCaptcha bool // the captcha is still there afterwards
	}{
		{name: "missing phone answer", method: "GET", target: "/sms_codes/13800138000?uuid=" + uuid, want: 4001, wantStatus: 400, wantCaptcha: true},
		{name: "malformed phone", method: "GET", target: "/sms_codes/99?imgcode=1234&uuid=" + uuid, want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "overlong phone", method: "GET", target: "/sms_codes/" + strings.Repeat("1", 40) + "?imgcode=1234&uuid=" + uuid, want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "uuid not canonical", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=1b4e28ba2fa141d2883f0016d3cca427", want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "uuid with key syntax", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=*", want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "limited", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, wait: 1500 * time.Millisecond, want: 4004, wantStatus: 429, wantRetry: "2", wantLimited: true, wantCaptcha: true},
		{name: "destination blocked", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, limErr: blockedFor(90 * time.Second), want: 4008, wantStatus: 403, wantRetry: "90", wantLimited: true, wantCaptcha: true},
		{name: "destination refused for good", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, limErr: fmt.Errorf("number type: %w", middleware.ErrDestinationRefused), want: 4008, wantStatus: 403, wantLimited: true, wantCaptcha: true},
		{name: "limiter down", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, limErr: storageDown, want: 5002, wantStatus: 503, wantLimited: true, wantCaptcha: true},
		{name: "verifier down", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, verErr: storageDown, want: 5002, wantStatus: 503, wantLimited: true, wantCaptcha: true},
		{name: "wrong answer", method: "GET", target: "/sms_codes/13800138000?imgcode=9999&uuid=" + uuid, want: 4003, wantStatus: 400, wantLimited: true},
		{name: "unknown captcha", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + strings.Replace(uuid, "1b", "2b", 1), want: 4002, wantStatus: 400, wantLimited: true, wantCaptcha: true},
		{name: "passes", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, want: 0, wantStatus: 200, wantLimited: true},
		{name: "passes with JSON", method: "POST", target: "/sms_codes/13800138000", ctype: "application/json", body: `{"imgcode":"1234","uuid":"` + uuid + `"}`, want: 0, wantStatus: 200, wantLimited: true},
		{name: "JSON not an object: no field of ours", method: "POST", target: "/sms_codes/13800138000", ctype: "application/json", body: `["1234"]`, want: 4001, wantStatus: 400, wantCaptcha: true},
		{name: "JSON not JSON", method: "POST", target: "/sms_codes/13800138000", ctype: "application/json", body: `{"imgcode":`, want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "phone with a newline", method: "GET", target: "/sms_codes/13800138000%0A?imgcode=1234&uuid=" + uuid, want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "phone with a leading blank", method: "GET", target: "/sms_codes/%2013800138000?imgcode=1234&uuid=" + uuid, want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "blank phone", method: "POST", target: "/sms_codes/%20?imgcode=1234&uuid=" + uuid, want: 4001, wantStatus: 400, wantCaptcha: true},
		{name: "form + that became a space", method: "POST", target: "/sms_codes/x", ctype: "application/x-www-form-urlencoded", body: "phone=+13800138000&imgcode=1234&uuid=" + uuid, want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "uuid with one trailing slash", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid + "/", want: 0, wantStatus: 200, wantLimited: true},
		{name: "uuid with two trailing slashes", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid + "//", want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "uuid with blanks", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=%20" + uuid, want: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "other body type ignored, query used", method: "POST", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, ctype: "text/plain", body: "hello", want: 0, wantStatus: 200, wantLimited: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := &fakeLimiter{wait: tt.wait, err: tt.limErr}
			ver := &fakeVerifier{answers: map[string]string{uuid: "1234"}, err: tt.verErr}
			got := decode(performRequest(sendRouter(t, lim, ver), tt.method, tt.target, tt.ctype, tt.body))
			if tt.want == 0 {
				if !got.reached {
					t.Fatalf("request stopped: %+v", got)
				}
			} else if got.code != tt.want || got.status != tt.wantStatus || got.reached {
				t.Fatalf("got %+v, want code %d HTTP %d", got, tt.want, tt.wantStatus)
			}
			if got.retryAfter != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got.retryAfter, tt.wantRetry)
			}
			if (lim.calls > 0) != tt.wantLimited {
				t.Errorf("limiter consulted = %v, want %v", lim.calls > 0, tt.wantLimited)
			}
			if _, ok := ver.answers[uuid]; ok != tt.wantCaptcha {
				t.Errorf("captcha kept = %v, want %v", ok, tt.wantCaptcha)
			}
		})
	}
}

func TestRateLimitAlone(t *testing.T) {
	lim := &fakeLimiter{}
	limit, err := middleware.RateLimit(lim, middleware.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	_ = r.SetTrustedProxies(nil)
	var phone string
	r.POST("/otp", limit, func(c *gin.Context) { phone = middleware.Phone(c); reached(c) })
	w := performRequest(r, "POST", "/otp", "application/x-www-form-urlencoded", "phone=13800138000")
	if got := decode(w); !got.reached || lim.phone != "13800138000" || lim.ip != "192.0.2.1" || phone != "13800138000" {
		t.Fatalf("got %+v, limiter saw phone %q ip %q, handler saw %q", got, lim.phone, lim.ip, phone)
	}
	if _, err := middleware.RateLimit(nil, middleware.DefaultConfig()); !errors.Is(err, middleware.ErrInvalidConfig) {
		t.Fatalf("RateLimit without limiter: %v", err)
	}
	if _, err := middleware.CaptchaGuard(nil, middleware.DefaultConfig()); !errors.Is(err, middleware.ErrInvalidConfig) {
		t.Fatalf("CaptchaGuard without verifier: %v", err)
	}
	bad := middleware.Config{PhonePattern: "([", Messages: map[int]string{4999: "x"}}
	err = bad.Validate()
	if !errors.Is(err, middleware.ErrInvalidConfig) || !strings.Contains(err.Error(), "phone pattern") || !strings.Contains(err.Error(), "4999") {
		t.Fatalf("Validate reports both problems: %v", err)
	}
}

// The middlewares leave the request body whole for the handler after them, whatever its
// size and type, and a custom error handler and messages reach every answer.
func TestBodyLeftWholeAndHooks(t *testing.T) {
	lim := &fakeLimiter{}
	var logged error
	cfg := middleware.DefaultConfig()
	cfg.Messages = map[int]string{5002: "down"}
	cfg.ErrorHandler = func(c *gin.Context, err error) {
		logged = err
		c.AbortWithStatusJSON(599, gin.H{"custom": true})
	}
	limit, err := middleware.RateLimit(lim, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	var got string
	r.POST("/signup", limit, func(c *gin.Context) {
		b, _ := io.ReadAll(c.Request.Body)
		got = string(b)
		c.Status(http.StatusNoContent)
	})
	big := `{"pad":"` + strings.Repeat("x", 100<<10) + `","phone":"13800138000"}` // the phone past the look-ahead
	for _, tt := range []struct{ ctype, body string }{
		{"application/json", `{"phone":"13800138000","username":"ann"}`},
		{"application/x-www-form-urlencoded", "phone=13800138000&username=ann"},
		{"application/json", `{"phone":"13800138000","pad":"` + strings.Repeat("y", 100<<10) + `"}`},
	} {
		got = ""
		w := performRequest(r, "POST", "/signup", tt.ctype, tt.body)
		if w.Code != http.StatusNoContent || got != tt.body {
			t.Errorf("%s body of %d bytes: status %d, handler read %d bytes", tt.ctype, len(tt.body), w.Code, len(got))
		}
	}
	// A field past the first 64 KiB cannot be read: malformed (4005), never missing, and
	// the body is still whole for whoever reads it.
	if w := performRequest(r, "POST", "/signup", "application/json", big); decode(w).code != 4005 {
		t.Errorf("phone past the look-ahead: %s", w.Body)
	}
	lim.err = errors.New("dial tcp: refused")
	w := performRequest(r, "POST", "/signup", "application/x-www-form-urlencoded", "phone=13800138000")
	if w.Code != 599 || logged == nil {
		t.Fatalf("custom error handler: %d %s", w.Code, w.Body)
	}
}
