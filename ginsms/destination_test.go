package ginsms_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/sender"
)

// rangePhone is number i (0-9999) of the range rng (7 digits).
func rangePhone(rng string, i int) string { return fmt.Sprintf("%s%04d", rng, i) }

// remoteN is a distinct client address per i, as an attack from many addresses.
func remoteN(i int) string { return fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255) }

// counts records the observer's destination calls.
type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[k]++
}

func (c *counts) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

// verifyCode checks the last code sent to phone through the verify route.
func (e *env) verifyLast(phone string) answer {
	e.t.Helper()
	code := ""
	for _, m := range e.sender.all() {
		if m.phone == phone {
			code = m.code
		}
	}
	return performRequest(e.router, "POST", "/sms_codes/"+phone+"/verify", "application/x-www-form-urlencoded",
		url.Values{"sms_code": {code}}.Encode())
}

// A range past its limit of unverified sends is blocked: the send past the limit and
// every later one answer 4008 with Retry-After = the block; RateLimit answers before the
// captcha is touched; other ranges are served; Unblock lifts it.
func TestDestinationRangeBlock(t *testing.T) { onTopologies(t, testDestinationRangeBlock) }

func testDestinationRangeBlock(t *testing.T, top topology) {
	refused, blocks := &counts{}, &counts{}
	e := newEnvOn(t, top, func(c *ginsms.Config) {
		c.Destination.RangeLimit = 5
		c.Observer.DestinationRefused = refused.add
		c.Observer.BlockStarted = blocks.add
	})
	for i := range 5 {
		if got := e.sendFrom(rangePhone("1370000", i), remoteN(i), i); got.Code != 200 {
			t.Fatalf("send %d = %+v", i, got)
		}
	}
	got := e.sendFrom(rangePhone("1370000", 5), remoteN(5), 5)
	if got.Code != 4008 || got.Status != 403 || retryAfter(t, got) != 12*3600 {
		t.Fatalf("send past the limit = %+v, want 4008 / 403, Retry-After 43200", got)
	}
	if _, ok := e.get("sms_range:1370000:blocked"); !ok {
		t.Fatal("no block key sms_range:1370000:blocked")
	}
	if _, ok := e.get("is_send_" + rangePhone("1370000", 5)); ok {
		t.Fatal("the refused send left its flag")
	}
	// Now RateLimit refuses, and the captcha stays.
	got = e.sendFrom(rangePhone("1370000", 6), remoteN(6), 6)
	if got.Code != 4008 || retryAfter(t, got) < 12*3600-5 {
		t.Fatalf("send to the blocked range = %+v, want 4008", got)
	}
	if _, ok := e.get("img_" + uuidN(6)); !ok {
		t.Fatal("RateLimit's 4008 consumed the captcha")
	}
	if got := e.sendFrom(rangePhone("1370001", 0), remoteN(7), 7); got.Code != 200 {
		t.Fatalf("another range = %+v, want 200", got)
	}
	if n := len(e.sender.all()); n != 6 {
		t.Fatalf("sent %d SMS, want 6", n)
	}
	if refused.get("range") != 2 || blocks.get("range") != 1 {
		t.Fatalf("observer: refused %v, blocks %v; want range 2, 1", refused.m, blocks.m)
	}
	if err := e.service.Unblock(context.Background(), rangePhone("1370000", 9)); err != nil {
		t.Fatal(err)
	}
	if got := e.sendFrom(rangePhone("1370000", 8), remoteN(8), 8); got.Code != 200 {
		t.Fatalf("send after Unblock = %+v, want 200", got)
	}
}

// Dozens of concurrent sends to distinct numbers of one range: exactly the limit go out,
// never one more, the rest answer 4008.
func TestDestinationConcurrent(t *testing.T) { onTopologies(t, testDestinationConcurrent) }

func testDestinationConcurrent(t *testing.T, top topology) {
	const limit, senders = 20, 64
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = 0 })
	for i := range senders {
		e.seedCaptcha(uuidN(i), "1234")
	}
	start := make(chan struct{})
	answers := make([]answer, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			<-start
			answers[i] = performRequest(e.router, "GET", "/sms_codes/"+rangePhone("1360000", i)+"?imgcode=1234&uuid="+uuidN(i), "", "",
				"RemoteAddr", remoteN(i))
		})
	}
	close(start)
	wg.Wait()
	byCode := map[int]int{}
	for _, a := range answers {
		byCode[a.Code]++
	}
	if n := len(e.sender.all()); n != limit || byCode[200] != limit || byCode[4008] != senders-limit {
		t.Fatalf("%d concurrent sends to one range: %d SMS, answers %v; want exactly %d sent, the rest 4008", senders, n, byCode, limit)
	}
	if v, _ := e.get("sms_range:1360000"); v != strconv.Itoa(limit) {
		t.Fatalf("range count = %q, want %d", v, limit)
	}
}

// A verified code leaves the count: a busy range of users who verify is never blocked.
func TestDestinationVerifiedLeavesCount(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) { c.Destination.RangeLimit = 3 })
	for i := range 10 {
		phone := rangePhone("1350000", i)
		if got := e.sendFrom(phone, remoteN(i), i); got.Code != 200 {
			t.Fatalf("send %d = %+v", i, got)
		}
		if got := e.verifyLast(phone); got.Code != 200 {
			t.Fatalf("verify %d = %+v", i, got)
		}
	}
	if v, ok := e.get("sms_range:1350000"); ok {
		t.Fatalf("range count after every code verified = %q, want none", v)
	}
	if v, ok := e.get("sms_" + rangePhone("1350000", 0) + ":known"); !ok || v != "1" {
		t.Fatal("a verified phone is not marked known")
	}
	for i := 10; i < 13; i++ {
		if got := e.sendFrom(rangePhone("1350000", i), remoteN(i), i); got.Code != 200 {
			t.Fatalf("unverified send %d = %+v", i, got)
		}
	}
	if got := e.sendFrom(rangePhone("1350000", 13), remoteN(13), 13); got.Code != 4008 {
		t.Fatalf("send past the limit = %+v, want 4008", got)
	}
}

// The overall cap refuses new phones once unverified sends reach it (a spread attack,
// one number per range), and lets phones that verified before through.
func TestDestinationTotalCap(t *testing.T) {
	refused := &counts{}
	e := newEnv(t, func(c *ginsms.Config) {
		c.Destination.TotalLimit = 3
		c.SMS.SendInterval = time.Second
		c.Observer.DestinationRefused = refused.add
	})
	known := rangePhone("1340000", 0)
	if got := e.sendFrom(known, remoteN(100), 100); got.Code != 200 {
		t.Fatalf("known phone's first send = %+v", got)
	}
	if got := e.verifyLast(known); got.Code != 200 {
		t.Fatalf("verify = %+v", got)
	}
	for i := range 3 {
		if got := e.sendFrom(rangePhone(fmt.Sprintf("13%d0000", 1+i), 0), remoteN(i), i); got.Code != 200 {
			t.Fatalf("spread send %d = %+v", i, got)
		}
	}
	got := e.sendFrom(rangePhone("1390000", 0), remoteN(3), 3)
	if got.Code != 4008 || retryAfter(t, got) > 3600 {
		t.Fatalf("a new phone past the cap = %+v, want 4008 with Retry-After within the window", got)
	}
	if _, ok := e.get("img_" + uuidN(3)); !ok {
		t.Fatal("RateLimit's 4008 consumed the captcha")
	}
	time.Sleep(1100 * time.Millisecond) // the known phone's send interval
	if got := e.sendFrom(known, remoteN(101), 101); got.Code != 200 {
		t.Fatalf("a known phone past the cap = %+v, want 200", got)
	}
	if refused.get("total") != 1 {
		t.Fatalf("observer: %v, want total 1", refused.m)
	}
}

// Country and number-type rules answer 4008 (no Retry-After: for good) without touching
// Redis; a foreign country has its own unverified-send counter.
func TestDestinationRules(t *testing.T) {
	e164 := func(c *ginsms.Config) {
		c.SMS.PhonePattern = `^\+[1-9]\d{6,14}$`
		c.Destination.HomeCountry = "GB"
	}
	tests := []struct {
		name   string
		mutate func(*ginsms.Config)
		phones []string
		want   []int
	}{
		{"deny country", func(c *ginsms.Config) { e164(c); c.Destination.DenyCountries = []string{"NG"} },
			[]string{"+2348031234567", "+447400123456"}, []int{4008, 200}},
		{"allow countries", func(c *ginsms.Config) { e164(c); c.Destination.AllowCountries = []string{"GB"} },
			[]string{"+14155550123", "+447400123457"}, []int{4008, 200}},
		{"premium rate, fixed line, toll free", e164,
			[]string{"+449012345678", "+441212345678", "+448001234567", "+447400123458"}, []int{4008, 4008, 4008, 200}},
		{"types allowed when not denied", func(c *ginsms.Config) { e164(c); c.Destination.DenyTypes = nil },
			[]string{"+441212345678"}, []int{200}},
		{"default pattern is country CN", func(c *ginsms.Config) { c.Destination.DenyCountries = []string{"CN"} },
			[]string{"13800138000"}, []int{4008}},
		{"foreign country counter", func(c *ginsms.Config) { e164(c); c.Destination.CountryLimit = 2 },
			[]string{"+14155550123", "+12125550123", "+13105550123", "+447400123459"}, []int{200, 200, 4008, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refused := &counts{}
			e := newEnv(t, func(c *ginsms.Config) { tt.mutate(c); c.Observer.DestinationRefused = refused.add })
			for i, phone := range tt.phones {
				got := e.sendFrom(url.PathEscape(phone), remoteN(i), i)
				if got.Code != tt.want[i] {
					t.Fatalf("%s = %+v, want %d", phone, got, tt.want[i])
				}
				if got.Code == 4008 && tt.name != "foreign country counter" {
					if got.RetryAfter != "" {
						t.Errorf("%s: Retry-After %q on a refusal for good", phone, got.RetryAfter)
					}
					if _, ok := e.get("img_" + uuidN(i)); !ok {
						t.Errorf("%s: the rule's 4008 consumed the captcha", phone)
					}
				}
			}
			if tt.name == "foreign country counter" {
				if refused.get("country") != 1 {
					t.Fatalf("observer: %v, want country 1", refused.m)
				}
				if _, ok := e.get("sms_country:US:blocked"); !ok {
					t.Fatal("no block key sms_country:US:blocked")
				}
			}
			// SendCode, without the middlewares, applies the same rules.
			if tt.want[0] == 4008 && tt.name != "foreign country counter" {
				if err := e.service.SendCode(context.Background(), tt.phones[0], "192.0.2.1"); !errors.Is(err, ginsms.ErrDestinationRefused) {
					t.Fatalf("SendCode(%s) = %v, want ErrDestinationRefused", tt.phones[0], err)
				}
			}
		})
	}
}

// A test number gets its fixed code, which verifies, and no SMS; the observer counts it
// as sender "test"; the Service warns at start-up.
func TestTestNumbers(t *testing.T) {
	var logs bytes.Buffer
	sent := &counts{}
	e := newEnv(t, func(c *ginsms.Config) {
		c.Destination.TestNumbers = map[string]string{"13700000001": "246810"}
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Observer.Sent = func(sender, outcome string, _ time.Duration) { sent.add(sender + "/" + outcome) }
	})
	if !bytes.Contains(logs.Bytes(), []byte("1 test number(s) configured")) {
		t.Fatalf("no start-up warning: %s", logs.String())
	}
	if got := e.sendFrom("13700000001", remoteN(1), 1); got.Code != 200 {
		t.Fatalf("send = %+v", got)
	}
	if n := len(e.sender.all()); n != 0 {
		t.Fatalf("a test number reached the provider (%d SMS)", n)
	}
	if got := e.sendFrom("13700000001", remoteN(2), 2); got.Code != 4004 {
		t.Fatalf("second send = %+v, want 4004: test numbers pass through every limit", got)
	}
	if err := e.service.Verify(context.Background(), "13700000001", "246810", ""); err != nil {
		t.Fatalf("verify the fixed code: %v", err)
	}
	if sent.get("test/sent") != 1 {
		t.Fatalf("observer: %v", sent.m)
	}
	if bytes.Contains(logs.Bytes(), []byte("246810")) {
		t.Fatal("the fixed code is in the log")
	}
	cfg := ginsms.DefaultConfig()
	cfg.Destination.TestNumbers = map[string]string{"13700000001": "12", "12345": "123456"}
	err := cfg.Validate()
	if err == nil || !errors.Is(err, ginsms.ErrInvalidConfig) || bytes.Count([]byte(err.Error()), []byte("destination.test_numbers")) != 2 {
		t.Fatalf("Validate of bad test numbers = %v", err)
	}
}

// The guard costs no round trip on the send path: 3 per success, 1 per refusal (4004
// or 4008); a verify that succeeds pays one more, to take its send off the counts.
func TestDestinationRoundTrips(t *testing.T) {
	for _, on := range []bool{false, true} {
		e := newEnv(t, func(c *ginsms.Config) {
			c.Destination.Enabled = on
			c.Destination.RangeLimit = 1
			c.SMS.HourlyVerifyLimitPerIP = 0
		})
		counter := &redistest.CommandCounter{}
		e.rdb.AddHook(counter)
		if got := e.sendFrom("13300000000", remoteN(0), 0); got.Code != 200 { // warm-up: scripts loaded
			t.Fatalf("warm-up = %+v", got)
		}
		e.verifyLast("13300000000")
		send := func(phone string, i int) answer {
			e.seedCaptcha(uuidN(i), "1234")
			counter.Reset()
			return performRequest(e.router, "GET", "/sms_codes/"+phone+"?imgcode=1234&uuid="+uuidN(i), "", "", "RemoteAddr", remoteN(i))
		}
		if got := send("13310000000", 1); got.Code != 200 {
			t.Fatalf("send = %+v", got)
		}
		if rt, _ := counter.Counts(); rt != 3 {
			t.Errorf("guard on=%v: success took %d round trips, want 3", on, rt)
		}
		want := 4008
		if !on {
			want = 200
		}
		// The send past the limit is refused by the store step, which gives back what the
		// phone's script took: 4 round trips, as for a quota that refuses there.
		if got := send("13310000001", 2); got.Code != want {
			t.Fatalf("second send to the range = %+v, want %d", got, want)
		}
		if rt, _ := counter.Counts(); on && rt != 4 {
			t.Errorf("the send that starts the block took %d round trips, want 4", rt)
		}
		if got := send("13310000002", 3); got.Code != want {
			t.Fatalf("third send to the range = %+v, want %d", got, want)
		}
		if rt, _ := counter.Counts(); on && rt != 1 {
			t.Errorf("a refusal of the blocked range took %d round trips, want 1", rt)
		}
		counter.Reset()
		if got := e.verifyLast("13310000000"); got.Code != 200 {
			t.Fatalf("verify = %+v", got)
		}
		wantVerify := int64(1)
		if on {
			wantVerify = 2
		}
		if rt, _ := counter.Counts(); rt != wantVerify {
			t.Errorf("guard on=%v: a successful verify took %d round trips, want %d", on, rt, wantVerify)
		}
	}
}

// A send the provider refused is taken back from the destination's counts too; a send
// whose outcome is unknown stays counted (its SMS may have gone out).
func TestDestinationTakenBack(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) { c.Destination.RangeLimit = 2 })
	e.sender.fail = fmt.Errorf("%w: rejected", sender.ErrRefused)
	for i := range 5 {
		if got := e.sendFrom(rangePhone("1320000", i), remoteN(i), i); got.Code != 5001 {
			t.Fatalf("refused send %d = %+v, want 5001", i, got)
		}
	}
	for _, name := range []string{"sms_range:1320000", "sms_unverified"} {
		if v, ok := e.get(name); ok {
			t.Fatalf("%s = %q after refused sends only, want none", name, v)
		}
	}
	e.sender.fail = errors.New("timeout")
	if got := e.sendFrom(rangePhone("1320000", 9), remoteN(9), 9); got.Code != 5001 || got.RetryAfter == "" {
		t.Fatalf("unknown outcome = %+v", got)
	}
	if v, _ := e.get("sms_range:1320000"); v != "1" {
		t.Fatalf("range count after an unknown outcome = %q, want 1", v)
	}
}

// Concurrent requests for one phone, each with its own solved captcha: one SMS, and the
// ones the interval refuses do not block the range, though they held a count for an
// instant.
func TestDestinationDuplicatesDoNotBlock(t *testing.T) {
	onTopologies(t, testDestinationDuplicatesDoNotBlock)
}

func testDestinationDuplicatesDoNotBlock(t *testing.T, top topology) {
	const dup = 40
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = 0; c.Destination.RangeLimit = 3 })
	for i := range dup {
		e.seedCaptcha(uuidN(i), "1234")
	}
	codes := runConcurrently(dup, func(i int) int {
		return performRequest(e.router, "GET", "/sms_codes/"+rangePhone("1310000", 0)+"?imgcode=1234&uuid="+uuidN(i), "", "").Code
	})
	if codes[200] != 1 || len(e.sender.all()) != 1 {
		t.Fatalf("answers %v, %d SMS; want one", codes, len(e.sender.all()))
	}
	if _, ok := e.get("sms_range:1310000:blocked"); ok {
		t.Fatalf("the interval's refusals blocked the range (answers %v)", codes)
	}
	if v, _ := e.get("sms_range:1310000"); v != "1" {
		t.Fatalf("range count = %q, want 1", v)
	}
}
