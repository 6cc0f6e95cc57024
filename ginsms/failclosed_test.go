package ginsms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/middleware"
)

// A custom ErrorHandler that only writes an answer, and never calls c.Abort(), must not
// let a request through a guard: with Redis down, no protected handler runs, on any route
// and with any guard, and a handler that writes nothing still leaves 5002.
func TestGuardsAbortWhateverTheErrorHandler(t *testing.T) {
	handlers := []struct {
		name   string
		handle middleware.ErrorHandler
		status int
	}{
		{"writes JSON", func(c *gin.Context, _ error) { c.JSON(http.StatusServiceUnavailable, gin.H{"down": true}) }, http.StatusServiceUnavailable},
		{"calls Next", func(c *gin.Context, _ error) { c.Next() }, http.StatusServiceUnavailable},
		{"does nothing", func(*gin.Context, error) {}, http.StatusServiceUnavailable},
	}
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			cfg := ginsms.DefaultConfig()
			cfg.Sender.Custom = &recordingSender{}
			cfg.ErrorHandler = h.handle
			router := gin.New()
			sms, err := ginsms.Register(router, redistest.DeadClient(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			var ran atomic.Int32
			protected := func(c *gin.Context) { ran.Add(1); c.String(http.StatusOK, "protected") }
			// The Service's guards, each alone behind the validation: validate, limit, check.
			guards := sms.SendGuards()
			validate, limit, guard := guards[0], guards[1], guards[2]
			router.POST("/register", sms.RequireSMSCode(middleware.FieldNames{}), func(c *gin.Context) {
				phone, ok := ginsms.VerifiedPhone(c)
				if !ok {
					t.Errorf("the handler behind RequireSMSCode ran without a verified phone")
				}
				ran.Add(1)
				c.String(http.StatusOK, "registered "+phone)
			})
			router.POST("/limited/:phone", validate, limit, protected)
			router.POST("/guarded/:phone", validate, guard, protected)
			const uuid = "2c4e3b3a-5d6f-4a1b-9c8d-7e6f5a4b3c2d"
			for _, r := range []struct{ method, target, body string }{
				{"POST", "/register", "phone=" + testPhone + "&sms_code=123456"},
				{"POST", "/limited/" + testPhone, "uuid=" + uuid + "&imgcode=1234"},
				{"POST", "/guarded/" + testPhone, "uuid=" + uuid + "&imgcode=1234"},
				{"POST", "/sms_codes/" + testPhone, "uuid=" + uuid + "&imgcode=1234"},
				{"POST", "/sms_codes/" + testPhone + "/verify", "sms_code=123456"},
				{"GET", "/image_codes/" + uuid, ""},
				{"GET", "/image_codes/" + uuid + "/audio", ""},
			} {
				ct := ""
				if r.body != "" {
					ct = "application/x-www-form-urlencoded"
				}
				a := performRequest(router, r.method, r.target, ct, r.body)
				if a.Status != h.status || strings.Contains(a.Body, "protected") || strings.Contains(a.Body, "registered") || a.Body == "" {
					t.Errorf("%s %s with Redis down = %d %q, want %d and the error handler's answer (or 5002)", r.method, r.target, a.Status, a.Body, h.status)
				}
			}
			if n := ran.Load(); n != 0 {
				t.Fatalf("a protected handler ran %d times with Redis down", n)
			}
		})
	}
}

// A client address that is not an IP ("" from a unix-socket listener, "<nil>") is counted
// in one shared bucket of the per-IP quotas, never exempt; the Service warns once and the
// observer hears every such request.
func TestUnknownClientIsCounted(t *testing.T) {
	onTopologies(t, func(t *testing.T, top topology) {
		var logs bytes.Buffer
		var mu sync.Mutex
		var unknown atomic.Int32
		e := newEnvOn(t, top, func(c *ginsms.Config) {
			c.SMS.HourlyLimitPerIP = 2
			c.SMS.HourlyVerifyLimitPerIP = 3
			c.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
			c.Observer.UnknownClient = func() { unknown.Add(1) }
		})
		ctx := context.Background()
		sent := 0
		for i, ip := range []string{"", "<nil>", "", "not-an-ip", ""} {
			if err := e.service.SendCode(ctx, "1380013800"+string(rune('0'+i)), ip); err == nil {
				sent++
			}
		}
		if sent != 2 {
			t.Errorf("hourly_limit_per_ip 2: %d of 5 sends from clients without an IP went out, want 2", sent)
		}
		// Over HTTP: a unix-socket listener gives the request no remote address.
		e.seedCaptcha(uuidN(1), "1234")
		a := performRequest(e.router, "GET", "/sms_codes/13900139000?imgcode=1234&uuid="+uuidN(1), "", "", "RemoteAddr", "")
		if a.Code != 4004 {
			t.Errorf("send over HTTP without a client address, bucket used up = %d, want 4004", a.Code)
		}
		tries := 0
		for range 5 {
			if a := performRequest(e.router, "POST", "/sms_codes/13900139001/verify", "application/x-www-form-urlencoded",
				"sms_code=123456", "RemoteAddr", ""); a.Code != 4004 {
				tries++
			}
		}
		if tries != 3 {
			t.Errorf("hourly_verify_limit_per_ip 3: %d of 5 verifies without a client address were tried, want 3", tries)
		}
		if n := unknown.Load(); n != 5+1+5 {
			t.Errorf("observer heard %d unknown clients, want 11 (5 SendCode, 1 send route, 5 verify)", n)
		}
		mu.Lock()
		defer mu.Unlock()
		if n := strings.Count(logs.String(), "not an IP"); n != 1 {
			t.Errorf("%d warnings about client addresses, want exactly 1:\n%s", n, logs.String())
		}
		if _, ok := e.get("sms_ip:unknown"); !ok {
			t.Errorf("no shared bucket sms_ip:unknown; keys: %v", e.keys())
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A webhook receiver (or the gateway in front of it) that answers 5xx may have sent the
// SMS: the send is kept (5001 with Retry-After, the code still verifies) and no second SMS
// goes out within the interval. A 4xx is a refusal, taken back. Each message has an id of
// its own.
func TestWebhookServerErrorIsUnknown(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	status := http.StatusBadGateway
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ID, Code string
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		ids = append(ids, body.ID)
		st := status
		mu.Unlock()
		w.WriteHeader(st)
	}))
	defer srv.Close()
	e := newEnv(t, func(c *ginsms.Config) {
		c.Sender.Custom = nil
		c.Sender.Kind = "webhook"
		c.Sender.Webhook.URL = srv.URL
		c.Sender.Webhook.Secret = "0123456789abcdef0123456789abcdef"
	})
	e.seedCaptcha(uuidN(1), "1234")
	a := e.sendGET(testPhone, uuidN(1), "1234")
	if a.Code != 5001 || a.RetryAfter == "" {
		t.Fatalf("send answered 502 by the gateway = %d (Retry-After %q), want 5001 with Retry-After", a.Code, a.RetryAfter)
	}
	if _, ok := e.get("is_send_" + testPhone); !ok {
		t.Fatal("flag taken back after a 502: a second SMS could follow at once")
	}
	e.seedCaptcha(uuidN(2), "1234")
	if a := e.sendGET(testPhone, uuidN(2), "1234"); a.Code != 4004 {
		t.Fatalf("second send after a 502 = %d, want 4004", a.Code)
	}
	mu.Lock()
	status = http.StatusBadRequest
	mu.Unlock()
	e.seedCaptcha(uuidN(3), "1234")
	if a := e.sendGET("13900139000", uuidN(3), "1234"); a.Code != 5001 || a.RetryAfter != "" {
		t.Fatalf("send answered 400 = %d (Retry-After %q), want 5001 without Retry-After", a.Code, a.RetryAfter)
	}
	if _, ok := e.get("is_send_13900139000"); ok {
		t.Fatal("flag kept after a 400: the refusal was not taken back")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || ids[0] == "" || ids[0] == ids[1] {
		t.Fatalf("receiver got ids %q, want 2 distinct ids (one per message)", ids)
	}
}

// Templates under which two keys of the Service coincide are refused by Validate and New,
// naming both: a flag_key that is the per-phone daily counter would switch that quota off.
func TestCollidingTemplatesRefused(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*ginsms.Config)
		want   []string
	}{
		{"flag is the daily counter", func(c *ginsms.Config) { c.SMS.FlagKey = "sms_%s:daily" },
			[]string{"sms.flag_key", `sms.key + ":daily"`, "sms_0:daily"}},
		{"flag is the tries counter", func(c *ginsms.Config) { c.SMS.FlagKey = "sms_%s:tries" },
			[]string{"sms.flag_key", `sms.key + ":tries"`}},
		{"flag is the per-IP counter", func(c *ginsms.Config) { c.SMS.FlagKey = "sms_ip:%s" },
			[]string{"sms.flag_key", "ip:<ip>"}},
		{"captcha answers in the code keys", func(c *ginsms.Config) { c.Captcha.Key = "sms_%s" },
			[]string{"sms.key", "captcha.key"}},
		{"code under the captcha counters", func(c *ginsms.Config) { c.SMS.Key = "img_ip_%s"; c.SMS.FlagKey = "f_%s" },
			[]string{"sms.key", `captcha.key with "ip_<ip>"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ginsms.DefaultConfig()
			cfg.Sender.Custom = &recordingSender{}
			tt.mutate(&cfg)
			for what, err := range map[string]error{"Validate": cfg.Validate(), "New": func() error {
				_, err := ginsms.New(redistest.DeadClient(t), cfg)
				return err
			}()} {
				if !errors.Is(err, ginsms.ErrInvalidConfig) {
					t.Fatalf("%s = %v, want ErrInvalidConfig", what, err)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s = %v, want it to name %s", what, err, w)
					}
				}
			}
		})
	}
	if err := ginsms.DefaultConfig().Validate(); err != nil {
		t.Fatalf("default templates: %v", err)
	}
}

// A field past the first 64 KiB of a body cannot be read: the request is malformed (4005),
// never missing (4001), and the captcha is left alone.
func TestFieldPastTheLookaheadIsMalformed(t *testing.T) {
	e := newEnv(t, nil)
	e.seedCaptcha(uuidN(1), "1234")
	pad := strings.Repeat("p", 70<<10)
	a := performRequest(e.router, "POST", "/sms_codes/"+testPhone, "application/json",
		`{"uuid":"`+uuidN(1)+`","pad":"`+pad+`","imgcode":"1234"}`)
	if a.Code != 4005 {
		t.Fatalf("send with imgcode past 64 KiB = %d, want 4005", a.Code)
	}
	if _, ok := e.get("img_" + uuidN(1)); !ok {
		t.Fatal("the captcha was consumed by a request that could not be read")
	}
	a = performRequest(e.router, "POST", "/sms_codes/"+testPhone+"/verify", "application/x-www-form-urlencoded",
		"pad="+pad+"&sms_code=123456")
	if a.Code != 4005 {
		t.Fatalf("verify with sms_code past 64 KiB = %d, want 4005", a.Code)
	}
}

// sms.replica_acks must be acknowledged by the phone's primary alone. Through an
// autopipeliner over a Cluster, WAIT would land on any master, which acknowledges writes
// it never saw (a false 200): every send answers 5002 and nothing is sent, even when the
// application never called Check. Through the ClusterClient itself, sends go out.
func TestReplicaAcksNeverFromAnotherNode(t *testing.T) {
	cc := redistest.ClusterClient(t)
	ap, err := cc.AsyncAutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvServing(t, cluster, cc, ap, func(c *ginsms.Config) { c.SMS.ReplicaAcks = 1; c.SMS.ReplicaAckTimeout = time.Second })
	for i := range 6 {
		e.seedCaptcha(uuidN(i), "1234")
		phone := "1380013800" + string(rune('0'+i))
		if a := e.sendGET(phone, uuidN(i), "1234"); a.Code != 5002 {
			t.Errorf("send %d through an autopipeliner over a cluster with replica_acks = %d, want 5002", i, a.Code)
		}
		if _, ok := e.get("is_send_" + phone); ok {
			t.Errorf("send %d left its flag: nothing was sent, the user may retry", i)
		}
	}
	if n := len(e.sender.all()); n != 0 {
		t.Fatalf("%d SMS sent without a primary's acknowledgement", n)
	}
	direct := newEnvOn(t, cluster, func(c *ginsms.Config) { c.SMS.ReplicaAcks = 1; c.SMS.ReplicaAckTimeout = time.Second })
	direct.seedCaptcha(uuidN(1), "1234")
	if a := direct.sendGET(testPhone, uuidN(1), "1234"); a.Code != 200 {
		t.Fatalf("send through the ClusterClient with replica_acks = %d, want 200", a.Code)
	}
}

// New refuses a Ring (a shard that stops answering has its phones hashed onto the other
// shards, where no flag or quota exists), and sms.replica_acks with a client whose WAIT
// it cannot route.
func TestRingAndUnroutableWaitRefused(t *testing.T) {
	addr := redistest.Addr(t)
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": addr, "b": addr}})
	defer ring.Close()
	cfg := ginsms.DefaultConfig()
	cfg.Sender.Custom = &recordingSender{}
	cfg.SMS.Key, cfg.SMS.FlagKey = "sms_{%s}", "is_send_{%s}"
	if _, err := ginsms.New(ring, cfg); !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), "Ring") {
		t.Fatalf("New on a Ring = %v, want a refusal naming the Ring", err)
	}
	cfg.SMS.ReplicaAcks = 1
	if _, err := ginsms.New(wrapped{redistest.DeadClient(t)}, cfg); !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), "sms.replica_acks") {
		t.Fatalf("New with replica_acks on a client of unknown type = %v, want a refusal", err)
	}
	if _, err := ginsms.New(wrapped{redistest.DeadClient(t)}, ginsms.DefaultConfig()); err != nil {
		t.Fatalf("New without replica_acks on a wrapped client = %v", err)
	}
}

// wrapped is an application's own client type around a go-redis client.
type wrapped struct{ *redis.Client }

// NewRedisClient dials once within a second and lets the context (each step's deadline)
// end every wait, so a hung node fails requests fast; a replica_ack_timeout that the
// client's ReadTimeout would cut short is refused rather than failing every send.
func TestRedisClientTimeouts(t *testing.T) {
	for _, rc := range []ginsms.RedisConfig{{Addr: "127.0.0.1:1"}, {Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}},
		{Addrs: []string{"127.0.0.1:1"}, MasterName: "m"}} {
		rdb := config.NewRedisClient(rc)
		var dial time.Duration
		var tries int
		var ctxTimeout bool
		switch c := rdb.(type) {
		case *redis.Client:
			o := c.Options()
			dial, tries, ctxTimeout = o.DialTimeout, o.DialerRetries, o.ContextTimeoutEnabled
		case *redis.ClusterClient:
			o := c.Options()
			dial, tries, ctxTimeout = o.DialTimeout, o.DialerRetries, o.ContextTimeoutEnabled
		}
		_ = rdb.Close()
		if dial <= 0 || dial > time.Second || tries != 1 || !ctxTimeout {
			t.Errorf("%+v: dial %v, %d tries, context timeouts %v; want at most 1 s, once, on", rc, dial, tries, ctxTimeout)
		}
	}
	rdb := config.NewRedisClient(ginsms.RedisConfig{Addr: redistest.DeadAddr})
	defer rdb.Close()
	cfg := ginsms.DefaultConfig()
	cfg.Sender.Custom = &recordingSender{}
	cfg.SMS.ReplicaAcks, cfg.SMS.ReplicaAckTimeout = 1, 10*time.Second
	if _, err := ginsms.New(rdb, cfg); !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), "sms.replica_ack_timeout") {
		t.Fatalf("New with replica_ack_timeout 10s over go-redis's ReadTimeout = %v, want a refusal", err)
	}
	cfg.SMS.ReplicaAckTimeout = 100 * time.Millisecond
	if _, err := ginsms.New(rdb, cfg); err != nil {
		t.Fatalf("New with replica_ack_timeout 100ms = %v", err)
	}
}
