package ginsms_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/middleware"
)

// dialectCase is one request of a dialect's flow and what its front end must read.
type dialectCase struct {
	name       string
	target     string // the send URL as the front end builds it (%s: uuid, answer)
	status     int
	body       string
	contractAs int // the code the observer must see
}

// Each dialect on the real Redis, through the routes as its front end calls them: the
// right captcha sends (and stores the code), a wrong one is refused with the page's
// error, a second send within the interval is refused as too frequent, a missing field
// as missing; the observer sees the contract's codes whatever the dialect.
func TestDialects(t *testing.T) {
	for _, tt := range []struct {
		dialect string
		right   string // query of the right captcha: uuid, answer
		wrong   string
		missing string
		want    map[string]dialectCase
	}{
		{
			dialect: "meiduo",
			right:   "?image_code=%[2]s&uuid=%[1]s",
			wrong:   "?image_code=%[2]s&image_code_id=%[1]s",
			missing: "?image_code_id=%[1]s",
			want: map[string]dialectCase{
				"right":    {status: 200, body: `{"code":"0","errmsg":"ok"}`, contractAs: 200},
				"wrong":    {status: 200, body: `{"code":"4001","errmsg":"图片验证码不一致"}`, contractAs: 4003},
				"frequent": {status: 200, body: `{"code":"4002","errmsg":"发送短信验证码过于频繁"}`, contractAs: 4004},
				"missing":  {status: 200, body: `{"code":"4003","errmsg":"缺少必传参数"}`, contractAs: 4001},
			},
		},
		{
			dialect: "drf",
			right:   "?text=%[2]s&image_code_id=%[1]s",
			wrong:   "?text=%[2]s&image_code_id=%[1]s",
			missing: "?image_code_id=%[1]s",
			want: map[string]dialectCase{
				"right":    {status: 200, body: `{"code":200,"message":"ok"}`, contractAs: 200},
				"wrong":    {status: 400, body: `{"code":4003,"message":"图片验证码不一致"}`, contractAs: 4003},
				"frequent": {status: 400, body: `{"code":4004,"message":"发送短信验证码过于频繁"}`, contractAs: 4004},
				"missing":  {status: 400, body: `{"code":4001,"message":"缺少必传参数"}`, contractAs: 4001},
			},
		},
		{
			dialect: "ginsms",
			right:   "?imgcode=%[2]s&uuid=%[1]s",
			wrong:   "?imgcode=%[2]s&uuid=%[1]s",
			missing: "?uuid=%[1]s",
			want: map[string]dialectCase{
				"right":    {status: 200, body: `{"code":200,"errormsg":"ok"}`, contractAs: 200},
				"wrong":    {status: 400, body: `{"code":4003,"errormsg":"图片验证码不一致"}`, contractAs: 4003},
				"frequent": {status: 429, body: `{"code":4004,"errormsg":"发送短信验证码过于频繁"}`, contractAs: 4004},
				"missing":  {status: 400, body: `{"code":4001,"errormsg":"缺少必传参数"}`, contractAs: 4001},
			},
		},
	} {
		t.Run(tt.dialect, func(t *testing.T) {
			var mu sync.Mutex
			var seen []int
			e := newEnv(t, func(c *ginsms.Config) {
				c.Routes.Dialect = tt.dialect
				c.Observer.Answered = func(route string, code int) { mu.Lock(); seen = append(seen, code); mu.Unlock() }
			})
			phone := testPhone
			check := func(step, query, uuid, answer string) {
				t.Helper()
				want := tt.want[step]
				a := performRequest(e.router, "GET", "/sms_codes/"+phone+"/"+sprintf(query, uuid, answer), "", "")
				if a.Status != want.status || a.Body != want.body {
					t.Errorf("%s: HTTP %d %s, want HTTP %d %s", step, a.Status, a.Body, want.status, want.body)
				}
				mu.Lock()
				last := seen[len(seen)-1]
				mu.Unlock()
				if last != want.contractAs {
					t.Errorf("%s: the observer saw %d, want the contract's %d", step, last, want.contractAs)
				}
			}
			e.seedCaptcha(uuidN(1), "1234")
			check("wrong", tt.wrong, uuidN(1), "9999")
			if _, ok := e.get("img_" + uuidN(1)); ok {
				t.Error("the wrong attempt left its captcha")
			}
			check("missing", tt.missing, uuidN(2), "")
			e.seedCaptcha(uuidN(3), "5678")
			check("right", tt.right, uuidN(3), "5678")
			if code, ok := e.get("sms_" + phone); !ok || len(e.sender.all()) != 1 || e.sender.all()[0].code != code {
				t.Errorf("right captcha: stored %q (%v), sent %v", code, ok, e.sender.all())
			}
			e.seedCaptcha(uuidN(4), "4321")
			check("frequent", tt.right, uuidN(4), "4321")
			if _, ok := e.get("img_" + uuidN(4)); !ok {
				t.Error("a too-frequent send spent its captcha")
			}
		})
	}
}

func sprintf(format, uuid, answer string) string {
	return strings.NewReplacer("%[1]s", uuid, "%[2]s", answer).Replace(format)
}

// RequireSMSCode, the verify route and the captcha routes speak the dialect too, and
// read the dialect's field names besides the app's own.
func TestDialectVerifyAndRegister(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) {
		c.Routes.Dialect = "meiduo"
		c.Routes.Fields.SMSCode = []string{"sms_code", "msg_code"}
	})
	e.router.POST("/register", e.service.RequireSMSCode(middleware.FieldNames{Phone: "mobile"}),
		func(c *gin.Context) { c.JSON(201, gin.H{"ok": true}) })
	for _, tt := range []struct {
		name, method, target, ctype, body string
		status                            int
		want                              string
	}{
		{"register, no code", "POST", "/register", "application/json", `{"mobile":"` + testPhone + `"}`, 200, `{"code":"4003","errmsg":"缺少必传参数"}`},
		{"register, no live code", "POST", "/register", "application/json", `{"mobile":"` + testPhone + `","msg_code":"123456"}`, 200, `{"code":"4008","errmsg":"短信验证码已失效"}`},
		{"verify, malformed", "POST", "/sms_codes/" + testPhone + "/verify", "application/x-www-form-urlencoded", "msg_code=12", 200, `{"code":"4007","errmsg":"参数格式错误"}`},
		{"image, malformed uuid", "GET", "/image_codes/nope/", "", "", 200, `{"code":"4007","errmsg":"参数格式错误"}`},
	} {
		a := performRequest(e.router, tt.method, tt.target, tt.ctype, tt.body)
		if a.Status != tt.status || a.Body != tt.want {
			t.Errorf("%s: HTTP %d %s, want HTTP %d %s", tt.name, a.Status, a.Body, tt.status, tt.want)
		}
	}
	// A code sent, then registered with it under the dialect's alias.
	e.seedCaptcha(uuidN(1), "1234")
	if a := performRequest(e.router, "GET", "/sms_codes/"+testPhone+"/?image_code=1234&image_code_id="+uuidN(1), "", ""); a.Body != `{"code":"0","errmsg":"ok"}` {
		t.Fatalf("send: %s", a.Body)
	}
	code := e.sender.all()[0].code
	body, _ := json.Marshal(map[string]string{"mobile": testPhone, "msg_code": code})
	if a := performRequest(e.router, "POST", "/register", "application/json", string(body)); a.Status != 201 {
		t.Fatalf("register with the code: HTTP %d %s", a.Status, a.Body)
	}
}

// Settings of the app's own over a dialect: a numeric variant of the meiduo pages (code
// === 0), English texts.
func TestDialectOverrides(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) {
		c.Routes.Dialect = "meiduo"
		c.Routes.Language = "en"
		c.Routes.Answer.Codes = map[int]any{200: 0, 4002: 4001, 4003: 4001}
	})
	e.seedCaptcha(uuidN(1), "1234")
	if a := performRequest(e.router, "GET", "/sms_codes/"+testPhone+"/?image_code=0000&uuid="+uuidN(1), "", ""); a.Body != `{"code":4001,"errmsg":"The image code does not match"}` {
		t.Errorf("wrong captcha: %s", a.Body)
	}
	if a := performRequest(e.router, "GET", "/sms_codes/"+testPhone+"/?uuid="+uuidN(2), "", ""); a.Body != `{"code":"4003","errmsg":"A required field is missing"}` {
		t.Errorf("missing: %s (the preset's other codes stay)", a.Body)
	}
}

func TestDialectConfig(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*ginsms.Config)
		want   string
	}{
		{"dialect", func(c *ginsms.Config) { c.Routes.Dialect = "rails" }, "routes.dialect: must be one of drf, ginsms, meiduo"},
		{"language", func(c *ginsms.Config) { c.Routes.Language = "fr" }, "routes.language: must be zh, en or auto"},
		{"field", func(c *ginsms.Config) { c.Routes.Fields.UUID = []string{""} }, `routes.fields: field name "": must have 1 to 64 bytes`},
		{"field of two inputs", func(c *ginsms.Config) { c.Routes.Fields.ImageCode = []string{"uuid"} }, `routes.fields: field name "uuid": names two inputs`},
		{"field of two inputs by the dialect", func(c *ginsms.Config) { c.Routes.Dialect = "drf"; c.Routes.Fields.Phone = []string{"text"} }, `routes.fields: field name "text": names two inputs`},
		{"code", func(c *ginsms.Config) { c.Routes.Answer.Codes = map[int]any{4009: "1"} }, "routes.answer: codes: 4009 is not a contract code"},
		{"code value", func(c *ginsms.Config) { c.Routes.Answer.Codes = map[int]any{200: true} }, "routes.answer: codes: 200: must be a string or an integer"},
		{"fields clash", func(c *ginsms.Config) { c.Routes.Dialect = "drf"; c.Routes.Answer.CodeField = "message" }, "routes.answer: code_field and message_field are both"},
		{"status", func(c *ginsms.Config) { c.Routes.Answer.RefusalStatus = 42 }, "routes.answer: refusal_status"},
	} {
		cfg := ginsms.DefaultConfig()
		tt.mutate(&cfg)
		err := cfg.Validate()
		if !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// routes.dialect and its settings from the file and the environment.
func TestLoadConfigDialect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	yaml := "routes:\n  answer:\n    codes: { 200: 0, 4004: \"4002\" }\n    refusal_status: 200\n  fields:\n    uuid: [image_code_id]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GINSMS_ROUTES_DIALECT", "meiduo")
	t.Setenv("GINSMS_ROUTES_LANGUAGE", "auto")
	t.Setenv("GINSMS_ROUTES_FIELDS_IMGCODE", "image_code,text")
	cfg, err := config.Load(path, "")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Routes
	if r.Dialect != "meiduo" || r.Language != "auto" || strings.Join(r.Fields.ImageCode, " ") != "image_code text" ||
		strings.Join(r.Fields.UUID, " ") != "image_code_id" || r.Answer.RefusalStatus != 200 ||
		r.Answer.Codes[200] != 0 || r.Answer.Codes[4004] != "4002" {
		t.Fatalf("routes = %+v", r)
	}
}

// RequireSMSCode given field names it cannot use (one names two inputs) refuses every
// request rather than letting one through unverified.
func TestRequireSMSCodeUnusableFields(t *testing.T) {
	e := newEnv(t, nil)
	e.router.POST("/register", e.service.RequireSMSCode(middleware.FieldNames{Phone: "uuid"}),
		func(c *gin.Context) { c.JSON(201, gin.H{"ok": true}) })
	if a := performRequest(e.router, "POST", "/register", "application/json", `{"uuid":"`+testPhone+`","sms_code":"123456"}`); a.Status != 503 || a.Code != 5002 {
		t.Fatalf("HTTP %d %s, want 5002", a.Status, a.Body)
	}
}
