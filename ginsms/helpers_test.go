package ginsms_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
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

// topology is a Redis deployment the contract suite runs on: the single server, the
// Cluster (with hash-tagged templates, as ginsms requires there) or the Sentinel set that
// `make test` starts.
type topology struct {
	name     string
	hashTags bool
	// dial returns a client of the topology with go-redis's default options, dialing
	// through dialer when it is not nil.
	dial func(tb testing.TB, dialer func(context.Context, string, string) (net.Conn, error)) redis.UniversalClient
}

func (top topology) client(tb testing.TB) redis.UniversalClient { return top.dial(tb, nil) }

var (
	single = topology{name: "single", dial: func(tb testing.TB, d func(context.Context, string, string) (net.Conn, error)) redis.UniversalClient {
		rdb, _ := redistest.Client(tb, func(o *redis.Options) { o.Dialer = d })
		return rdb
	}}
	cluster = topology{name: "cluster", hashTags: true, dial: func(tb testing.TB, d func(context.Context, string, string) (net.Conn, error)) redis.UniversalClient {
		return redistest.ClusterClient(tb, func(o *redis.ClusterOptions) { o.Dialer = d })
	}}
	sentinel = topology{name: "sentinel", dial: func(tb testing.TB, d func(context.Context, string, string) (net.Conn, error)) redis.UniversalClient {
		return redistest.FailoverClient(tb, func(o *redis.FailoverOptions) { o.Dialer = d })
	}}
)

// onTopologies runs f as a subtest on each topology.
func onTopologies(t *testing.T, f func(t *testing.T, top topology)) {
	for _, top := range []topology{single, cluster, sentinel} {
		t.Run(top.name, func(t *testing.T) { f(t, top) })
	}
}

// env is one test's world: a router with ginsms mounted on a real Redis, with key
// templates under a random prefix.
type env struct {
	t       testing.TB
	router  *gin.Engine
	rdb     redis.UniversalClient // reads and writes keys for the test
	prefix  string
	top     topology
	sender  *recordingSender
	service *ginsms.Service
	cfg     ginsms.Config
}

func testConfig(prefix string, top topology) ginsms.Config {
	cfg := ginsms.DefaultConfig()
	cfg.Captcha.Key = prefix + "img_%s"
	cfg.SMS.Key = prefix + "sms_%s"
	cfg.SMS.FlagKey = prefix + "is_send_%s"
	if top.hashTags {
		cfg.SMS.Key = prefix + "sms_{%s}"
		cfg.SMS.FlagKey = prefix + "is_send_{%s}"
	}
	return cfg
}

func newEnv(t testing.TB, mutate func(*ginsms.Config)) *env {
	t.Helper()
	return newEnvOn(t, single, mutate)
}

// newEnvOn mounts ginsms on a client of top.
func newEnvOn(t testing.TB, top topology, mutate func(*ginsms.Config)) *env {
	t.Helper()
	rdb := top.client(t)
	return newEnvServing(t, top, rdb, rdb, mutate)
}

func newEnvWith(t testing.TB, rdb *redis.Client, mutate func(*ginsms.Config)) *env {
	t.Helper()
	return newEnvServing(t, single, rdb, rdb, mutate)
}

// newEnvServing mounts ginsms on serving (such as an autopipeliner), and checks keys
// through rdb. The recording sender is the Service's unless mutate sets another.
func newEnvServing(t testing.TB, top topology, rdb, serving redis.UniversalClient, mutate func(*ginsms.Config)) *env {
	t.Helper()
	prefix := redistest.Prefix()
	cfg := testConfig(prefix, top)
	e := &env{t: t, router: gin.New(), rdb: rdb, prefix: prefix, top: top, sender: &recordingSender{}}
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

// key turns a key as the default templates name it ("sms_13800138000:daily",
// "is_send_13800138000", "sms_ip:192.0.2.1", "img_<uuid>") into this test's key.
func (e *env) key(name string) string {
	if e.top.hashTags {
		switch {
		case strings.HasPrefix(name, "is_send_"):
			name = "is_send_{" + strings.TrimPrefix(name, "is_send_") + "}"
		case strings.HasPrefix(name, "sms_"):
			id, suffix := strings.TrimPrefix(name, "sms_"), ""
			for _, s := range []string{":tries", ":daily", ":known", ":blocked"} {
				if strings.HasSuffix(id, s) {
					id, suffix = strings.TrimSuffix(id, s), s
				}
			}
			name = "sms_{" + id + "}" + suffix
		}
	}
	return e.prefix + name
}

// name is the inverse of key.
func (e *env) name(key string) string {
	key = strings.TrimPrefix(key, e.prefix)
	return strings.NewReplacer("{", "", "}", "").Replace(key)
}

// scan calls f with every key of this test, on every master of a Cluster.
func (e *env) scan(f func(ctx context.Context, rdb redis.UniversalClient, key string)) {
	ctx := context.Background()
	each := func(ctx context.Context, rdb redis.UniversalClient) error {
		iter := rdb.Scan(ctx, 0, e.prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			f(ctx, rdb, iter.Val())
		}
		return iter.Err()
	}
	if cc, ok := e.rdb.(*redis.ClusterClient); ok {
		_ = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return each(ctx, node) })
		return
	}
	_ = each(ctx, e.rdb)
}

// deleteKeys removes this test's keys (never FLUSHDB: the server may be shared).
func (e *env) deleteKeys() {
	e.scan(func(ctx context.Context, rdb redis.UniversalClient, key string) { rdb.Del(ctx, key) })
}

// keys returns this test's keys, as the default templates name them.
func (e *env) keys() []string {
	var mu sync.Mutex
	var out []string
	e.scan(func(_ context.Context, _ redis.UniversalClient, key string) {
		mu.Lock()
		out = append(out, e.name(key))
		mu.Unlock()
	})
	return out
}

// seedCaptcha stores answer for uuid as the image route would.
func (e *env) seedCaptcha(uuid, answer string) {
	e.t.Helper()
	if err := e.rdb.Set(context.Background(), e.key("img_"+uuid), answer, 300*time.Second).Err(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) get(name string) (string, bool) {
	v, err := e.rdb.Get(context.Background(), e.key(name)).Result()
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
