package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/redistest"
)

// scrape GETs /metrics from h and returns every sample of the ginsms counters and the
// count of the ginsms histogram, as `name{label="value",...}` (labels sorted) → value,
// and the names of every family served.
func scrape(t *testing.T, h http.Handler) (samples map[string]float64, families map[string]bool) {
	t.Helper()
	w := do(h, "GET", "/metrics", "")
	if w.Code != 200 {
		t.Fatalf("/metrics: %d %s", w.Code, w.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(w.Body)
	if err != nil {
		t.Fatalf("/metrics is not the text exposition format: %v", err)
	}
	samples, families = map[string]float64{}, map[string]bool{}
	for name, mf := range mfs {
		families[name] = true
		if !strings.HasPrefix(name, "ginsms_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			pairs := make([]string, 0, len(m.GetLabel()))
			for _, p := range m.GetLabel() {
				pairs = append(pairs, fmt.Sprintf("%s=%q", p.GetName(), p.GetValue()))
			}
			sort.Strings(pairs)
			labels := "{" + strings.Join(pairs, ",") + "}"
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				samples[name+labels] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				samples[name+"_count"+labels] = float64(m.GetHistogram().GetSampleCount())
			default:
				t.Fatalf("%s: unexpected type %s", name, mf.GetType())
			}
		}
	}
	return samples, families
}

// The acceptance test of the metrics, on the real Redis: a scripted flow through the
// example's engine, then the exact value of every ginsms series /metrics serves.
func TestMetricsAfterFlow(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	t.Cleanup(func() { deleteKeys(t, rdb, prefix) })
	gin.SetMode(gin.TestMode)
	app, cfg := loadConfigs(t)
	app.Demo = false // the log sender itself, not the demo phone in front of it
	cfg.Sender.Kind, cfg.Sender.Custom = "log", nil
	cfg.Logger = slog.New(slog.DiscardHandler) // the log sender's codes stay out of the test output
	underPrefix(&cfg, prefix)
	engine, err := newEngine(app, cfg, rdb)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	uuid := func(i int) string { return fmt.Sprintf("1b4e28ba-2fa1-41d2-883f-0016d3cca4%02d", i) }
	answer := func(u string) string {
		t.Helper()
		a, err := rdb.Get(ctx, prefix+"img_"+u).Result()
		if err != nil {
			t.Fatalf("captcha %s: %v", u, err)
		}
		return a
	}
	expect := func(what string, w *httptest.ResponseRecorder, code int) {
		t.Helper()
		if got := jsonCode(t, w); got != code {
			t.Fatalf("%s: %d %s, want %d", what, got, w.Body, code)
		}
	}
	send := func(phone, u, imgcode string) *httptest.ResponseRecorder {
		return do(engine, "GET", "/sms_codes/"+phone+"?"+url.Values{"imgcode": {imgcode}, "uuid": {u}}.Encode(), "")
	}
	verify := func(phone, code string) *httptest.ResponseRecorder {
		return do(engine, "POST", "/sms_codes/"+phone+"/verify", url.Values{"sms_code": {code}}.Encode())
	}
	phones := []string{randomPhone(t), randomPhone(t), randomPhone(t), randomPhone(t)}

	for i := 1; i <= 2; i++ { // 2 images
		if w := do(engine, "GET", "/image_codes/"+uuid(i), ""); w.Code != 200 {
			t.Fatalf("image %d: %d %s", i, w.Code, w.Body)
		}
	}
	if err := rdb.Set(ctx, prefix+"img_"+uuid(3), "1234", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, prefix+"img_"+uuid(4), "1234", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	expect("send 1", send(phones[0], uuid(1), answer(uuid(1))), 200) // 3 sends that succeed
	expect("send 2", send(phones[1], uuid(2), answer(uuid(2))), 200)
	expect("send 3", send(phones[2], uuid(3), "1234"), 200)
	expect("wrong captcha", send(phones[3], uuid(4), "4321"), 4003)
	w := send(phones[0], uuid(5), "1234") // the interval refuses before the captcha is read
	expect("resend at once", w, 4004)
	if w.Header().Get("Retry-After") == "" {
		t.Error("4004 without Retry-After")
	}
	code, err := rdb.Get(ctx, prefix+"sms_"+phones[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	wrong := []byte(code)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	expect("wrong code", verify(phones[0], string(wrong)), 4006)
	expect("right code", verify(phones[0], code), 200)
	if w := do(engine, "GET", "/readyz", ""); w.Code != 200 { // Redis is up; moves no ginsms series
		t.Fatalf("/readyz with Redis up: %d %s", w.Code, w.Body)
	}

	got, families := scrape(t, engine)
	want := map[string]float64{
		`ginsms_requests_total{code="200",route="image"}`:                   2,
		`ginsms_requests_total{code="200",route="send"}`:                    3,
		`ginsms_requests_total{code="4003",route="send"}`:                   1,
		`ginsms_requests_total{code="4004",route="send"}`:                   1,
		`ginsms_requests_total{code="4006",route="verify"}`:                 1,
		`ginsms_requests_total{code="200",route="verify"}`:                  1,
		`ginsms_quota_refusals_total{quota="interval"}`:                     1,
		`ginsms_sms_sent_total{outcome="sent",sender="log"}`:                3,
		`ginsms_sender_duration_seconds_count{outcome="sent",sender="log"}`: 3,
		`ginsms_human_checks_total{kind="image",outcome="passed"}`:          3,
		`ginsms_human_checks_total{kind="image",outcome="refused"}`:         1,
		// Zeros that must be there, for rate() and the dashboard.
		`ginsms_requests_total{code="5002",route="send"}`:                      0,
		`ginsms_quota_refusals_total{quota="phone_daily"}`:                     0,
		`ginsms_quota_refusals_total{quota="ip_hourly"}`:                       0,
		`ginsms_quota_refusals_total{quota="total_daily"}`:                     0,
		`ginsms_quota_refusals_total{quota="captcha_ip"}`:                      0,
		`ginsms_quota_refusals_total{quota="verify_ip"}`:                       0,
		`ginsms_sms_sent_total{outcome="refused",sender="log"}`:                0,
		`ginsms_sms_sent_total{outcome="unknown",sender="log"}`:                0,
		`ginsms_sender_duration_seconds_count{outcome="refused",sender="log"}`: 0,
		`ginsms_sender_duration_seconds_count{outcome="unknown",sender="log"}`: 0,
		`ginsms_verify_attempts_exhausted_total{}`:                             0,
		`ginsms_storage_errors_total{op="captcha"}`:                            0,
		`ginsms_storage_errors_total{op="send_wait"}`:                          0,
		`ginsms_storage_errors_total{op="store"}`:                              0,
		`ginsms_storage_errors_total{op="take_back"}`:                          0,
		`ginsms_storage_errors_total{op="verify"}`:                             0,
		`ginsms_storage_errors_total{op="check"}`:                              0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %g (present: %v), want %g", k, g, ok, v)
		}
	}
	for k, v := range got {
		if _, listed := want[k]; !listed && v != 0 {
			t.Errorf("%s = %g, want 0", k, v)
		}
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_start_time_seconds"} {
		if !families[name] {
			t.Errorf("/metrics lacks %s (Go and process collectors)", name)
		}
	}
}

// /healthz answers while the process serves, whatever Redis does.
func TestHealthz(t *testing.T) {
	gin.SetMode(gin.TestMode)
	app, cfg := loadConfigs(t)
	engine, err := newEngine(app, cfg, redistest.DeadClient(t))
	if err != nil {
		t.Fatal(err)
	}
	w := do(engine, "GET", "/healthz", "")
	if w.Code != 200 || w.Body.String() != `{"status":"ok"}` || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("/healthz: %d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}

// /readyz is 200 on the real Redis and on the embedded one (Check passes on miniredis),
// 503 with the contract's JSON when Redis is unreachable, in legacy_status mode too, with
// a configured text; each failed Check is counted as a storage error of op "check".
func TestReadyz(t *testing.T) {
	gin.SetMode(gin.TestMode)
	ready := func(t *testing.T, rdb redis.UniversalClient) {
		app, cfg := loadConfigs(t)
		engine, err := newEngine(app, cfg, rdb)
		if err != nil {
			t.Fatal(err)
		}
		w := do(engine, "GET", "/readyz", "")
		if w.Code != 200 || w.Body.String() != `{"code":200,"errormsg":"ok"}` {
			t.Errorf("/readyz: %d %s, want 200", w.Code, w.Body)
		}
	}
	t.Run("real", func(t *testing.T) {
		rdb, _ := redistest.Client(t)
		ready(t, rdb)
	})
	t.Run("embedded", func(t *testing.T) {
		mr := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		defer rdb.Close()
		ready(t, rdb)
	})
	for _, tc := range []struct {
		name     string
		messages map[int]string
		legacy   bool
		body     string
	}{
		{"down", nil, false, `{"code":5002,"errormsg":"服务暂不可用"}`},
		{"down, legacy_status and a message", map[int]string{5002: "Service unavailable"}, true,
			`{"code":5002,"errormsg":"Service unavailable"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, cfg := loadConfigs(t)
			cfg.Messages, cfg.SMS.LegacyStatus = tc.messages, tc.legacy
			engine, err := newEngine(app, cfg, redistest.DeadClient(t))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			w := do(engine, "GET", "/readyz", "")
			if w.Code != 503 || w.Body.String() != tc.body {
				t.Errorf("/readyz with Redis down: %d %s, want 503 %s", w.Code, w.Body, tc.body)
			}
			if took := time.Since(start); took > readyTimeout+500*time.Millisecond {
				t.Errorf("/readyz took %v with Redis down", took)
			}
			got, _ := scrape(t, engine)
			if v := got[`ginsms_storage_errors_total{op="check"}`]; v != 1 {
				t.Errorf(`ginsms_storage_errors_total{op="check"} = %g after one failed /readyz, want 1`, v)
			}
		})
	}
}

// `make run` with no Redis: the start-up line says where /metrics is, and the operations
// routes answer over HTTP on the embedded Redis.
func TestRunServesOps(t *testing.T) {
	t.Setenv("GINSMS_SERVER_ADDR", "127.0.0.1:0")
	t.Setenv("GINSMS_REDIS_ADDR", "")
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	addr, stop := startRun(t)
	if want := "metrics=http://" + addr + "/metrics"; !strings.Contains(logs.String(), want) {
		t.Errorf("start-up log lacks %q:\n%s", want, logs.String())
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get("/healthz"); status != 200 || body != `{"status":"ok"}` {
		t.Errorf("/healthz: %d %s", status, body)
	}
	if status, body := get("/readyz"); status != 200 || body != `{"code":200,"errormsg":"ok"}` {
		t.Errorf("/readyz on the embedded Redis: %d %s", status, body)
	}
	get("/image_codes/1b4e28ba-2fa1-41d2-883f-0016d3cca427")
	if status, body := get("/metrics"); status != 200 || !strings.Contains(body, `ginsms_requests_total{code="200",route="image"} 1`) {
		t.Errorf("/metrics after an image: %d\n%s", status, body)
	}
	stop()
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines to log into.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
