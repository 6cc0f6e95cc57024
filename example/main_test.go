package main

import (
	"context"
	"encoding/json"
	"image/png"
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

	"github.com/ginsms/ginsms/ginsms"
)

type lastCode struct {
	mu   sync.Mutex
	code string
}

func (l *lastCode) Send(_ context.Context, _, code string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.code = code
	return nil
}

// The whole flow on the embedded Redis, as `make run` serves it: image, send, register.
func TestEmbeddedFlow(t *testing.T) {
	gin.SetMode(gin.TestMode)
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	cfg, err := ginsms.LoadConfig("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sender := &lastCode{}
	engine, err := newEngine(cfg, rdb, ginsms.WithSender(sender))
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
	w = do(engine, "POST", "/register", url.Values{"phone": {phone}, "sms_code": {sender.code}}.Encode())
	if code := jsonCode(t, w); code != 200 || !strings.Contains(w.Body.String(), phone) {
		t.Fatalf("register: %s", w.Body)
	}
	w = do(engine, "POST", "/register", url.Values{"phone": {phone}, "sms_code": {sender.code}}.Encode())
	if code := jsonCode(t, w); code != 4007 {
		t.Fatalf("second register with the same code: %s, want 4007", w.Body)
	}
}

// run starts on a fresh machine with no Redis configured, serves, and stops on SIGTERM.
func TestRunEmbeddedAndShutdown(t *testing.T) {
	t.Setenv("GINSMS_SERVER_ADDR", "127.0.0.1:0")
	t.Setenv("GINSMS_REDIS_ADDR", "")
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run("../config.yaml", ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
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
