package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/sender"
)

type lastCode struct {
	mu   sync.Mutex
	code string
}

func (l *lastCode) Send(_ context.Context, msg sender.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.code = msg.Code
	return nil
}

func (l *lastCode) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.code
}

// loadConfigs reads the shipped config.yaml as the example does.
// underPrefix puts the keys of cfg under prefix, this run's own: per-IP quotas start from
// zero and cleanup is exact.
func underPrefix(cfg *ginsms.Config, prefix string) {
	cfg.Captcha.Key = prefix + "img_%s"
	cfg.SMS.Key = prefix + "sms_%s"
	cfg.SMS.FlagKey = prefix + "is_send_%s"
}

func loadConfigs(t *testing.T) (appConfig, ginsms.Config) {
	t.Helper()
	app, err := loadAppConfig("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("../config.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	return app, cfg
}

// The whole flow on the embedded Redis, as `make run` serves it: image, send, register.
func TestEmbeddedFlow(t *testing.T) {
	gin.SetMode(gin.TestMode)
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	app, cfg := loadConfigs(t)
	sent := &lastCode{}
	cfg.Sender.Custom = sent
	engine, err := newEngine(app, cfg, rdb)
	if err != nil {
		t.Fatal(err)
	}
	const uuid, phone = "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "13800138000"

	w := do(engine, "GET", "/image_codes/"+uuid, "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("image: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if _, err := png.Decode(w.Body); err != nil {
		t.Fatalf("image is not a PNG: %v", err)
	}
	answer, err := mr.Get("img_" + uuid)
	if err != nil {
		t.Fatal(err)
	}
	w = do(engine, "GET", "/sms_codes/"+phone+"?imgcode="+answer+"&uuid="+uuid, "")
	if code := jsonCode(t, w); code != 200 {
		t.Fatalf("send: %d %s", code, w.Body)
	}
	w = do(engine, "POST", "/register", url.Values{"phone": {phone}, "sms_code": {sent.get()}}.Encode())
	if w.Code != 200 || !strings.Contains(w.Body.String(), phone) {
		t.Fatalf("register: %s", w.Body)
	}
	w = do(engine, "POST", "/register", url.Values{"phone": {phone}, "sms_code": {sent.get()}}.Encode())
	if code := jsonCode(t, w); code != 4007 {
		t.Fatalf("second register with the same code: %s, want 4007", w.Body)
	}
}

// run starts on a fresh machine with no Redis configured, serves, and stops on SIGTERM.
func TestRunEmbeddedAndShutdown(t *testing.T) {
	t.Setenv("GINSMS_SERVER_ADDR", "127.0.0.1:0")
	t.Setenv("GINSMS_REDIS_ADDR", "")
	addr, stop := startRun(t)
	resp, err := http.Get("http://" + addr + "/image_codes/1b4e28ba-2fa1-41d2-883f-0016d3cca427")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("image: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// With the embedded Redis the demo phone is on.
	resp, err = http.Get("http://" + addr + "/demo/config")
	if err != nil {
		t.Fatal(err)
	}
	var conf demoConfig
	err = json.NewDecoder(resp.Body).Decode(&conf)
	resp.Body.Close()
	if err != nil || !conf.Demo {
		t.Errorf("/demo/config with the embedded Redis: %+v, %v; want demo on", conf, err)
	}
	stop()
}

func do(h http.Handler, method, target, form string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(form))
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func jsonCode(t *testing.T, w *httptest.ResponseRecorder) int {
	t.Helper()
	var body struct {
		Code int `json:"code"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("not JSON: %q", w.Body)
	}
	return body.Code
}

// The embedded Redis lets time pass: after the send interval a resend is accepted, and
// a code expires with its TTL, as on a real Redis.
func TestEmbeddedRedisFollowsRealTime(t *testing.T) {
	gin.SetMode(gin.TestMode)
	app, cfg := loadConfigs(t)
	cfg.SMS.SendInterval, cfg.SMS.CodeTTL = time.Second, 2*time.Second
	sent := &lastCode{}
	cfg.Sender.Custom = sent
	rdb, _, closeRedis, err := connectRedis(ginsms.RedisConfig{}) // embedded
	if err != nil {
		t.Fatal(err)
	}
	defer closeRedis()
	engine, err := newEngine(app, cfg, rdb)
	if err != nil {
		t.Fatal(err)
	}
	const phone = "13800138000"
	send := func(i int) int {
		uuid := fmt.Sprintf("1b4e28ba-2fa1-41d2-883f-0016d3cca4%02d", i)
		do(engine, "GET", "/image_codes/"+uuid, "")
		answer, err := rdb.Get(context.Background(), "img_"+uuid).Result()
		if err != nil {
			t.Fatal(err)
		}
		return jsonCode(t, do(engine, "GET", "/sms_codes/"+phone+"?imgcode="+answer+"&uuid="+uuid, ""))
	}
	if code := send(1); code != 200 {
		t.Fatalf("first send: %d", code)
	}
	first := sent.get()
	if code := send(2); code != 4004 {
		t.Fatalf("resend at once: %d, want 4004", code)
	}
	time.Sleep(1200 * time.Millisecond)
	if code := send(3); code != 200 {
		t.Fatalf("resend after the interval: %d, want 200", code)
	}
	if first == sent.get() {
		t.Log("the two codes happen to be equal")
	}
	time.Sleep(2200 * time.Millisecond)
	w := do(engine, "POST", "/register", url.Values{"phone": {phone}, "sms_code": {sent.get()}}.Encode())
	if code := jsonCode(t, w); code != 4007 {
		t.Fatalf("register with a code past its TTL: %s, want 4007", w.Body)
	}
}

// /register reads a field of its own, username, from the body RequireSMSCode read first:
// JSON, form and multipart (with a file part bigger than what ginsms looks at).
func TestRegisterReadsItsOwnFields(t *testing.T) {
	gin.SetMode(gin.TestMode)
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	app, cfg := loadConfigs(t)
	cfg.SMS.SendInterval = time.Second
	sent := &lastCode{}
	cfg.Sender.Custom = sent
	engine, err := newEngine(app, cfg, rdb)
	if err != nil {
		t.Fatal(err)
	}
	multipartBody := func(phone, code string) (string, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("phone", phone)
		_ = w.WriteField("sms_code", code)
		fw, _ := w.CreateFormFile("avatar", "me.png")
		_, _ = fw.Write(bytes.Repeat([]byte{0x89}, 100<<10))
		_ = w.WriteField("username", "ann")
		_ = w.Close()
		return w.FormDataContentType(), b.String()
	}
	for i, kind := range []string{"json", "form", "multipart"} {
		phone := fmt.Sprintf("1380013800%d", i)
		uuid := fmt.Sprintf("1b4e28ba-2fa1-41d2-883f-0016d3cca4%02d", i)
		do(engine, "GET", "/image_codes/"+uuid, "")
		answer, _ := mr.Get("img_" + uuid)
		if code := jsonCode(t, do(engine, "GET", "/sms_codes/"+phone+"?imgcode="+answer+"&uuid="+uuid, "")); code != 200 {
			t.Fatalf("send: %d", code)
		}
		var ctype, body string
		switch kind {
		case "json":
			ctype, body = "application/json", `{"phone":"`+phone+`","sms_code":"`+sent.get()+`","username":"ann"}`
		case "form":
			ctype, body = "application/x-www-form-urlencoded", url.Values{"phone": {phone}, "sms_code": {sent.get()}, "username": {"ann"}}.Encode()
		case "multipart":
			ctype, body = multipartBody(phone, sent.get())
		}
		req := httptest.NewRequest("POST", "/register", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		engine.ServeHTTP(w, req)
		want := `{"registered":"` + phone + `","username":"ann"}`
		if w.Code != 200 || w.Body.String() != want {
			t.Errorf("%s: %d %s, want %s", kind, w.Code, w.Body, want)
		}
	}
}

// startRun starts run on config.yaml as main does and returns its address, and a function
// that sends SIGTERM and checks that run shuts down gracefully.
func startRun(t *testing.T) (addr string, stop func()) {
	t.Helper()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run("../config.yaml", ready) }()
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	return addr, func() {
		t.Helper()
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run after SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("server did not shut down")
		}
	}
}
