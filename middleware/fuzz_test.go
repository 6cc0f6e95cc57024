package middleware_test

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

var canonicalUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// recorder is a limiter and a verifier that record what reaches them.
type recorder struct{ phone, uuid, answer string }

func (r *recorder) SendWait(_ context.Context, phone, _ string) (time.Duration, error) {
	r.phone = phone
	return 0, nil
}

func (r *recorder) Consume(_ context.Context, id, answer string) (bool, bool, error) {
	r.uuid, r.answer = id, answer
	return true, true, nil
}

// Whatever a client sends, what reaches the limiter and the verifier (and so a Redis key)
// is a phone of the pattern and of safe characters, a canonical lower-case UUID and a
// bounded answer; and the body is left whole for the handler.
func FuzzSendInput(f *testing.F) {
	f.Add("13800138000", "1b4e28ba-2fa1-41d2-883f-0016d3cca427/", "1234", "", "")
	f.Add("13800138000", "", "", "application/json", `{"imgcode":"1234","uuid":"1B4E28BA-2FA1-41D2-883F-0016D3CCA427"}`)
	f.Add("13800138000", "", "", "application/x-www-form-urlencoded", "imgcode=1234&uuid=x")
	f.Add("1380013800*", "*", "\x00", "application/json", `{"uuid":1e400}`)
	f.Add("%2e%2e", "img_*", strings.Repeat("9", 40), "multipart/form-data; boundary=x", "--x\r\n")
	phone := regexp.MustCompile(middleware.DefaultConfig().PhonePattern)
	gin.SetMode(gin.TestMode)
	f.Fuzz(func(t *testing.T, pathPhone, uuid, answer, ctype, body string) {
		if pathPhone == "" || strings.Contains(pathPhone, "/") {
			return // no route: nothing of ours runs
		}
		rec := &recorder{}
		cfg := middleware.DefaultConfig()
		validate, _ := middleware.ValidateSend(cfg)
		limit, _ := middleware.RateLimit(rec, cfg)
		guard, _ := middleware.CaptchaGuard(rec, cfg)
		var rest string
		r := gin.New()
		r.POST("/sms_codes/:phone", validate, limit, guard, func(c *gin.Context) {
			b, _ := io.ReadAll(c.Request.Body)
			rest = string(b)
		})
		target := "/sms_codes/" + url.PathEscape(pathPhone) + "?" + url.Values{"uuid": {uuid}, "imgcode": {answer}}.Encode()
		req := httptest.NewRequest("POST", target, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if rec.phone != "" && (!phone.MatchString(rec.phone) || strings.ContainsAny(rec.phone, "{}: \n*")) {
			t.Fatalf("unsafe phone reached the limiter: %q", rec.phone)
		}
		if rec.uuid != "" && (!canonicalUUID.MatchString(rec.uuid) || rec.answer == "" || len(rec.answer) > 32) {
			t.Fatalf("unsafe captcha input reached the verifier: %q %q", rec.uuid, rec.answer)
		}
		if w.Code == 200 && rest != body {
			t.Fatalf("body changed on its way to the handler: %q -> %q", body, rest)
		}
	})
}
