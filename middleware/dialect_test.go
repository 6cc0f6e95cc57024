package middleware_test

import (
	"errors"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

// The guards built by hand read the aliases and answer in the configured shape and
// language; the guard still aborts the chain.
func TestGuardsAliasesAndAnswer(t *testing.T) {
	cfg := middleware.DefaultConfig()
	cfg.Aliases = middleware.FieldAliases{ImageCode: []string{"image_code"}, UUID: []string{"image_code_id"}}
	cfg.Answer = middleware.Answer{MessageField: "errmsg", RefusalStatus: 200, Codes: map[int]any{4003: "4001", 4004: "4002"}}
	cfg.Language = "en"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	lim := &fakeLimiter{}
	ver := &fakeVerifier{answers: map[string]string{uuid: "1234"}}
	validate, err1 := middleware.ValidateSend(cfg)
	limit, err2 := middleware.RateLimit(lim, cfg)
	guard, err3 := middleware.CaptchaGuard(ver, cfg)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.GET("/sms_codes/:phone", validate, limit, guard, reached)

	w := performRequest(r, "GET", "/sms_codes/13800138000?image_code=0000&image_code_id="+uuid, "", "")
	if w.Code != 200 || w.Body.String() != `{"code":"4001","errmsg":"The image code does not match"}` {
		t.Errorf("wrong captcha: HTTP %d %s", w.Code, w.Body)
	}
	ver.answers[uuid] = "1234"
	if w := performRequest(r, "GET", "/sms_codes/13800138000?image_code=1234&image_code_id="+uuid, "", ""); w.Body.String() != "reached" {
		t.Errorf("right captcha under aliases: HTTP %d %s", w.Code, w.Body)
	}
	lim.wait = 30e9
	if w := performRequest(r, "GET", "/sms_codes/13800138000?image_code=1&image_code_id="+uuid, "", ""); w.Code != 200 ||
		w.Body.String() != `{"code":"4002","errmsg":"Too many SMS requests, try again later"}` || w.Header().Get("Retry-After") != "30" {
		t.Errorf("too frequent: HTTP %d %s Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}

	for _, bad := range []middleware.Config{
		{Language: "de"},
		{Answer: middleware.Answer{Codes: map[int]any{4321: "x"}}},
		{Aliases: middleware.FieldAliases{Phone: []string{""}}},
	} {
		if err := bad.Validate(); !errors.Is(err, middleware.ErrInvalidConfig) {
			t.Errorf("Validate(%+v) = %v", bad, err)
		}
	}
}
