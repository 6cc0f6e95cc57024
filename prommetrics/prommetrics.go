package prommetrics

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ginsms/ginsms/ginsms"
)

// The label values known in advance (see the package doc).
var (
	// routeCodes are the codes each route can answer.
	routeCodes = map[string][]int{
		"image":  {200, 4001, 4004, 4005, 5002},
		"audio":  {200, 4001, 4002, 4004, 4005, 5002},
		"send":   {200, 4001, 4002, 4003, 4004, 4005, 4008, 5001, 5002, 5003},
		"verify": {200, 4001, 4004, 4005, 4006, 4007, 5002},
	}
	quotas     = []string{"interval", "phone_daily", "ip_hourly", "total_daily", "captcha_ip", "verify_ip"}
	storageOps = []string{"captcha", "send_wait", "store", "take_back", "verify", "check"}
	outcomes   = []string{"sent", "refused", "unknown"}
	// checkOutcomes are the outcomes of a human check (ginsms.Observer.HumanChecked).
	checkOutcomes = []string{"passed", "refused", "expired", "unavailable", "error"}
	// destReasons are the destination guard's refusals; blockScopes what it blocks.
	destReasons = []string{"range", "country", "total", "country_rule", "number_type"}
	blockScopes = []string{"range", "country"}
)

// durationBuckets resolve a provider call from 50 ms to 10 s (sender.timeout is 5 s by
// default).
var durationBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10}

// New registers the ginsms metrics on reg (see the package doc for the list) and returns
// an Observer that updates them, for ginsms.Config.Observer. It returns an error if a
// collector cannot be registered, such as when reg already holds the ginsms metrics (New
// called twice on one registry); reg is then left as it was.
func New(reg prometheus.Registerer) (ginsms.Observer, error) {
	if reg == nil {
		return ginsms.Observer{}, errors.New("prommetrics: a registerer is required")
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginsms_requests_total",
			Help: "Answers of the ginsms routes, by route (image, audio, send, verify) and contract code (200 for an image or audio served).",
		}, []string{"route", "code"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginsms_quota_refusals_total",
			Help: "Requests refused by a limit (4004), by quota: " + strings.Join(quotas, ", ") + ".",
		}, []string{"quota"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginsms_sms_sent_total",
			Help: "Calls to the SMS provider, by sender and outcome: " + strings.Join(outcomes, ", ") + " (refused: send taken back; unknown: send kept, the SMS may arrive).",
		}, []string{"sender", "outcome"}),
		took: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ginsms_sender_duration_seconds",
			Help:    "Duration of the calls to the SMS provider, by sender and outcome.",
			Buckets: durationBuckets,
		}, []string{"sender", "outcome"}),
		exhausted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ginsms_verify_attempts_exhausted_total",
			Help: "SMS codes deleted after sms.max_verify_attempts wrong tries.",
		}),
		storage: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginsms_storage_errors_total",
			Help: "Redis steps that failed, by op: " + strings.Join(storageOps, ", ") + ".",
		}, []string{"op"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginsms_human_checks_total",
			Help: "Human checks decided by the send route, by kind (image, altcha, turnstile, hcaptcha, recaptcha) and outcome: passed, refused, expired, unavailable (5003), error (Redis).",
		}, []string{"kind", "outcome"}),
		checkTook: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ginsms_human_check_provider_duration_seconds",
			Help:    "Duration of the calls to a human-check provider's siteverify API, by kind (turnstile, hcaptcha, recaptcha).",
			Buckets: durationBuckets,
		}, []string{"kind"}),
		unknown: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ginsms_unknown_client_total",
			Help: "Sends and verifies from a client address that is not an IP, all counted in one shared per-IP bucket.",
		}),
		destRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginsms_destination_refusals_total",
			Help: "Sends the destination guard refused (4008), by reason: range, country (blocked), total (unverified sends at their cap), country_rule, number_type.",
		}, []string{"reason"}),
		blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ginsms_destination_blocks_total",
			Help: "Blocks started because unverified sends passed the limit, by scope: range, country.",
		}, []string{"scope"}),
		answers:     map[answer]prometheus.Counter{},
		quotaSeries: map[string]prometheus.Counter{},
		opSeries:    map[string]prometheus.Counter{},
		destSeries:  map[string]prometheus.Counter{},
		blockSeries: map[string]prometheus.Counter{},
	}
	collectors := []prometheus.Collector{m.requests, m.refusals, m.sent, m.took, m.exhausted, m.storage, m.destRefusals, m.blocks, m.unknown,
		m.checks, m.checkTook}
	for i, c := range collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range collectors[:i] {
				reg.Unregister(done)
			}
			return ginsms.Observer{}, fmt.Errorf("prommetrics: %w", err)
		}
	}
	for route, codes := range routeCodes {
		for _, code := range codes {
			m.answers[answer{route, code}] = m.requests.WithLabelValues(route, strconv.Itoa(code))
		}
	}
	for _, q := range quotas {
		m.quotaSeries[q] = m.refusals.WithLabelValues(q)
	}
	for _, op := range storageOps {
		m.opSeries[op] = m.storage.WithLabelValues(op)
	}
	for _, r := range destReasons {
		m.destSeries[r] = m.destRefusals.WithLabelValues(r)
	}
	for _, s := range blockScopes {
		m.blockSeries[s] = m.blocks.WithLabelValues(s)
	}
	return ginsms.Observer{
		Answered:           m.answered,
		QuotaRefused:       m.quotaRefused,
		DestinationRefused: func(reason string) { inc(m.destSeries, m.destRefusals, reason) },
		BlockStarted:       func(scope string) { inc(m.blockSeries, m.blocks, scope) },
		Sent:               m.sentBy,
		VerifyExhausted:    m.exhausted.Inc,
		StorageFailed:      m.storageFailed,
		UnknownClient:      m.unknown.Inc,
		HumanChecked:       m.humanChecked,
		HumanCheckTook:     m.humanCheckTook,
	}, nil
}

// metrics are the collectors, and the series of the known label values, looked up
// without hashing labels on every request. The maps are read-only after New.
type metrics struct {
	requests, refusals, sent, storage *prometheus.CounterVec
	destRefusals, blocks, checks      *prometheus.CounterVec
	took, checkTook                   *prometheus.HistogramVec
	exhausted, unknown                prometheus.Counter

	answers     map[answer]prometheus.Counter
	quotaSeries map[string]prometheus.Counter
	opSeries    map[string]prometheus.Counter
	destSeries  map[string]prometheus.Counter
	blockSeries map[string]prometheus.Counter
	senders     sync.Map // sender name → *senderSeries
	kinds       sync.Map // human-check kind → *kindSeries
}

// kindSeries are one human-check kind's series, by index in checkOutcomes.
type kindSeries struct {
	checks [5]prometheus.Counter
	took   prometheus.Observer
}

// kindSeries returns the series of kind, creating all of its outcomes at its first call.
func (m *metrics) kindSeries(kind string) *kindSeries {
	if s, ok := m.kinds.Load(kind); ok {
		return s.(*kindSeries)
	}
	s := &kindSeries{took: m.checkTook.WithLabelValues(kind)}
	for i, o := range checkOutcomes {
		s.checks[i] = m.checks.WithLabelValues(kind, o)
	}
	actual, _ := m.kinds.LoadOrStore(kind, s)
	return actual.(*kindSeries)
}

func (m *metrics) humanChecked(kind, outcome string) {
	for i, o := range checkOutcomes {
		if o == outcome {
			m.kindSeries(kind).checks[i].Inc()
			return
		}
	}
	m.checks.WithLabelValues(kind, outcome).Inc()
}

func (m *metrics) humanCheckTook(kind string, took time.Duration) {
	m.kindSeries(kind).took.Observe(took.Seconds())
}

type answer struct {
	route string
	code  int
}

// senderSeries are one sender's series, by index in outcomes.
type senderSeries struct {
	sent [3]prometheus.Counter
	took [3]prometheus.Observer
}

func (m *metrics) answered(route string, code int) {
	if c, ok := m.answers[answer{route, code}]; ok {
		c.Inc()
		return
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}

func (m *metrics) quotaRefused(quota string) {
	if c, ok := m.quotaSeries[quota]; ok {
		c.Inc()
		return
	}
	m.refusals.WithLabelValues(quota).Inc()
}

// inc adds one to the series of label, looked up in known first.
func inc(known map[string]prometheus.Counter, vec *prometheus.CounterVec, label string) {
	if c, ok := known[label]; ok {
		c.Inc()
		return
	}
	vec.WithLabelValues(label).Inc()
}

func (m *metrics) storageFailed(op string) {
	if c, ok := m.opSeries[op]; ok {
		c.Inc()
		return
	}
	m.storage.WithLabelValues(op).Inc()
}

func (m *metrics) sentBy(sender, outcome string, took time.Duration) {
	i := outcomeIndex(outcome)
	if i < 0 {
		m.sent.WithLabelValues(sender, outcome).Inc()
		m.took.WithLabelValues(sender, outcome).Observe(took.Seconds())
		return
	}
	s := m.senderSeries(sender)
	s.sent[i].Inc()
	s.took[i].Observe(took.Seconds())
}

// senderSeries returns the series of sender, creating all of its outcomes at its first
// call so that a first refusal is seen by rate().
func (m *metrics) senderSeries(sender string) *senderSeries {
	if s, ok := m.senders.Load(sender); ok {
		return s.(*senderSeries)
	}
	s := &senderSeries{}
	for i, o := range outcomes {
		s.sent[i] = m.sent.WithLabelValues(sender, o)
		s.took[i] = m.took.WithLabelValues(sender, o)
	}
	actual, _ := m.senders.LoadOrStore(sender, s)
	return actual.(*senderSeries)
}

func outcomeIndex(outcome string) int {
	for i, o := range outcomes {
		if o == outcome {
			return i
		}
	}
	return -1
}
