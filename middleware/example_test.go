package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

// onePerMinute is a toy SendLimiter; ginsms.Service.Limiter is the Redis one.
type onePerMinute map[string]time.Time

func (m onePerMinute) SendWait(_ context.Context, phone, _ string) (time.Duration, error) {
	if last, ok := m[phone]; ok && time.Since(last) < time.Minute {
		return time.Minute - time.Since(last), nil
	}
	m[phone] = time.Now()
	return 0, nil
}

// RateLimit on a route of one's own: the second request within the minute is refused
// with 4004, HTTP 429 and Retry-After; the handler reads the validated phone with Phone.
func ExampleRateLimit() {
	limit, err := middleware.RateLimit(onePerMinute{}, middleware.DefaultConfig())
	if err != nil {
		panic(err)
	}
	router := gin.New()
	router.POST("/otp/:phone", limit, func(c *gin.Context) { c.String(http.StatusOK, "sent to "+middleware.Phone(c)) })

	for range 2 {
		w := httptest.NewRecorder()
		router.ServeHTTP(w, httptest.NewRequest("POST", "/otp/13800138000", nil))
		fmt.Println(w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	// Output:
	// 200  sent to 13800138000
	// 429 60 {"code":4004,"errormsg":"发送短信验证码过于频繁"}
}

// captchas is a toy CaptchaVerifier; captcha.Store is the Redis one.
type captchas map[string]string

func (m captchas) Consume(_ context.Context, id, answer string) (found, matched bool, err error) {
	want, found := m[id]
	delete(m, id) // consumed whatever the outcome
	return found, found && answer == want, nil
}

// CaptchaGuard consumes the captcha on every attempt: a wrong guess uses it up.
func ExampleCaptchaGuard() {
	guard, err := middleware.CaptchaGuard(captchas{"1b4e28ba-2fa1-41d2-883f-0016d3cca427": "4821"}, middleware.DefaultConfig())
	if err != nil {
		panic(err)
	}
	router := gin.New()
	router.GET("/login", guard, func(c *gin.Context) { c.String(http.StatusOK, "welcome") })

	for _, answer := range []string{"1111", "4821"} {
		w := httptest.NewRecorder()
		router.ServeHTTP(w, httptest.NewRequest("GET", "/login?uuid=1b4e28ba-2fa1-41d2-883f-0016d3cca427&imgcode="+answer, nil))
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 400 {"code":4003,"errormsg":"图片验证码不一致"}
	// 400 {"code":4002,"errormsg":"图片验证码已过期"}
}

// The whole send chain on a path of one's own, in the contract's order: ValidateSend
// first, so a request missing a field answers 4001 before the limiter is asked.
func ExampleValidateSend() {
	cfg := middleware.DefaultConfig()
	validate, err1 := middleware.ValidateSend(cfg)
	limit, err2 := middleware.RateLimit(onePerMinute{}, cfg)
	guard, err3 := middleware.CaptchaGuard(captchas{"1b4e28ba-2fa1-41d2-883f-0016d3cca427": "4821"}, cfg)
	if err := errors.Join(err1, err2, err3); err != nil {
		panic(err)
	}
	router := gin.New()
	router.POST("/otp/:phone", validate, limit, guard, func(c *gin.Context) {
		c.String(http.StatusOK, "send a code to "+middleware.Phone(c))
	})
	for _, query := range []string{"?uuid=1b4e28ba-2fa1-41d2-883f-0016d3cca427", "?uuid=1b4e28ba-2fa1-41d2-883f-0016d3cca427&imgcode=4821"} {
		w := httptest.NewRecorder()
		router.ServeHTTP(w, httptest.NewRequest("POST", "/otp/13800138000"+query, nil))
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 400 {"code":4001,"errormsg":"缺少必传参数"}
	// 200 send a code to 13800138000
}

// A Config for an international app: E.164 phones, field names of its own, English
// texts, and storage failures answered by its own error handler.
func ExampleConfig() {
	cfg := middleware.DefaultConfig()
	cfg.PhonePattern = `^\+[1-9]\d{6,14}$`
	cfg.Fields = middleware.FieldNames{Phone: "mobile"}
	cfg.Messages = map[int]string{4004: "Too many requests", 4005: "Invalid phone number"}
	cfg.ErrorHandler = func(c *gin.Context, err error) {
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"code": 5002, "errormsg": "Try again later"})
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	limit, _ := middleware.RateLimit(onePerMinute{}, cfg)
	router := gin.New()
	router.POST("/otp", limit, func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	for _, mobile := range []string{"%2B447700900123", "+447700900123"} { // "+" in a query is a space
		w := httptest.NewRecorder()
		router.ServeHTTP(w, httptest.NewRequest("POST", "/otp?mobile="+mobile, nil))
		fmt.Println(w.Code, w.Body.String())
	}

	bad := middleware.Config{Messages: map[int]string{4999: "?"}}
	fmt.Println(errors.Is(bad.Validate(), middleware.ErrInvalidConfig))
	// Output:
	// 200 ok
	// 400 {"code":4005,"errormsg":"Invalid phone number"}
	// true
}
