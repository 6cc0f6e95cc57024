package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

// onePerMinute is a toy SendLimiter; ginsms's own reads Redis.
type onePerMinute map[string]time.Time

func (m onePerMinute) SendWait(_ context.Context, phone, _ string) (time.Duration, error) {
	if last, ok := m[phone]; ok && time.Since(last) < time.Minute {
		return time.Minute - time.Since(last), nil
	}
	m[phone] = time.Now()
	return 0, nil
}

// RateLimit on a route of one's own: the second request within the minute is refused
// with 4004, HTTP 429 and Retry-After.
func ExampleRateLimit() {
	limit, err := middleware.RateLimit(middleware.RateLimitConfig{Limiter: onePerMinute{}})
	if err != nil {
		panic(err)
	}
	router := gin.New()
	router.POST("/otp/:phone", limit, func(c *gin.Context) { c.String(http.StatusOK, "sent") })

	for i := 0; i < 2; i++ {
		w := httptest.NewRecorder()
		router.ServeHTTP(w, httptest.NewRequest("POST", "/otp/13800138000", nil))
		fmt.Println(w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	// Output:
	// 200  sent
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
	guard, err := middleware.CaptchaGuard(middleware.CaptchaGuardConfig{
		Verifier: captchas{"1b4e28ba-2fa1-41d2-883f-0016d3cca427": "4821"},
	})
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
