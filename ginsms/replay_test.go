package ginsms_test

import (
	"context"
	"testing"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
)

// A command whose reply is lost may have run: no client may send it again. With go-redis's
// default options (a plain client re-sends up to 3 times, a Cluster client up to
// MaxRedirects, whatever MaxRetries says), each step below loses one reply: the request
// answers 5002, the step ran exactly once, and the promise holds.
func TestLostRepliesAreNotReplayed(t *testing.T) { onTopologies(t, testLostReplies) }

func testLostReplies(t *testing.T, top topology) {
	drop := &redistest.ReplyDropper{}
	rdb := top.dial(t, drop.Dial)
	e := newEnvServing(t, top, rdb, rdb, func(c *ginsms.Config) { c.SMS.DailyLimitTotal = 100 })
	ctx := context.Background()
	if err := e.service.Check(ctx); err != nil { // loads the scripts: EVALSHA from the start
		t.Fatalf("Check: %v", err)
	}

	// The store step: it ran once (the phone counted once, not refused by its own flag),
	// no SMS went out, and the phone waits for the interval: fail closed.
	e.seedCaptcha(uuidN(1), "1234")
	drop.Arm(ginsms.ScriptHash("store_code"))
	if got := e.sendGET(testPhone, uuidN(1), "1234"); got.Code != 5002 {
		t.Fatalf("send whose store reply was lost = %+v, want 5002", got)
	}
	if drop.Dropped() != 1 {
		t.Fatalf("%d replies dropped, want 1", drop.Dropped())
	}
	for _, name := range []string{"sms_" + testPhone + ":daily", "is_send_" + testPhone} {
		if got, _ := e.get(name); got != "1" {
			t.Errorf("%s = %q after one lost reply, want 1 (run exactly once)", name, got)
		}
	}
	// The counters' own replies were lost too (one pipeline), or, on a Cluster, came
	// back from their nodes and were given back: never counted twice.
	for _, name := range []string{"sms_ip:192.0.2.1", "sms_total"} {
		if got, _ := e.get(name); got != "1" && got != "" {
			t.Errorf("%s = %q after one lost reply, want 1 or given back", name, got)
		}
	}
	if n := len(e.sender.all()); n != 0 {
		t.Fatalf("sent %d SMS after a lost store reply", n)
	}
	e.seedCaptcha(uuidN(2), "1234")
	if got := e.sendGET(testPhone, uuidN(2), "1234"); got.Code != 4004 {
		t.Fatalf("retry after a lost store reply = %+v, want 4004 (the stored flag holds)", got)
	}

	// The captcha's GETDEL: consumed once, the request answered 5002, not 4002.
	e.seedCaptcha(uuidN(3), "1234")
	drop.Arm("getdel")
	if got := e.sendGET(phoneN(3), uuidN(3), "1234"); got.Code != 5002 {
		t.Fatalf("send whose captcha reply was lost = %+v, want 5002", got)
	}
	if _, ok := e.get("img_" + uuidN(3)); ok {
		t.Error("the captcha survived its GETDEL")
	}

	// A right verify: the code was consumed once; the user saw 5002 and a retry says 4007.
	code := e.sendCode(phoneN(4))
	drop.Arm(ginsms.ScriptHash("verify_code"))
	if got := e.verify(phoneN(4), code); got.Code != 5002 {
		t.Fatalf("verify whose reply was lost = %+v, want 5002", got)
	}
	if got := e.verify(phoneN(4), code); got.Code != 4007 {
		t.Fatalf("verify again = %+v, want 4007 (consumed by the first)", got)
	}
	if drop.Dropped() != 3 {
		t.Fatalf("%d replies dropped, want 3", drop.Dropped())
	}
}
