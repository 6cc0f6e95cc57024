package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/sender"
)

// demoEngine builds the example's engine on a fresh miniredis with config.yaml changed by edit.
func demoEngine(t *testing.T, edit func(*appConfig, *ginsms.Config)) (*gin.Engine, *miniredis.Miniredis) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	app, cfg := loadConfigs(t)
	if edit != nil {
		edit(&app, &cfg)
	}
	engine, err := newEngine(app, cfg, rdb)
	if err != nil {
		t.Fatal(err)
	}
	return engine, mr
}

func TestDemoPageServed(t *testing.T) {
	engine, _ := demoEngine(t, nil)
	tests := []struct {
		path, contentType, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script src="/demo/app.js" defer></script>`},
		{"/demo/app.js", "text/javascript; charset=utf-8", "crypto.randomUUID"},
		{"/demo/app.css", "text/css; charset=utf-8", ".captcha"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := do(engine, "GET", tt.path, "")
			if w.Code != 200 || w.Header().Get("Content-Type") != tt.contentType {
				t.Fatalf("GET %s: %d %q", tt.path, w.Code, w.Header().Get("Content-Type"))
			}
			if !strings.Contains(w.Body.String(), tt.contains) {
				t.Errorf("GET %s: body lacks %q", tt.path, tt.contains)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("GET %s: no nosniff", tt.path)
			}
		})
	}
	w := do(engine, "GET", "/", "")
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("page CSP = %q", csp)
	}
	// Offline: the page loads nothing from another origin.
	for _, path := range []string{"/", "/demo/app.js", "/demo/app.css"} {
		body := do(engine, "GET", path, "").Body.String()
		for _, s := range []string{"<script src=\"http", "href=\"http://", "url(http", "@import"} {
			if strings.Contains(body, s) {
				t.Errorf("%s refers to an external resource: %q", path, s)
			}
		}
	}
}

func TestDemoConfigRoute(t *testing.T) {
	tests := []struct {
		name string
		edit func(*appConfig, *ginsms.Config)
		want demoConfig
	}{
		{"defaults, demo off", nil, demoConfig{Prefix: "", SendInterval: 60, CodeLength: 6, CaptchaLength: 4, Demo: false, CaptchaKind: "image"}},
		{"demo on, prefix, other lengths", func(a *appConfig, c *ginsms.Config) {
			a.Demo, c.Routes.Prefix, c.SMS.SendInterval, c.SMS.CodeLength = true, "/api/v1", 90*time.Second, 4
		}, demoConfig{Prefix: "/api/v1", SendInterval: 90, CodeLength: 4, CaptchaLength: 4, Demo: true, CaptchaKind: "image"}},
		{"demo asked but a real sender", func(a *appConfig, c *ginsms.Config) {
			a.Demo = true
			c.Sender.Kind = "webhook"
			c.Sender.Webhook.URL = "http://127.0.0.1:1/sms"
			c.Sender.Webhook.Secret = "a-long-enough-shared-secret-0123456789"
		}, demoConfig{SendInterval: 60, CodeLength: 6, CaptchaLength: 4, Demo: false, CaptchaKind: "image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine, _ := demoEngine(t, tt.edit)
			w := do(engine, "GET", "/demo/config", "")
			var got demoConfig
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
				t.Fatalf("GET /demo/config: %d %s", w.Code, w.Body)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("config = %+v, want %+v", got, tt.want)
			}
			if w := do(engine, "GET", "/demo/messages?phone=13800138000", ""); (w.Code == 200) != tt.want.Demo {
				t.Errorf("GET /demo/messages: %d with demo %v", w.Code, tt.want.Demo)
			}
		})
	}
}

func TestDemoPhoneOn(t *testing.T) {
	tests := []struct {
		demo bool
		kind string
		want bool
	}{
		{true, "log", true},
		{true, " LOG ", true},
		{true, "", true},
		{false, "log", false},
		{true, "webhook", false},
		{true, "twilio", false},
	}
	for _, tt := range tests {
		cfg := ginsms.DefaultConfig()
		cfg.Sender.Kind = tt.kind
		if got := demoPhoneOn(appConfig{Demo: tt.demo}, cfg); got != tt.want {
			t.Errorf("demo %v, kind %q: %v, want %v", tt.demo, tt.kind, got, tt.want)
		}
	}
}

// The whole flow through the demo phone: the code the page shows is the one stored.
func TestDemoMessagesRoute(t *testing.T) {
	engine, mr := demoEngine(t, func(a *appConfig, _ *ginsms.Config) { a.Demo = true })
	const uuid, phone, other = "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "13800138000", "13900139000"

	if w := do(engine, "GET", "/demo/messages?phone="+phone, ""); w.Code != 200 || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Fatalf("empty inbox: %d %s", w.Code, w.Body)
	}
	do(engine, "GET", "/image_codes/"+uuid, "")
	answer, err := mr.Get("img_" + uuid)
	if err != nil {
		t.Fatal(err)
	}
	if w := do(engine, "POST", "/sms_codes/"+phone, url.Values{"imgcode": {answer}, "uuid": {uuid}}.Encode()); jsonCode(t, w) != 200 {
		t.Fatalf("send: %s", w.Body)
	}
	stored, err := mr.Get("sms_" + phone)
	if err != nil {
		t.Fatal(err)
	}

	w := do(engine, "GET", "/demo/messages?phone="+phone, "")
	var msgs []demoMessage
	if err := json.Unmarshal(w.Body.Bytes(), &msgs); err != nil {
		t.Fatalf("messages: %v %s", err, w.Body)
	}
	if len(msgs) != 1 || msgs[0].Phone != phone || msgs[0].Code != stored || !strings.Contains(msgs[0].Text, stored) ||
		msgs[0].TTLSeconds != 60 || time.Since(msgs[0].At) > time.Minute {
		t.Fatalf("messages = %+v, want one with code %s", msgs, stored)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
	}
	if w := do(engine, "GET", "/demo/messages?phone="+other, ""); strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("another phone's inbox: %s", w.Body)
	}
	if w := do(engine, "GET", "/demo/messages", ""); w.Code != 400 || jsonCode(t, w) != 4001 {
		t.Errorf("no phone: %d %s", w.Code, w.Body)
	}
	if w := do(engine, "GET", "/demo/messages?phone="+strings.Repeat("1", 40), ""); w.Code != 400 || jsonCode(t, w) != 4005 {
		t.Errorf("oversized phone: %d %s", w.Code, w.Body)
	}
	w = do(engine, "POST", "/register", url.Values{"phone": {phone}, "sms_code": {msgs[0].Code}}.Encode())
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"registered":"`+phone+`"`) {
		t.Fatalf("register with the inbox's code: %s", w.Body)
	}
}

type sendErr struct{ err error }

func (s sendErr) Send(context.Context, sender.Message) error { return s.err }

func TestDemoInbox(t *testing.T) {
	inbox := newDemoInbox(sendErr{}, 50, time.Minute)
	ctx := context.Background()
	for i := range 60 {
		phone := "13800138000"
		if i%2 == 1 {
			phone = "13900139000"
		}
		if err := inbox.Send(ctx, sender.Message{Phone: phone, Code: fmt.Sprintf("%06d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := inbox.Messages("13800138000")
	if len(got) != 25 || got[0].Code != "000058" || got[24].Code != "000010" {
		t.Fatalf("kept %d messages for the phone, newest %v oldest %v; want 25 of the last 50, newest first",
			len(got), got[0].Code, got[len(got)-1].Code)
	}
	if got := inbox.Messages("13700137000"); got == nil || len(got) != 0 {
		t.Errorf("unknown phone: %#v, want an empty, non-nil slice", got)
	}

	boom := errors.New("provider down")
	failing := newDemoInbox(sendErr{boom}, 50, time.Minute)
	if err := failing.Send(ctx, sender.Message{Phone: "13800138000", Code: "123456"}); !errors.Is(err, boom) {
		t.Fatalf("Send = %v, want the next sender's error", err)
	}
	if got := failing.Messages("13800138000"); len(got) != 0 {
		t.Errorf("a failed send was recorded: %+v", got)
	}
}

// In demo mode a captcha's answer can be read back, to try the API by hand with curl.
func TestDemoCaptchaAnswer(t *testing.T) {
	engine, mr := demoEngine(t, func(a *appConfig, _ *ginsms.Config) { a.Demo = true })
	const uuid = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
	do(engine, "GET", "/image_codes/"+uuid, "")
	stored, _ := mr.Get("img_" + uuid)
	if w := do(engine, "GET", "/demo/captcha?uuid="+uuid, ""); w.Code != 200 || w.Body.String() != `{"answer":"`+stored+`"}` {
		t.Fatalf("answer: %d %s, want %s", w.Code, w.Body, stored)
	}
	if w := do(engine, "GET", "/demo/captcha?uuid=*", ""); jsonCode(t, w) != 4005 {
		t.Fatalf("bad uuid: %s", w.Body)
	}
	off, _ := demoEngine(t, nil)
	if w := do(off, "GET", "/demo/captcha?uuid="+uuid, ""); w.Code != 404 {
		t.Fatalf("outside demo mode: %d", w.Code)
	}
}
