package contract_test

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
)

// raw answers one request with code and returns the recorder, the request carrying
// Accept-Language acceptLanguage when not "".
func raw(r *contract.Responder, code contract.Code, acceptLanguage string) *httptest.ResponseRecorder {
	e := gin.New()
	e.GET("/", func(c *gin.Context) { r.Write(c, code) })
	req := httptest.NewRequest("GET", "/", nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	return w
}

// The default answers stay byte for byte what the contract (and the original client)
// reads, for every code.
func TestDefaultAnswersUnchanged(t *testing.T) {
	want := map[contract.Code]struct {
		status int
		body   string
	}{
		200:  {200, `{"code":200,"errormsg":"ok"}`},
		4001: {400, `{"code":4001,"errormsg":"缺少必传参数"}`},
		4002: {400, `{"code":4002,"errormsg":"图片验证码已过期"}`},
		4003: {400, `{"code":4003,"errormsg":"图片验证码不一致"}`},
		4004: {429, `{"code":4004,"errormsg":"发送短信验证码过于频繁"}`},
		4005: {400, `{"code":4005,"errormsg":"参数格式错误"}`},
		4006: {400, `{"code":4006,"errormsg":"短信验证码错误"}`},
		4007: {400, `{"code":4007,"errormsg":"短信验证码已失效"}`},
		4008: {403, `{"code":4008,"errormsg":"该号码暂不能接收验证码"}`},
		5001: {502, `{"code":5001,"errormsg":"发送短信验证码错误"}`},
		5002: {503, `{"code":5002,"errormsg":"服务暂不可用"}`},
		5003: {503, `{"code":5003,"errormsg":"人机验证服务暂不可用"}`},
	}
	r := newResponder(t, contract.Options{})
	for _, code := range contract.Codes() {
		w := raw(r, code, "en")
		if w.Code != want[code].status || w.Body.String() != want[code].body || w.Header().Get("Vary") != "" {
			t.Errorf("%d: HTTP %d %s (Vary %q), want HTTP %d %s", code, w.Code, w.Body, w.Header().Get("Vary"),
				want[code].status, want[code].body)
		}
	}
}

func TestLanguages(t *testing.T) {
	en := newResponder(t, contract.Options{Language: "en"})
	auto := newResponder(t, contract.Options{Language: "auto", Messages: map[int]string{4006: "custom"}})
	for _, tt := range []struct {
		name           string
		r              *contract.Responder
		code           contract.Code
		acceptLanguage string
		want           string
	}{
		{"en", en, 4004, "zh-CN", `{"code":4004,"errormsg":"Too many SMS requests, try again later"}`},
		{"en ok", en, 200, "", `{"code":200,"errormsg":"ok"}`},
		{"auto zh", auto, 4003, "zh-CN,zh;q=0.9,en;q=0.8", `{"code":4003,"errormsg":"图片验证码不一致"}`},
		{"auto en", auto, 4003, "en-US,en;q=0.9,zh;q=0.5", `{"code":4003,"errormsg":"The image code does not match"}`},
		{"auto none", auto, 4003, "", `{"code":4003,"errormsg":"The image code does not match"}`},
		{"auto other", auto, 4003, "fr-FR,de", `{"code":4003,"errormsg":"The image code does not match"}`},
		{"auto message override", auto, 4006, "zh", `{"code":4006,"errormsg":"custom"}`},
	} {
		w := raw(tt.r, tt.code, tt.acceptLanguage)
		if w.Body.String() != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, w.Body, tt.want)
		}
		if vary := w.Header().Get("Vary"); (tt.r == auto) != (vary == "Accept-Language") {
			t.Errorf("%s: Vary %q", tt.name, vary)
		}
	}
	// Every code has an English text of its own.
	for _, code := range contract.Codes() {
		if code != contract.CodeOK && raw(en, code, "").Body.String() == raw(newResponder(t, contract.Options{}), code, "").Body.String() {
			t.Errorf("%d has no English text", code)
		}
	}
}

func TestEnvelope(t *testing.T) {
	meiduo := newResponder(t, contract.Options{Envelope: contract.Envelope{
		MessageField: "errmsg", RefusalStatus: 200, Codes: map[int]any{200: "0", 4003: "4001", 4004: "4002"}}})
	numeric := newResponder(t, contract.Options{Envelope: contract.Envelope{
		MessageField: "errmsg", Codes: map[int]any{200: 0, 4003: int64(4001), 4004: float64(4002)}}, LegacyStatus: true})
	drf := newResponder(t, contract.Options{Envelope: contract.Envelope{MessageField: "message", RefusalStatus: 400},
		LegacyStatus: true})
	for _, tt := range []struct {
		name   string
		r      *contract.Responder
		code   contract.Code
		status int
		body   string
	}{
		{"strings ok", meiduo, 200, 200, `{"code":"0","errmsg":"ok"}`},
		{"strings mapped", meiduo, 4003, 200, `{"code":"4001","errmsg":"图片验证码不一致"}`},
		{"strings unmapped keeps the number", meiduo, 5002, 200, `{"code":5002,"errmsg":"服务暂不可用"}`},
		{"numbers", numeric, 200, 200, `{"code":0,"errmsg":"ok"}`},
		{"numbers int64", numeric, 4003, 200, `{"code":4001,"errmsg":"图片验证码不一致"}`},
		{"numbers float", numeric, 4004, 200, `{"code":4002,"errmsg":"发送短信验证码过于频繁"}`},
		{"refusal status over legacy", drf, 4004, 400, `{"code":4004,"message":"发送短信验证码过于频繁"}`},
		{"refusal status spares success", drf, 200, 200, `{"code":200,"message":"ok"}`},
	} {
		w := raw(tt.r, tt.code, "")
		if w.Code != tt.status || w.Body.String() != tt.body {
			t.Errorf("%s: HTTP %d %s, want HTTP %d %s", tt.name, w.Code, w.Body, tt.status, tt.body)
		}
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/", nil)
		tt.r.Write(c, tt.code)
		if got, ok := contract.Written(c); !ok || got != tt.code {
			t.Errorf("%s: Written = %d, %v; want the contract's %d whatever the envelope", tt.name, got, ok, tt.code)
		}
	}
	for _, bad := range []contract.Options{
		{Language: "fr"},
		{Envelope: contract.Envelope{Codes: map[int]any{4999: "1"}}},
		{Envelope: contract.Envelope{Codes: map[int]any{200: ""}}},
		{Envelope: contract.Envelope{Codes: map[int]any{200: 1.5}}},
		{Envelope: contract.Envelope{Codes: map[int]any{200: true}}},
		{Envelope: contract.Envelope{Codes: map[int]any{200: []any{1}}}},
		{Envelope: contract.Envelope{CodeField: "msg", MessageField: "msg"}},
		{Envelope: contract.Envelope{MessageField: "code"}},
		{Envelope: contract.Envelope{RefusalStatus: 99}},
		{Envelope: contract.Envelope{RefusalStatus: 600}},
	} {
		if _, err := contract.NewResponder(bad); err == nil {
			t.Errorf("NewResponder(%+v) accepted", bad)
		}
	}
}
