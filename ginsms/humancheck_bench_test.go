package ginsms_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/altchasolve"
	"github.com/ginsms/ginsms/internal/redistest"
)

// benchKind is one human-check kind of BenchmarkHumanCheck: its configuration, and the
// query strings that carry n distinct right proofs (made before the timer starts).
type benchKind struct {
	name       string
	edit       func(*ginsms.Config)
	proofs     func(b *testing.B, e *env, n int) []string
	siteverify bool // each send asks the stub once
}

// BenchmarkHumanCheck is the whole successful send route once per human-check kind, quotas
// and the destination guard off (as BenchmarkSendSuccess), one send at a time: what each
// kind costs a send in process (ns/op, mostly waiting for Redis; B/op, allocs/op; and
// cpu-ns/op, the CPU this process used, on all threads), and on the redis-server the
// round trips, the commands and the Redis process's CPU per send (redis-cpu-ns/op: the
// whole server's, so run it on a server of its own). The provider kinds ask a local stub
// of siteverify that answers success in a process of its own (this test binary again):
// the in-process figures hold our side of the HTTP call only, ns/op the stub's latency on
// loopback rather than a real provider's.
func BenchmarkHumanCheck(b *testing.B) {
	stub, calls := startSiteVerifyStub(b)
	token := func(prefix string) func(*testing.B, *env, int) []string {
		return func(_ *testing.B, _ *env, n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprintf("captcha_token=%s.%d", prefix, i)
			}
			return out
		}
	}
	for _, k := range []benchKind{
		{name: "image", proofs: func(_ *testing.B, e *env, n int) []string {
			e.seedCaptchas(0, n)
			out := make([]string, n)
			for i := range out {
				out[i] = "imgcode=1234&uuid=" + uuidN(i)
			}
			return out
		}},
		{name: "altcha", edit: func(c *ginsms.Config) {
			altchaKind(c)
			c.Captcha.Altcha.MaxNumber = 1000 // the least: the server checks one hash whatever it is
		}, proofs: altchaProofs},
		{captcha.KindTurnstile, providerAt(captcha.KindTurnstile, stub), token("t"), true},
		{captcha.KindHCaptcha, providerAt(captcha.KindHCaptcha, stub), token("h"), true},
		{captcha.KindRecaptcha, providerAt(captcha.KindRecaptcha, stub), token("r"), true},
	} {
		b.Run(k.name, func(b *testing.B) { benchHumanCheck(b, k, calls) })
	}
}

func benchHumanCheck(b *testing.B, k benchKind, providerCalls func() int64) {
	e := newEnv(b, func(c *ginsms.Config) {
		noQuotas(c)
		if k.edit != nil {
			k.edit(c)
		}
	})
	e.sender.discard = true
	// One proof more than b.N: the first send warms up (each script meets the server once
	// by EVAL, and the HTTP client dials the stub) and is not counted.
	proofs := k.proofs(b, e, b.N+1)
	targets := make([]string, len(proofs))
	for i := range targets {
		targets[i] = fmt.Sprintf("/sms_codes/139%08d?%s", i, proofs[i])
	}
	// One recorder for all sends, as BenchmarkSendSuccess: it keeps the first status it
	// was given, so each answer is judged by its body, which says 200 only on success.
	w := httptest.NewRecorder()
	success := []byte(`{"code":200,`)
	send := func(i int) {
		w.Body.Reset()
		e.router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, targets[i], nil))
		if w.Code != http.StatusOK || !bytes.HasPrefix(w.Body.Bytes(), success) { // a broken setup must not report a fast refusal
			b.Fatalf("%s send %d = %d %s", k.name, i, w.Code, w.Body)
		}
	}
	commands := &commandNames{}
	e.rdb.AddHook(commands)
	send(b.N)
	if testing.Verbose() {
		b.Logf("%s: one send's round trips: %s", k.name, commands)
	}
	commands.off()
	counter := &redistest.CommandCounter{}
	e.rdb.AddHook(counter)
	calls := providerCalls()
	redis0 := redisCPU(b, e.rdb)
	counter.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	own0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		send(i)
	}
	own := processCPU(b) - own0
	b.StopTimer()
	rt, cmds := counter.Counts() // before INFO, which is one more round trip
	n := float64(b.N)
	b.ReportMetric(float64(rt)/n, "roundtrips/op")
	b.ReportMetric(float64(cmds)/n, "rediscmds/op")
	b.ReportMetric((redisCPU(b, e.rdb)-redis0)/n, "redis-cpu-ns/op")
	b.ReportMetric(own/n, "cpu-ns/op")
	if k.siteverify {
		if got := providerCalls() - calls; got != int64(b.N) {
			b.Fatalf("%d siteverify calls for %d sends", got, b.N)
		}
	}
}

// altchaProofs fetches n challenges from the router, as the widget does, and solves them
// on every core: the solving is the client's work and happens before the timer.
func altchaProofs(b *testing.B, e *env, n int) []string {
	proofs, err := altchasolve.SolveMany(n, func() ([]byte, error) {
		w := httptest.NewRecorder()
		e.router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/altcha_challenges/", nil))
		if w.Code != http.StatusOK {
			return nil, fmt.Errorf("GET /altcha_challenges/ = %d", w.Code)
		}
		return w.Body.Bytes(), nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return proofs
}

// redisCPU is the CPU time (user and system, ns) the redis-server process has used, from
// INFO cpu. It counts the whole server: run the benchmark on a server of its own.
func redisCPU(b *testing.B, rdb redis.UniversalClient) float64 {
	if _, ok := rdb.(*redis.Client); !ok {
		b.Fatal("redisCPU reads one server's INFO")
	}
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\r\n") {
		name, value, _ := strings.Cut(line, ":")
		if name == "used_cpu_sys" || name == "used_cpu_user" {
			s, err := strconv.ParseFloat(value, 64)
			if err != nil {
				b.Fatal(err)
			}
			total += s * 1e9
		}
	}
	if total == 0 {
		b.Fatal("INFO cpu has no used_cpu_sys or used_cpu_user")
	}
	return total
}

// commandNames is a go-redis hook that writes down the commands of each round trip until
// off is called, for the verbose log of what one send asks Redis.
type commandNames struct {
	stopped atomic.Bool // read without the lock: the measured sends pay one atomic load
	mu      sync.Mutex
	trips   []string
}

func (h *commandNames) off() { h.stopped.Store(true) }

func (h *commandNames) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.trips, " ")
}

func (h *commandNames) add(cmds ...redis.Cmder) {
	if h.stopped.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.Name()
	}
	h.trips = append(h.trips, "["+strings.Join(names, " ")+"]")
}

func (h *commandNames) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *commandNames) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.add(cmd); return next(ctx, cmd) }
}

func (h *commandNames) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.add(cmds...); return next(ctx, cmds) }
}

// processCPU is the CPU time (user and system, ns) this process has used, on all its
// threads. (The test servers' helpers already need a Unix.)
func processCPU(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return float64(ru.Utime.Nano() + ru.Stime.Nano())
}

// siteVerifyStubEnv, set, makes the test binary serve as the siteverify stub (TestMain).
const siteVerifyStubEnv = "GINSMS_TEST_SITEVERIFY_STUB"

// serveSiteVerifyStub answers every POST with success, as the three providers' siteverify
// would for a good token, and GET /calls with the number of POSTs so far; it prints its
// address and serves until its standard input closes.
func serveSiteVerifyStub() {
	var calls atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "siteverify stub:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); _ = ln.Close() }()
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			fmt.Fprint(w, calls.Load())
			return
		}
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"success":true,"hostname":"example.com"}`)
	}))
}

// startSiteVerifyStub starts serveSiteVerifyStub in a process of its own, so that its
// CPU and allocations are not the benchmark's, and returns its URL and a count of the
// siteverify calls it answered.
func startSiteVerifyStub(b *testing.B) (string, func() int64) {
	url := "http://" + startChild(b, "siteverify stub", siteVerifyStubEnv+"=1")
	return url, func() int64 {
		resp, err := http.Get(url + "/calls")
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			b.Fatalf("siteverify stub's count %q: %v", body, err)
		}
		return n
	}
}

// providerAt sets the provider kind with its siteverify at verifyURL.
func providerAt(kind, verifyURL string) func(*ginsms.Config) {
	return func(c *ginsms.Config) {
		c.Captcha.Kind = kind
		pc := captcha.ProviderConfig{Secret: "test-secret", VerifyURL: verifyURL, Timeout: 5 * time.Second}
		switch kind {
		case captcha.KindTurnstile:
			c.Captcha.Turnstile = pc
		case captcha.KindHCaptcha:
			c.Captcha.HCaptcha = pc
		case captcha.KindRecaptcha:
			c.Captcha.Recaptcha = pc
		}
	}
}
