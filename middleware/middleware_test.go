package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
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
	limit, err := middleware.RateLimit(middleware.RateLimitConfig{Limiter: lim})
	if err != nil {
		t.Fatal(err)
	}
	guard, err := middleware.CaptchaGuard(middleware.CaptchaGuardConfig{Verifier: ver})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	chain := []gin.HandlerFunc{middleware.ValidateSend(nil, nil), limit, guard, reached}
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
		{name: "limiter down", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, limErr: storageDown, want: 5002, wantStatus: 503, wantLimited: true, wantCaptcha: true},
		{name: "verifier down", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, verErr: storageDown, want: 5002, wantStatus: 503, wantLimited: true, wantCaptcha: true},
		{name: "wrong answer", method: "GET", target: "/sms_codes/13800138000?imgcode=9999&uuid=" + uuid, want: 4003, wantStatus: 400, wantLimited: true},
		{name: "unknown captcha", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + strings.Replace(uuid, "1b", "2b", 1), want: 4002, wantStatus: 400, wantLimited: true, wantCaptcha: true},
		{name: "passes", method: "GET", target: "/sms_codes/13800138000?imgcode=1234&uuid=" + uuid, want: 0, wantStatus: 200, wantLimited: true},
		{name: "passes with JSON", method: "POST", target: "/sms_codes/13800138000", ctype: "application/json", body: `{"imgcode":"1234","uuid":"` + uuid + `"}`, want: 0, wantStatus: 200, wantLimited: true},
		{name: "JSON not an object", method: "POST", target: "/sms_codes/13800138000", ctype: "application/json", body: `["1234"]`, want: 4005, wantStatus: 400, wantCaptcha: true},
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
	limit, err := middleware.RateLimit(middleware.RateLimitConfig{Limiter: lim})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	_ = r.SetTrustedProxies(nil)
	r.POST("/otp", limit, reached)
	w := performRequest(r, "POST", "/otp", "application/x-www-form-urlencoded", "phone=13800138000")
	if got := decode(w); !got.reached || lim.phone != "13800138000" || lim.ip != "192.0.2.1" {
		t.Fatalf("got %+v, limiter saw phone %q ip %q", got, lim.phone, lim.ip)
	}
	if _, err := middleware.RateLimit(middleware.RateLimitConfig{}); !errors.Is(err, middleware.ErrNoLimiter) {
		t.Fatalf("RateLimit without limiter: %v", err)
	}
	if _, err := middleware.CaptchaGuard(middleware.CaptchaGuardConfig{}); !errors.Is(err, middleware.ErrNoVerifier) {
		t.Fatalf("CaptchaGuard without verifier: %v", err)
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		remote, forwarded string
		trust             []string
		want              string
	}{
		{remote: "203.0.113.7:5000", want: "203.0.113.7"},
		{remote: "[2001:db8:1:2:3:4:5:6]:5000", want: "2001:db8:1:2::/64"},
		{remote: "[2001:db8:1:2:ffff::1]:5000", want: "2001:db8:1:2::/64"},
		{remote: "203.0.113.7:5000", forwarded: "198.51.100.9", want: "203.0.113.7"},                              // untrusted proxy: header ignored
		{remote: "10.0.0.1:5000", forwarded: "198.51.100.9", trust: []string{"10.0.0.0/8"}, want: "198.51.100.9"}, // trusted proxy
	}
	for _, tt := range tests {
		r := gin.New()
		_ = r.SetTrustedProxies(tt.trust)
		var got string
		r.GET("/", func(c *gin.Context) { got = middleware.ClientIP(c) })
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.remote
		if tt.forwarded != "" {
			req.Header.Set("X-Forwarded-For", tt.forwarded)
		}
		r.ServeHTTP(httptest.NewRecorder(), req)
		if got != tt.want {
			t.Errorf("ClientIP(remote %s, XFF %q, trusted %v) = %q, want %q", tt.remote, tt.forwarded, tt.trust, got, tt.want)
		}
	}
}

func TestResponder(t *testing.T) {
	if _, err := middleware.NewResponder(map[int]string{4999: "x"}, false); err == nil {
		t.Fatal("NewResponder accepted an unknown code")
	}
	custom, err := middleware.NewResponder(map[int]string{4004: `Too "many" requests`}, false)
	if err != nil {
		t.Fatal(err)
	}
	legacy, _ := middleware.NewResponder(nil, true)
	for _, tt := range []struct {
		r          *middleware.Responder
		code       middleware.Code
		wantStatus int
		wantText   string
	}{
		{middleware.DefaultResponder(), middleware.CodeOK, 200, "ok"},
		{middleware.DefaultResponder(), middleware.CodeTooFrequent, 429, "发送短信验证码过于频繁"},
		{middleware.DefaultResponder(), middleware.CodeSenderFailed, 502, "发送短信验证码错误"},
		{middleware.DefaultResponder(), middleware.CodeStorageDown, 503, "服务暂不可用"},
		{custom, middleware.CodeTooFrequent, 429, `Too "many" requests`},
		{legacy, middleware.CodeStorageDown, 200, "服务暂不可用"},
	} {
		r := gin.New()
		r.GET("/", func(c *gin.Context) { tt.r.Write(c, tt.code) })
		w := performRequest(r, "GET", "/", "", "")
		got := decode(w)
		if got.status != tt.wantStatus || got.code != int(tt.code) || got.errmsg != tt.wantText {
			t.Errorf("Write(%d) = %+v, want HTTP %d text %q", tt.code, got, tt.wantStatus, tt.wantText)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}
	}
	if len(middleware.Codes()) != 10 {
		t.Fatalf("Codes() = %v, want the contract's 10", middleware.Codes())
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tt := range []struct {
		wait time.Duration
		want int64
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {59 * time.Second, 59}} {
		if got := middleware.RetryAfterSeconds(tt.wait); got != tt.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}

func TestVerifyInputs(t *testing.T) {
	in, err := middleware.NewInputs(middleware.InputConfig{SMSCodeLength: 6})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		target string
		want   middleware.Code
	}{
		{"/v/13800138000?sms_code=123456", 0},
		{"/v/13800138000?sms_code=%20123456%20", 0},
		{"/v/13800138000", middleware.CodeMissingInput},
		{"/v/13800138000?sms_code=12345", middleware.CodeMalformedInput},
		{"/v/13800138000?sms_code=１２３４５６", middleware.CodeMalformedInput}, // full-width digits
		{"/v/1380013800x?sms_code=123456", middleware.CodeMalformedInput},
	} {
		r := gin.New()
		var got middleware.Code
		r.GET("/v/:phone", func(c *gin.Context) { _, _, got = in.Verify(c) })
		performRequest(r, "GET", tt.target, "", "")
		if got != tt.want {
			t.Errorf("Verify(%s) = %d, want %d", tt.target, got, tt.want)
		}
	}
	if _, err := middleware.NewInputs(middleware.InputConfig{PhonePattern: "(["}); err == nil {
		t.Fatal("NewInputs accepted a bad pattern")
	}
}
