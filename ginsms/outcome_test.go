package ginsms_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/sender"
)

// provider is a webhook receiver that the test drives: with hold set, each message waits
// until the test releases it (so sender.timeout fires first, whatever the machine's load),
// then is answered with status and, when 2xx, counted as delivered, even though the
// client gave up waiting. arrived and answered tell the test where each message is,
// so nothing is timed with sleeps.
type provider struct {
	hold     bool
	release  chan struct{} // one value lets one held message be answered
	arrived  chan string   // the phone of each message, as it arrives
	answered chan string   // the phone of each message, once answered
	quit     chan struct{}

	mu        sync.Mutex
	status    int
	delivered map[string]int // phone -> SMS delivered
	ids       []string
}

func newProvider(t *testing.T, hold bool, status int) (*provider, *httptest.Server) {
	p := &provider{hold: hold, status: status, delivered: map[string]int{}, release: make(chan struct{}),
		arrived: make(chan string, 100), answered: make(chan string, 100), quit: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ Phone, ID string }
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		p.arrived <- msg.Phone
		if p.hold { // the provider works whatever the caller does
			select {
			case <-p.release:
			case <-p.quit:
				return
			}
		}
		p.mu.Lock()
		status := p.status
		if status/100 == 2 {
			p.delivered[msg.Phone]++
			p.ids = append(p.ids, msg.ID)
		}
		p.mu.Unlock()
		w.WriteHeader(status)
		p.answered <- msg.Phone
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(p.quit) }) // runs first: no held handler keeps Close waiting
	return p, srv
}

// finish releases one held message and waits until it was answered.
func (p *provider) finish(t *testing.T) {
	t.Helper()
	select {
	case p.release <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("no message was waiting at the provider")
	}
	<-p.answered
}

// none fails t if a message reached the provider that the test did not expect.
func (p *provider) none(t *testing.T) {
	t.Helper()
	select {
	case phone := <-p.arrived:
		t.Fatalf("a message to %s reached the provider", phone)
	default:
	}
}

func (p *provider) setStatus(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = status
}

func (p *provider) count(phone string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delivered[phone]
}

// webhookTo configures the real webhook sender against srv.
func webhookTo(srv *httptest.Server, timeout time.Duration) func(*ginsms.Config) {
	return func(c *ginsms.Config) {
		c.Sender = sender.DefaultConfig()
		c.Sender.Kind = "webhook"
		c.Sender.Webhook.URL = srv.URL
		c.Sender.Webhook.Secret = "a-long-enough-shared-secret-0123456789"
		c.Sender.Timeout = timeout
	}
}

// A provider slower than sender.timeout accepts the message after the Service gave up:
// the outcome is unknown, the send is kept, and neither concurrent nor sequential retries
// reach the provider again within the interval.
func TestSlowProviderOncePerInterval(t *testing.T) {
	t.Parallel()
	p, srv := newProvider(t, true, http.StatusOK)
	e := newEnv(t, func(c *ginsms.Config) {
		webhookTo(srv, 100*time.Millisecond)(c)
		c.SMS.SendInterval = 2 * time.Second
	})
	const n = 20
	for i := range n {
		e.seedCaptcha(uuidN(i), "1234")
	}
	codes := runConcurrently(n, func(i int) int { return e.sendGET(testPhone, uuidN(i), "1234").Code })
	if codes[5001] != 1 || codes[4004] != n-1 {
		t.Fatalf("concurrent sends to a slow provider = %v, want one 5001 (unknown) and the rest 4004", codes)
	}
	for i := range 5 { // the user retries at once, again and again
		e.seedCaptcha(uuidN(100+i), "1234")
		if got := e.sendGET(testPhone, uuidN(100+i), "1234"); got.Code != 4004 {
			t.Fatalf("retry %d = %+v, want 4004", i, got)
		}
	}
	<-p.arrived
	p.none(t)
	p.finish(t) // the provider accepts the message the Service gave up on
	if got := p.count(testPhone); got != 1 {
		t.Fatalf("the provider delivered %d SMS in one interval, want 1", got)
	}
	// The SMS that arrived late carries a code that verifies.
	code, ok := e.get("sms_" + testPhone)
	if !ok {
		t.Fatal("the code of an unknown outcome was taken back")
	}
	if got := e.verify(testPhone, code); got.Code != 200 {
		t.Fatalf("verify the late SMS's code = %+v", got)
	}
	if len(p.ids) != 1 || p.ids[0] == "" {
		t.Errorf("message ids = %q, want one non-empty id", p.ids)
	}
	time.Sleep(2 * time.Second) // the interval passes (a Redis TTL): one more SMS may go out
	e.seedCaptcha(uuidN(200), "1234")
	e.sendGET(testPhone, uuidN(200), "1234")
	<-p.arrived
	p.finish(t)
	if got := p.count(testPhone); got != 2 {
		t.Fatalf("after the interval the provider delivered %d, want 2", got)
	}
}

// With a late provider, the per-phone daily quota still caps deliveries: an unknown
// outcome keeps its count.
func TestLateProviderWithinDailyQuota(t *testing.T) {
	t.Parallel()
	p, srv := newProvider(t, true, http.StatusOK)
	e := newEnv(t, func(c *ginsms.Config) {
		webhookTo(srv, 50*time.Millisecond)(c)
		c.SMS.SendInterval = time.Second
		c.SMS.DailyLimitPerPhone = 3
	})
	answers := map[int]int{}
	for i := range 6 {
		e.seedCaptcha(uuidN(i), "1234")
		code := e.sendGET(testPhone, uuidN(i), "1234").Code
		answers[code]++
		if code == 5001 { // timed out at the Service; the provider delivers it now
			<-p.arrived
			p.finish(t)
		}
		p.none(t)
		time.Sleep(1100 * time.Millisecond) // the interval (a Redis TTL) passes
	}
	if got := p.count(testPhone); got != 3 {
		t.Fatalf("delivered %d SMS with daily_limit_per_phone 3 (answers %v), want 3", got, answers)
	}
	if answers[5001] != 3 || answers[4004] != 3 {
		t.Fatalf("answers %v, want three 5001 (unknown) then three 4004", answers)
	}
	if daily, _ := e.get("sms_" + testPhone + ":daily"); daily != "3" {
		t.Fatalf("daily count = %q, want 3", daily)
	}
}

// A client that hangs up while the provider works does not cancel the send: the message
// goes out, the flag stays, and a new request gets no second SMS.
func TestClientHangUpMidSend(t *testing.T) {
	t.Parallel()
	p, provider := newProvider(t, true, http.StatusOK)
	e := newEnv(t, webhookTo(provider, 2*time.Second))
	app := httptest.NewServer(e.router)
	defer app.Close()
	e.seedCaptcha(uuidN(1), "1234")
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", app.URL+"/sms_codes/"+testPhone+"?imgcode=1234&uuid="+uuidN(1), nil)
	hungUp := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		hungUp <- err
	}()
	<-p.arrived // mid-send: the message is at the provider
	cancel()    // the client hangs up
	if err := <-hungUp; err == nil {
		t.Fatal("the client did not hang up")
	}
	p.finish(t)
	if got := p.count(testPhone); got != 1 {
		t.Fatalf("delivered %d after a hang-up, want 1: the send must run to its end", got)
	}
	if _, ok := e.get("is_send_" + testPhone); !ok {
		t.Fatal("a hang-up took the send back")
	}
	e.seedCaptcha(uuidN(2), "1234")
	if got := e.sendGET(testPhone, uuidN(2), "1234"); got.Code != 4004 {
		t.Fatalf("send after the hang-up = %+v, want 4004", got)
	}
	p.none(t)
}

// A definite refusal (the webhook receiver answered non-2xx) is taken back, and the user
// can retry at once; sender.timeout 0 means the default, not "fail at once".
func TestWebhookRefusalAndZeroTimeout(t *testing.T) {
	t.Parallel()
	p, srv := newProvider(t, false, http.StatusUnprocessableEntity)
	e := newEnv(t, webhookTo(srv, 0))
	e.seedCaptcha(uuidN(1), "1234")
	if got := e.sendGET(testPhone, uuidN(1), "1234"); got.Code != 5001 || got.RetryAfter != "" {
		t.Fatalf("refused send = %+v, want 5001 without Retry-After", got)
	}
	if keys := e.keys(); len(keys) != 0 {
		t.Fatalf("keys left after a refusal: %v", keys)
	}
	p.setStatus(http.StatusOK)
	e.seedCaptcha(uuidN(2), "1234")
	if got := e.sendGET(testPhone, uuidN(2), "1234"); got.Code != 200 {
		t.Fatalf("retry at once with timeout 0 = %+v, want 200", got)
	}
}

// A counter found without a TTL (a lost PEXPIRE, a key written by another program) gets
// its window back instead of holding a quota for good.
func TestCountersWithoutTTLGetOne(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) { c.SMS.DailyLimitTotal = 100 })
	ctx := context.Background()
	stripped := map[string]time.Duration{
		"sms_" + testPhone + ":daily": 24 * time.Hour,
		"sms_ip:192.0.2.1":            time.Hour,
		"sms_total":                   24 * time.Hour,
		"sms_verify_ip:192.0.2.1":     time.Hour,
	}
	for k := range stripped {
		e.rdb.Set(ctx, e.key(k), 1, 0)
	}
	code := e.sendCode(testPhone)
	e.rdb.Set(ctx, e.key("sms_"+testPhone+":tries"), 1, 0)
	if got := e.verify(testPhone, wrongCode(code)); got.Code != 4006 {
		t.Fatalf("wrong verify = %+v", got)
	}
	stripped["sms_"+testPhone+":tries"] = 60 * time.Second
	for k, window := range stripped {
		ttl := e.rdb.TTL(ctx, e.key(k)).Val()
		if ttl <= 0 || ttl > window || ttl < window-5*time.Second {
			t.Errorf("%s TTL = %v, want its window %v back", k, ttl, window)
		}
	}
}
