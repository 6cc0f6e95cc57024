package ginsms_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/prommetrics"
)

// seedCaptchas stores n captchas "1234" for uuidN(base..base+n-1) in pipelined batches.
func (e *env) seedCaptchas(base, n int) {
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		pipe := e.rdb.Pipeline()
		for j := i; j < n && j < i+1000; j++ {
			pipe.Set(ctx, e.key("img_"+uuidN(base+j)), "1234", 10*time.Minute)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			e.t.Fatal(err)
		}
	}
}

func noQuotas(c *ginsms.Config) {
	c.SMS.DailyLimitPerPhone, c.SMS.HourlyLimitPerIP, c.SMS.DailyLimitTotal = 0, 0, 0
	c.Destination.Enabled = false
}

// allQuotas counts every quota but sets none low enough to refuse: the benchmark measures
// what counting costs.
func allQuotas(c *ginsms.Config) {
	c.SMS.DailyLimitPerPhone, c.SMS.HourlyLimitPerIP, c.SMS.DailyLimitTotal = 10, 1<<30, 1<<30
	c.Destination.RangeLimit, c.Destination.TotalLimit = 1<<30, 1<<30 // the destination guard counts
}

// benchSend measures the whole success path in process: validation, three Redis round
// trips (flag, captcha, store), the (recording) sender and the JSON answer.
func benchSend(b *testing.B, mutate func(*ginsms.Config)) { benchSendOn(b, single, mutate) }

func benchSendOn(b *testing.B, top topology, mutate func(*ginsms.Config)) {
	e := newEnvOn(b, top, mutate)
	e.sender.discard = true
	e.seedCaptchas(0, b.N)
	targets := make([]string, b.N)
	for i := range targets {
		targets[i] = fmt.Sprintf("/sms_codes/139%08d?imgcode=1234&uuid=%s", i, uuidN(i))
	}
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, targets[i], nil)
		w.Body.Reset()
		e.router.ServeHTTP(w, req)
	}
	b.StopTimer()
	if n := len(e.sender.all()); n != 0 {
		b.Fatalf("discarding sender recorded %d", n)
	}
}

func BenchmarkSendSuccess(b *testing.B)       { benchSend(b, noQuotas) }
func BenchmarkSendSuccessQuotas(b *testing.B) { benchSend(b, allQuotas) }

// BenchmarkSendSuccessGuard is BenchmarkSendSuccess with the destination guard counting
// (range and overall, limits that never refuse): what the guard costs a send.
func BenchmarkSendSuccessGuard(b *testing.B) {
	benchSend(b, func(c *ginsms.Config) {
		noQuotas(c)
		c.Destination.Enabled, c.Destination.RangeLimit, c.Destination.TotalLimit = true, 1<<30, 1<<30
	})
}

// BenchmarkSendReplicaAcks is the success path on the Sentinel set's primary, without and
// with a WAIT for its replica: what sms.replica_acks costs a send.
func BenchmarkSendReplicaAcks(b *testing.B) {
	redis.SetLogger(quiet{}) // the Sentinel client logs every master it finds
	for _, acks := range []int{0, 1} {
		b.Run(fmt.Sprintf("acks=%d", acks), func(b *testing.B) {
			benchSendOn(b, sentinel, func(c *ginsms.Config) { allQuotas(c); c.SMS.ReplicaAcks = acks })
		})
	}
}

// BenchmarkSendSuccessObserved is BenchmarkSendSuccess with the Prometheus observer: what
// the metrics cost.
func BenchmarkSendSuccessObserved(b *testing.B) {
	benchSend(b, func(c *ginsms.Config) { noQuotas(c); observed(b)(c) })
}

// observed sets the Prometheus observer, on a registry of its own.
func observed(b *testing.B) func(*ginsms.Config) {
	obs, err := prommetrics.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	return func(c *ginsms.Config) { c.Observer = obs }
}

// BenchmarkSendRejected: a rate-limited phone, the attacker's loop (one round trip).
func BenchmarkSendRejected(b *testing.B) { benchRejected(b, nil) }

// BenchmarkSendRejectedObserved is BenchmarkSendRejected with the Prometheus observer,
// where its share of a request is the largest.
func BenchmarkSendRejectedObserved(b *testing.B) { benchRejected(b, observed(b)) }

func benchRejected(b *testing.B, mutate func(*ginsms.Config)) {
	e := newEnv(b, mutate)
	e.rdb.Set(context.Background(), e.key("is_send_"+testPhone), "1", time.Hour)
	target := "/sms_codes/" + testPhone + "?imgcode=1234&uuid=" + uuidN(1)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Body.Reset()
		e.router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	}
	b.StopTimer()
	if w.Code != http.StatusTooManyRequests {
		b.Fatalf("status %d", w.Code)
	}
}

// BenchmarkVerifyWrong: a wrong code against a live one (one round trip, one script).
func BenchmarkVerify(b *testing.B) {
	e := newEnv(b, func(c *ginsms.Config) { c.SMS.MaxVerifyAttempts = 1 << 30 })
	e.rdb.Set(context.Background(), e.key("sms_"+testPhone), "654321", time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.service.Verify(ctx, testPhone, "123456", ""); err != ginsms.ErrCodeWrong {
			b.Fatal(err)
		}
	}
}
