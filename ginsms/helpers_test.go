package ginsms_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/sender"
)

func init() { gin.SetMode(gin.TestMode) }

const testPhone = "13800138000"

// recordingSender keeps what it was asked to send, and fails while fail is set.
type recordingSender struct {
	mu      sync.Mutex
	sent    []sentSMS
	fail    error
	delay   time.Duration
	discard bool // benchmarks: keep nothing
}

type sentSMS struct{ phone, code, id string }

func (s *recordingSender) Send(ctx context.Context, msg sender.Message) error {
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if s.discard {
		return nil
	}
	s.sent = append(s.sent, sentSMS{msg.Phone, msg.Code, msg.ID})
	return nil
}

func (s *recordingSender) all() []sentSMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentSMS(nil), s.sent...)
}

// env is one test's world: a router with ginsms mounted on the real Redis, with key
// templates under a random prefix.
type env struct {
	t       testing.TB
	router  *gin.Engine
	rdb     *redis.Client
	prefix  string
	sender  *recordingSender
	service *ginsms.Service
	cfg     ginsms.Config
}

func testConfig(prefix string) ginsms.Config {
	cfg := ginsms.DefaultConfig()
	cfg.Captcha.Key = prefix + "img_%s"
	cfg.SMS.Key = prefix + "sms_%s"
	cfg.SMS.FlagKey = prefix + "is_send_%s"
	return cfg
}

func newEnv(t testing.TB, mutate func(*ginsms.Config)) *env {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	return newEnvWith(t, rdb, prefix, mutate)
}

func newEnvWith(t testing.TB, rdb *redis.Client, prefix string, mutate func(*ginsms.Config)) *env {
	t.Helper()
	return newEnvServing(t, rdb, rdb, prefix, mutate)
}

// newEnvServing mounts ginsms on serving (such as an autopipeliner), and checks keys
// through rdb. The recording sender is the Service's unless mutate sets another.
func newEnvServing(t testing.TB, rdb *redis.Client, serving redis.UniversalClient, prefix string, mutate func(*ginsms.Config)) *env {
	t.Helper()
	cfg := testConfig(prefix)
	e := &env{t: t, router: gin.New(), rdb: rdb, prefix: prefix, sender: &recordingSender{}}
	cfg.Sender.Custom = e.sender
	if mutate != nil {
		mutate(&cfg)
	}
	e.cfg = cfg
	svc, err := ginsms.Register(e.router, serving, cfg)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	e.service = svc
	t.Cleanup(func() { e.deleteKeys() })
	return e
}

// deleteKeys removes this test's keys (never FLUSHDB: the server may be shared).
func (e *env) deleteKeys() {
	ctx := context.Background()
	iter := e.rdb.Scan(ctx, 0, e.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		e.rdb.Del(ctx, iter.Val())
	}
}

// keys returns this test's keys.
func (e *env) keys() []string {
	ctx := context.Background()
	var out []string
	iter := e.rdb.Scan(ctx, 0, e.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		out = append(out, strings.TrimPrefix(iter.Val(), e.prefix))
	}
	return out
}

// seedCaptcha stores answer for uuid as the image route would.
func (e *env) seedCaptcha(uuid, answer string) {
	e.t.Helper()
	if err := e.rdb.Set(context.Background(), e.prefix+"img_"+uuid, answer, 300*time.Second).Err(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) get(key string) (string, bool) {
	v, err := e.rdb.Get(context.Background(), e.prefix+key).Result()
	if err == redis.Nil {
		return "", false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return v, true
}

type answer struct {
	Status     int
	Code       int    `json:"code"`
	ErrMsg     string `json:"errormsg"`
	RetryAfter string
	Body       string
}

func performRequest(h http.Handler, method, target, contentType, body string, header ...string) answer {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "RemoteAddr" {
			req.RemoteAddr = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	a := answer{Status: w.Code, RetryAfter: w.Header().Get("Retry-After"), Body: w.Body.String()}
	_ = json.Unmarshal(w.Body.Bytes(), &a)
	return a
}

// sendGET asks for a code the way the original client did.
func (e *env) sendGET(phone, uuid, answer string) answer {
	return performRequest(e.router, "GET", "/sms_codes/"+phone+"?imgcode="+answer+"&uuid="+uuid, "", "")
}

func uuidN(i int) string {
	const base = "00000000-0000-4000-8000-000000000000"
	s := []byte(base)
	for j := len(s) - 1; i > 0 && j >= 24; j-- {
		s[j] = "0123456789abcdef"[i%16]
		i /= 16
	}
	return string(s)
}
