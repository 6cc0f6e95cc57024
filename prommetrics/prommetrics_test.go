package prommetrics_test

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/prommetrics"
)

// newObserver registers the metrics on a fresh pedantic registry (it also checks that
// every metric is consistent with its description).
func newObserver(t *testing.T) (*prometheus.Registry, ginsms.Observer) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	obs, err := prommetrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return reg, obs
}

// callEveryHook calls each function of obs once, so that every metric has a series.
func callEveryHook(obs ginsms.Observer) {
	obs.Answered("send", 200)
	obs.QuotaRefused("interval")
	obs.Sent("log", "sent", 120*time.Millisecond)
	obs.VerifyExhausted()
	obs.StorageFailed("store")
	obs.DestinationRefused("range")
	obs.BlockStarted("range")
	obs.HumanChecked("turnstile", "passed")
	obs.HumanCheckTook("turnstile", 80*time.Millisecond)
}

// series flattens what reg gathers to "name{label="value",...}" → value; a histogram
// gives its _count, _sum and one _bucket per bound.
func series(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := labelText(m.GetLabel())
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[mf.GetName()+"{"+labels+"}"] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				out[mf.GetName()+"_count{"+labels+"}"] = float64(h.GetSampleCount())
				out[mf.GetName()+"_sum{"+labels+"}"] = h.GetSampleSum()
				for _, b := range h.GetBucket() {
					le := fmt.Sprint(b.GetUpperBound())
					sep := ","
					if labels == "" {
						sep = ""
					}
					out[mf.GetName()+"_bucket{"+labels+sep+`le="`+le+`"}`] = float64(b.GetCumulativeCount())
				}
			default:
				t.Fatalf("%s: unexpected type %s", mf.GetName(), mf.GetType())
			}
		}
	}
	return out
}

func labelText(pairs []*dto.LabelPair) string {
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = fmt.Sprintf("%s=%q", p.GetName(), p.GetValue())
	}
	return strings.Join(parts, ",")
}

// moved returns the series whose value differs between before and after (a new series
// counts from zero), as "series delta" lines, sorted.
func moved(before, after map[string]float64) string {
	var lines []string
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			lines = append(lines, fmt.Sprintf("%s %g", k, math.Round(d*1000)/1000))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestLint(t *testing.T) {
	reg, obs := newObserver(t)
	callEveryHook(obs)
	problems, err := testutil.CollectAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 11 {
		t.Errorf("%d metric families, want 11", len(mfs))
	}
	for _, mf := range mfs {
		if mf.GetHelp() == "" {
			t.Errorf("%s has no HELP", mf.GetName())
		}
	}
}

// The series of the known label values exist, at zero, before anything happened.
func TestPreCreated(t *testing.T) {
	reg, _ := newObserver(t)
	err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP ginsms_quota_refusals_total Requests refused by a limit (4004), by quota: interval, phone_daily, ip_hourly, total_daily, captcha_ip, verify_ip.
# TYPE ginsms_quota_refusals_total counter
ginsms_quota_refusals_total{quota="captcha_ip"} 0
ginsms_quota_refusals_total{quota="interval"} 0
ginsms_quota_refusals_total{quota="ip_hourly"} 0
ginsms_quota_refusals_total{quota="phone_daily"} 0
ginsms_quota_refusals_total{quota="total_daily"} 0
ginsms_quota_refusals_total{quota="verify_ip"} 0
# HELP ginsms_storage_errors_total Redis steps that failed, by op: captcha, send_wait, store, take_back, verify, check.
# TYPE ginsms_storage_errors_total counter
ginsms_storage_errors_total{op="captcha"} 0
ginsms_storage_errors_total{op="check"} 0
ginsms_storage_errors_total{op="send_wait"} 0
ginsms_storage_errors_total{op="store"} 0
ginsms_storage_errors_total{op="take_back"} 0
ginsms_storage_errors_total{op="verify"} 0
# HELP ginsms_verify_attempts_exhausted_total SMS codes deleted after sms.max_verify_attempts wrong tries.
# TYPE ginsms_verify_attempts_exhausted_total counter
ginsms_verify_attempts_exhausted_total 0
`), "ginsms_quota_refusals_total", "ginsms_storage_errors_total", "ginsms_verify_attempts_exhausted_total",
		"ginsms_sms_sent_total", "ginsms_sender_duration_seconds")
	if err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "ginsms_requests_total"); err != nil || n != 28 {
		t.Errorf("ginsms_requests_total: %d series (%v), want 28: every code each route can answer", n, err)
	}
	if n, err := testutil.GatherAndCount(reg, "ginsms_destination_refusals_total", "ginsms_destination_blocks_total"); err != nil || n != 7 {
		t.Errorf("destination metrics: %d series (%v), want 7: every reason and scope", n, err)
	}
	for k, v := range series(t, reg) {
		if v != 0 {
			t.Errorf("%s = %g before anything happened", k, v)
		}
	}
}

// Each hook moves exactly the series it names, by one (or by the duration).
func TestHooks(t *testing.T) {
	durationBuckets := func(sender, outcome string, took float64) string {
		var lines []string
		for _, le := range []float64{.05, .1, .25, .5, 1, 2.5, 5, 10} { // +Inf is implicit
			if took <= le {
				lines = append(lines, fmt.Sprintf(`ginsms_sender_duration_seconds_bucket{outcome=%q,sender=%q,le="%v"} 1`, outcome, sender, le))
			}
		}
		return strings.Join(lines, "\n")
	}
	for _, tc := range []struct {
		name string
		call func(ginsms.Observer)
		want string
	}{
		{"image", func(o ginsms.Observer) { o.Answered("image", 200) }, `ginsms_requests_total{code="200",route="image"} 1`},
		{"send refused", func(o ginsms.Observer) { o.Answered("send", 4004) }, `ginsms_requests_total{code="4004",route="send"} 1`},
		{"verify wrong", func(o ginsms.Observer) { o.Answered("verify", 4006) }, `ginsms_requests_total{code="4006",route="verify"} 1`},
		{"code not pre-created", func(o ginsms.Observer) { o.Answered("image", 4007) }, `ginsms_requests_total{code="4007",route="image"} 1`},
		{"quota", func(o ginsms.Observer) { o.QuotaRefused("ip_hourly") }, `ginsms_quota_refusals_total{quota="ip_hourly"} 1`},
		{"quota captcha", func(o ginsms.Observer) { o.QuotaRefused("captcha_ip") }, `ginsms_quota_refusals_total{quota="captcha_ip"} 1`},
		{"exhausted", func(o ginsms.Observer) { o.VerifyExhausted() }, `ginsms_verify_attempts_exhausted_total{} 1`},
		{"storage", func(o ginsms.Observer) { o.StorageFailed("send_wait") }, `ginsms_storage_errors_total{op="send_wait"} 1`},
		{"storage unknown op", func(o ginsms.Observer) { o.StorageFailed("unknown") }, `ginsms_storage_errors_total{op="unknown"} 1`},
		{"unknown client", func(o ginsms.Observer) { o.UnknownClient() }, `ginsms_unknown_client_total{} 1`},
		{"destination refused", func(o ginsms.Observer) { o.DestinationRefused("number_type") }, `ginsms_destination_refusals_total{reason="number_type"} 1`},
		{"block started", func(o ginsms.Observer) { o.BlockStarted("country") }, `ginsms_destination_blocks_total{scope="country"} 1`},
		{"sent to a test number", func(o ginsms.Observer) { o.Sent("test", "sent", 0) }, strings.Join([]string{
			durationBuckets("test", "sent", 0),
			`ginsms_sender_duration_seconds_count{outcome="sent",sender="test"} 1`,
			`ginsms_sms_sent_total{outcome="sent",sender="test"} 1`,
		}, "\n")},
		{"sent", func(o ginsms.Observer) { o.Sent("twilio", "sent", 300*time.Millisecond) }, strings.Join([]string{
			durationBuckets("twilio", "sent", .3),
			`ginsms_sender_duration_seconds_count{outcome="sent",sender="twilio"} 1`,
			`ginsms_sender_duration_seconds_sum{outcome="sent",sender="twilio"} 0.3`,
			`ginsms_sms_sent_total{outcome="sent",sender="twilio"} 1`,
		}, "\n")},
		{"refused", func(o ginsms.Observer) { o.Sent("aliyun", "refused", 70*time.Millisecond) }, strings.Join([]string{
			durationBuckets("aliyun", "refused", .07),
			`ginsms_sender_duration_seconds_count{outcome="refused",sender="aliyun"} 1`,
			`ginsms_sender_duration_seconds_sum{outcome="refused",sender="aliyun"} 0.07`,
			`ginsms_sms_sent_total{outcome="refused",sender="aliyun"} 1`,
		}, "\n")},
		{"unknown", func(o ginsms.Observer) { o.Sent("webhook", "unknown", 5*time.Second) }, strings.Join([]string{
			durationBuckets("webhook", "unknown", 5),
			`ginsms_sender_duration_seconds_count{outcome="unknown",sender="webhook"} 1`,
			`ginsms_sender_duration_seconds_sum{outcome="unknown",sender="webhook"} 5`,
			`ginsms_sms_sent_total{outcome="unknown",sender="webhook"} 1`,
		}, "\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, obs := newObserver(t)
			before := series(t, reg)
			tc.call(obs)
			want := strings.Split(tc.want, "\n")
			sort.Strings(want)
			if got := moved(before, series(t, reg)); got != strings.Join(want, "\n") {
				t.Errorf("moved:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

// A sender's first call creates its three outcomes, so that a first refusal is a change
// rate() sees; another sender is untouched.
func TestSenderOutcomesCreatedTogether(t *testing.T) {
	reg, obs := newObserver(t)
	obs.Sent("twilio", "sent", time.Second)
	got := series(t, reg)
	for _, o := range []string{"sent", "refused", "unknown"} {
		k := `ginsms_sms_sent_total{outcome="` + o + `",sender="twilio"}`
		if _, ok := got[k]; !ok {
			t.Errorf("%s missing after the sender's first call", k)
		}
	}
	if v, ok := got[`ginsms_sms_sent_total{outcome="refused",sender="twilio"}`]; !ok || v != 0 {
		t.Errorf("refused = %g, want 0", v)
	}
	if n, _ := testutil.GatherAndCount(reg, "ginsms_sms_sent_total"); n != 3 {
		t.Errorf("ginsms_sms_sent_total: %d series, want 3", n)
	}
}

// Registering twice on one registry is an error, and leaves the registry with the first
// set; a registry holding one metric of the same name is left as it was.
func TestRegisterTwice(t *testing.T) {
	reg, obs := newObserver(t)
	if _, err := prommetrics.New(reg); !errors.As(err, &prometheus.AlreadyRegisteredError{}) {
		t.Fatalf("second New on one registry: %v, want an AlreadyRegisteredError", err)
	}
	obs.VerifyExhausted()
	if v := series(t, reg)["ginsms_verify_attempts_exhausted_total{}"]; v != 1 {
		t.Errorf("first observer after a failed second New: exhausted = %g, want 1", v)
	}

	clash := prometheus.NewRegistry()
	gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ginsms_storage_errors_total", Help: "not ours"})
	clash.MustRegister(gauge)
	if _, err := prommetrics.New(clash); err == nil || !strings.HasPrefix(err.Error(), "prommetrics: ") {
		t.Fatalf("New on a registry with a clashing name: %v, want a prommetrics error", err)
	}
	mfs, err := clash.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 1 || mfs[0].GetType() != dto.MetricType_GAUGE {
		t.Errorf("registry after a failed New holds %d families, want only the clashing gauge", len(mfs))
	}
	if _, err := prommetrics.New(nil); err == nil {
		t.Error("New(nil): no error")
	}
}

// The hooks are safe for concurrent use, new senders included (run with -race).
func TestConcurrent(t *testing.T) {
	reg, obs := newObserver(t)
	const workers, rounds = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				obs.Answered("send", 200)
				obs.Sent(fmt.Sprintf("s%d", i%4), "sent", time.Millisecond)
				obs.QuotaRefused("interval")
				if w == 0 {
					obs.Answered("verify", 9999)
				}
			}
		})
	}
	wg.Wait()
	got := series(t, reg)
	if v := got[`ginsms_requests_total{code="200",route="send"}`]; v != workers*rounds {
		t.Errorf("send 200 = %g, want %d", v, workers*rounds)
	}
	var sent float64
	for s := range 4 {
		sent += got[fmt.Sprintf(`ginsms_sms_sent_total{outcome="sent",sender="s%d"}`, s)]
	}
	if sent != workers*rounds {
		t.Errorf("sent = %g, want %d", sent, workers*rounds)
	}
}
