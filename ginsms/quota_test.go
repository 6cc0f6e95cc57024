package ginsms_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
)

// phoneN is phone i, each in a number range of its own (i < 10000), so that the
// destination guard's range counters stay out of the tests of other limits.
func phoneN(i int) string { return fmt.Sprintf("139%04d0000", i) }

// sendFrom walks the send flow for phone from the client address remote.
func (e *env) sendFrom(phone, remote string, captchaN int) answer {
	u := uuidN(captchaN)
	e.seedCaptcha(u, "1234")
	return performRequest(e.router, "GET", "/sms_codes/"+phone+"?imgcode=1234&uuid="+u, "", "", "RemoteAddr", remote)
}

func retryAfter(t *testing.T, a answer) int {
	t.Helper()
	n, err := strconv.Atoi(a.RetryAfter)
	if err != nil {
		t.Fatalf("Retry-After %q: %v", a.RetryAfter, err)
	}
	return n
}

func TestQuotas(t *testing.T) { onTopologies(t, testQuotas) }

func testQuotas(t *testing.T, top topology) {
	tests := []struct {
		name   string
		mutate func(*ginsms.Config)
		// request i goes to phone(i) from remote(i); the first `allowed` succeed, the next is refused
		phone     func(i int) string
		remote    func(i int) string
		allowed   int
		maxRetry  int // Retry-After of the refusal is at most this, and more than maxRetry-60
		otherPass bool
		other     func() (phone, remote string) // a request another quota does not hold back
	}{
		{
			name:   "per phone per day",
			mutate: func(c *ginsms.Config) { c.SMS.DailyLimitPerPhone = 2 },
			phone:  func(int) string { return testPhone }, remote: func(int) string { return "192.0.2.1:1" },
			allowed: 2, maxRetry: 86400,
			other: func() (string, string) { return phoneN(1), "192.0.2.1:1" },
		},
		{
			name:   "per IP per hour",
			mutate: func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = 3 },
			phone:  phoneN, remote: func(int) string { return "198.51.100.7:1" },
			allowed: 3, maxRetry: 3600,
			other: func() (string, string) { return phoneN(99), "198.51.100.8:1" },
		},
		{
			name:   "per IPv6 /64 per hour",
			mutate: func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = 2 },
			phone:  phoneN, remote: func(i int) string { return fmt.Sprintf("[2001:db8:1:2::%x]:1", i+1) },
			allowed: 2, maxRetry: 3600,
			other: func() (string, string) { return phoneN(99), "[2001:db8:1:3::1]:1" },
		},
		{
			name:   "total per day",
			mutate: func(c *ginsms.Config) { c.SMS.DailyLimitTotal = 3 },
			phone:  phoneN, remote: func(i int) string { return fmt.Sprintf("203.0.113.%d:1", i+1) },
			allowed: 3, maxRetry: 86400,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvOn(t, top, func(c *ginsms.Config) {
				c.SMS.DailyLimitPerPhone, c.SMS.HourlyLimitPerIP = 0, 0
				tt.mutate(c)
			})
			for i := 0; i < tt.allowed; i++ {
				if got := e.sendFrom(tt.phone(i), tt.remote(i), i); got.Code != 200 {
					t.Fatalf("send %d = %+v, want 200", i+1, got)
				}
				e.rdb.Del(context.Background(), e.key("is_send_"+tt.phone(i))) // the interval passed
			}
			u := uuidN(1000)
			got := e.sendFrom(tt.phone(tt.allowed), tt.remote(tt.allowed), 1000)
			if got.Code != 4004 || got.Status != 429 {
				t.Fatalf("send over the quota = %+v, want 4004 / 429", got)
			}
			if ra := retryAfter(t, got); ra > tt.maxRetry || ra <= tt.maxRetry-60 {
				t.Errorf("Retry-After = %d, want the window's remaining time (about %d)", ra, tt.maxRetry)
			}
			if _, ok := e.get("img_" + u); !ok {
				t.Error("a quota refusal consumed the captcha")
			}
			if n := len(e.sender.all()); n != tt.allowed {
				t.Errorf("sent %d, want %d", n, tt.allowed)
			}
			if tt.other != nil {
				phone, remote := tt.other()
				if got := e.sendFrom(phone, remote, 2000); got.Code != 200 {
					t.Errorf("a request outside the exhausted quota = %+v, want 200", got)
				}
			}
		})
	}
}

// Concurrent requests never exceed a quota: each is counted in the same atomic step
// that stores the code.
func TestConcurrentQuota(t *testing.T) { onTopologies(t, testConcurrentQuota) }

func testConcurrentQuota(t *testing.T, top topology) {
	for _, tt := range []struct {
		name   string
		mutate func(*ginsms.Config)
		remote func(i int) string
	}{
		{"per IP", func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = 5 }, func(int) string { return "198.51.100.7:1" }},
		{"total", func(c *ginsms.Config) { c.SMS.DailyLimitTotal = 5; c.SMS.HourlyLimitPerIP = 0 },
			func(i int) string { return fmt.Sprintf("203.0.113.%d:1", i+1) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvOn(t, top, tt.mutate)
			const n = 40
			for i := 0; i < n; i++ {
				e.seedCaptcha(uuidN(i), "1234")
			}
			codes := runConcurrently(n, func(i int) int {
				return performRequest(e.router, "GET", "/sms_codes/"+phoneN(i)+"?imgcode=1234&uuid="+uuidN(i), "", "", "RemoteAddr", tt.remote(i)).Code
			})
			if codes[200] != 5 || codes[4004] != n-5 {
				t.Fatalf("answers = %v, want 5 × 200 and %d × 4004", codes, n-5)
			}
			if sent := len(e.sender.all()); sent != 5 {
				t.Fatalf("sent %d, want 5", sent)
			}
			// Refused requests left no flag behind: only the 5 sent phones are flagged.
			flags := 0
			for _, k := range e.keys() {
				if strings.HasPrefix(k, "is_send_") {
					flags++
				}
			}
			if flags != 5 {
				t.Fatalf("%d phones flagged, want 5", flags)
			}
		})
	}
}

// raceHook fills the per-IP quota just before the store step, as a concurrent request on
// another app server would: the phone's script then succeeds and the reservation fails.
type raceHook struct {
	rdb redis.UniversalClient
	key string
}

func (h raceHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h raceHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); strings.HasPrefix(cmd.Name(), "eval") && len(args) > 2 && fmt.Sprint(args[2]) == "4" {
			h.rdb.Set(ctx, h.key, 1, time.Hour) // store_code.lua: the only script with 4 keys
		}
		return next(ctx, cmd)
	}
}

func (h raceHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if strings.HasPrefix(cmds[0].Name(), "eval") {
			h.rdb.Set(ctx, h.key, 1, time.Hour)
		}
		return next(ctx, cmds)
	}
}

func TestQuotaLostRaceGivesBack(t *testing.T) { onTopologies(t, testQuotaLostRaceGivesBack) }

func testQuotaLostRaceGivesBack(t *testing.T, top topology) {
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = 1 })
	other := top.client(t)
	e.rdb.AddHook(raceHook{rdb: other, key: e.key("sms_ip:192.0.2.1")})
	got := e.sendGET(testPhone, uuidN(1), "1234")
	if got.Code != 4002 {
		t.Fatalf("unseeded = %+v", got)
	}
	e.seedCaptcha(uuidN(2), "1234")
	got = e.sendGET(testPhone, uuidN(2), "1234")
	if got.Code != 4004 {
		t.Fatalf("send that lost the quota race = %+v, want 4004", got)
	}
	for _, k := range []string{"is_send_" + testPhone, "sms_" + testPhone, "sms_" + testPhone + ":daily"} {
		if _, ok := e.get(k); ok {
			t.Errorf("%s left behind by a refused send", k)
		}
	}
	if v, _ := e.get("sms_ip:192.0.2.1"); v != "1" {
		t.Errorf("IP counter = %q, want the other request's 1", v)
	}
	if n := len(e.sender.all()); n != 0 {
		t.Fatalf("sent %d", n)
	}
}

// Windows end: time moved with miniredis, which also proves the scripts run on the
// example's embedded Redis.
func TestQuotaWindowsExpire(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	e := newEnvWith(t, rdb, func(c *ginsms.Config) {
		c.SMS.HourlyLimitPerIP, c.SMS.DailyLimitPerPhone = 1, 0
	})
	if got := e.sendFrom(testPhone, "192.0.2.1:1", 1); got.Code != 200 {
		t.Fatalf("first send = %+v", got)
	}
	mr.FastForward(61 * time.Second) // the flag expired, the IP's hour did not
	got := e.sendFrom(phoneN(1), "192.0.2.1:1", 2)
	if got.Code != 4004 {
		t.Fatalf("second send in the hour = %+v, want 4004", got)
	}
	if ra := retryAfter(t, got); ra > 3600-61 || ra < 3600-70 {
		t.Fatalf("Retry-After = %d, want about %d", ra, 3600-61)
	}
	mr.FastForward(time.Hour)
	if got := e.sendFrom(phoneN(1), "192.0.2.1:1", 3); got.Code != 200 {
		t.Fatalf("send after the hour = %+v, want 200", got)
	}
	// And a code verifies on the embedded Redis too.
	code := e.sender.all()[1].code
	if got := e.verify(phoneN(1), code); got.Code != 200 {
		t.Fatalf("verify on miniredis = %+v", got)
	}
}

// The store script refuses on its own when the rate limit's read is stale (SendCode goes
// straight to it): a flag another program set without TTL waits the whole interval and
// stays as it was; a full daily quota leaves no flag behind (the script takes the flag
// with SET NX first and gives it back) and its count as it was.
func TestStoreScriptRefusals(t *testing.T) { onTopologies(t, testStoreScriptRefusals) }

func testStoreScriptRefusals(t *testing.T, top topology) {
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.DailyLimitPerPhone = 3 })
	ctx := context.Background()

	e.rdb.Set(ctx, e.key("is_send_"+testPhone), "other", 0)
	err := e.service.SendCode(ctx, testPhone, "192.0.2.1")
	if wait, _ := ginsms.RetryAfter(err); !errors.Is(err, ginsms.ErrTooFrequent) || wait != 60*time.Second {
		t.Fatalf("flag without TTL: %v, wait %v; want ErrTooFrequent for the interval", err, wait)
	}
	if v, _ := e.get("is_send_" + testPhone); v != "other" || e.rdb.TTL(ctx, e.key("is_send_"+testPhone)).Val() != -1 {
		t.Fatalf("the other program's flag became %q with TTL %v", v, e.rdb.TTL(ctx, e.key("is_send_"+testPhone)).Val())
	}

	const phone = "13900000077"
	e.rdb.Set(ctx, e.key("sms_"+phone+":daily"), 3, time.Hour)
	err = e.service.SendCode(ctx, phone, "192.0.2.1")
	if wait, _ := ginsms.RetryAfter(err); !errors.Is(err, ginsms.ErrTooFrequent) || wait <= 59*time.Minute || wait > time.Hour {
		t.Fatalf("daily quota full: %v, wait %v; want ErrTooFrequent for the counter's hour", err, wait)
	}
	for name, want := range map[string]string{"is_send_" + phone: "", "sms_" + phone: "", "sms_" + phone + ":daily": "3"} {
		if got, _ := e.get(name); got != want {
			t.Errorf("after the daily quota refused: %s = %q, want %q", name, got, want)
		}
	}
	if n := len(e.sender.all()); n != 0 {
		t.Fatalf("%d SMS sent", n)
	}
}
