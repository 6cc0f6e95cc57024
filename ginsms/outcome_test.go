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

// provider is a webhook receiver that answers after delay with status, and counts the
// messages it accepted (those it would deliver), even when the client gave up waiting.
type provider struct {
	delay     time.Duration
	status    int
	mu        sync.Mutex
	delivered map[string]int // phone -> SMS delivered
	ids       []string
}

func newProvider(t *testing.T, delay time.Duration, status int) (*provider, *httptest.Server) {
	p := &provider{delay: delay, status: status, delivered: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ Phone, ID string }
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		time.Sleep(p.delay) // the provider works whatever the caller does
		if p.status/100 == 2 {
			p.mu.Lock()
			p.delivered[msg.Phone]++
			p.ids = append(p.ids, msg.ID)
			p.mu.Unlock()
		}
		w.WriteHeader(p.status)
	}))
	t.Cleanup(srv.Close)
	return p, srv
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
	p, srv := newProvider(t, 300*time.Millisecond, http.StatusOK)
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
	time.Sleep(400 * time.Millisecond) // let the provider finish
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
	time.Sleep(2 * time.Second) // the interval passes: one more SMS may go out
	e.seedCaptcha(uuidN(200), "1234")
	e.sendGET(testPhone, uuidN(200), "1234")
	time.Sleep(400 * time.Millisecond)
	if got := p.count(testPhone); got != 2 {
		t.Fatalf("after the interval the provider delivered %d, want 2", got)
	}
}

// With a late provider, the per-phone daily quota still caps deliveries: an unknown
// outcome keeps its count.
func TestLateProviderWithinDailyQuota(t *testing.T) {
	t.Parallel()
	p, srv := newProvider(t, 200*time.Millisecond, http.StatusOK)
	e := newEnv(t, func(c *ginsms.Config) {
		webhookTo(srv, 50*time.Millisecond)(c)
		c.SMS.SendInterval = time.Second
		c.SMS.DailyLimitPerPhone = 3
	})
	answers := map[int]int{}
	for i := range 6 {
		e.seedCaptcha(uuidN(i), "1234")
		answers[e.sendGET(testPhone, uuidN(i), "1234").Code]++
		time.Sleep(1100 * time.Millisecond)
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
	p, provider := newProvider(t, 400*time.Millisecond, http.StatusOK)
	e := newEnv(t, webhookTo(provider, 2*time.Second))
	app := httptest.NewServer(e.router)
	defer app.Close()
	e.seedCaptcha(uuidN(1), "1234")
	client := &http.Client{Timeout: 100 * time.Millisecond} // gives up mid-send
	if resp, err := client.Get(app.URL + "/sms_codes/" + testPhone + "?imgcode=1234&uuid=" + uuidN(1)); err == nil {
		resp.Body.Close()
		t.Fatalf("the client did not hang up: HTTP %d", resp.StatusCode)
	}
	time.Sleep(600 * time.Millisecond)
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
	time.Sleep(500 * time.Millisecond)
	if got := p.count(testPhone); got != 1 {
		t.Fatalf("delivered %d, want 1", got)
	}
}

// A definite refusal (the webhook receiver answered non-2xx) is taken back, and the user
// can retry at once; sender.timeout 0 means the default, not "fail at once".
func TestWebhookRefusalAndZeroTimeout(t *testing.T) {
	t.Parallel()
	p, srv := newProvider(t, 0, http.StatusUnprocessableEntity)
	e := newEnv(t, webhookTo(srv, 0))
	e.seedCaptcha(uuidN(1), "1234")
	if got := e.sendGET(testPhone, uuidN(1), "1234"); got.Code != 5001 || got.RetryAfter != "" {
		t.Fatalf("refused send = %+v, want 5001 without Retry-After", got)
	}
	if keys := e.keys(); len(keys) != 0 {
		t.Fatalf("keys left after a refusal: %v", keys)
	}
	p.status = http.StatusOK
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
