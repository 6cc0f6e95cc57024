package middleware_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

// Read through aliases (a meiduo or drf page's names), inputs are held to the same
// bounds: what reaches the limiter and the verifier is a phone of the pattern, a
// canonical UUID and a bounded answer, and every refusal is in the configured shape.
func FuzzAliasInput(f *testing.F) {
	f.Add("13800138000", "image_code_id", "1b4e28ba-2fa1-41d2-883f-0016d3cca427/", "text", "1234")
	f.Add("13800138000", "uuid", "1B4E28BA-2FA1-41D2-883F-0016D3CCA427", "image_code", "ab")
	f.Add("13800138000", "image_code_id", "img_*", "imgcode", strings.Repeat("9", 40))
	phone := regexp.MustCompile(middleware.DefaultConfig().PhonePattern)
	shape := regexp.MustCompile(`^\{"code":"\d{4}","errmsg":"[^"]+"\}$`)
	gin.SetMode(gin.TestMode)
	f.Fuzz(func(t *testing.T, pathPhone, uuidName, uuid, answerName, answer string) {
		if pathPhone == "" || strings.Contains(pathPhone, "/") {
			return
		}
		rec := &recorder{}
		cfg := middleware.DefaultConfig()
		cfg.Aliases = middleware.FieldAliases{UUID: []string{"image_code_id"}, ImageCode: []string{"image_code", "text"}}
		cfg.Answer = middleware.Answer{MessageField: "errmsg", RefusalStatus: 200,
			Codes: map[int]any{4001: "4003", 4002: "4001", 4003: "4001", 4004: "4002", 4005: "4007"}}
		validate, _ := middleware.ValidateSend(cfg)
		limit, _ := middleware.RateLimit(rec, cfg)
		guard, _ := middleware.CaptchaGuard(rec, cfg)
		reachedHandler := false
		r := gin.New()
		r.GET("/sms_codes/:phone", validate, limit, guard, func(c *gin.Context) { reachedHandler = true })
		target := "/sms_codes/" + url.PathEscape(pathPhone) + "?" + url.Values{uuidName: {uuid}, answerName: {answer}}.Encode()
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		if rec.phone != "" && (!phone.MatchString(rec.phone) || strings.ContainsAny(rec.phone, "{}: \n*")) {
			t.Fatalf("unsafe phone reached the limiter: %q", rec.phone)
		}
		if rec.uuid != "" && (!canonicalUUID.MatchString(rec.uuid) || rec.answer == "" || len(rec.answer) > 32) {
			t.Fatalf("unsafe captcha input reached the verifier: %q %q", rec.uuid, rec.answer)
		}
		if !reachedHandler && (w.Code != 200 || !shape.MatchString(w.Body.String())) {
			t.Fatalf("refusal HTTP %d %q, not in the configured shape", w.Code, w.Body)
		}
	})
}
