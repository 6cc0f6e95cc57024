package ginsms_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/sender"
)

// events records what an Observer is told, as sorted "kind label..." lines.
type events struct {
	mu    sync.Mutex
	lines []string
}

func (ev *events) add(format string, args ...any) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.lines = append(ev.lines, fmt.Sprintf(format, args...))
}

func (ev *events) observer() ginsms.Observer {
	return ginsms.Observer{
		Answered:        func(route string, code int) { ev.add("answered %s %d", route, code) },
		QuotaRefused:    func(quota string) { ev.add("refused %s", quota) },
		Sent:            func(kind, outcome string, took time.Duration) { ev.add("sent %s %s", kind, outcome) },
		VerifyExhausted: func() { ev.add("exhausted") },
		StorageFailed:   func(op string) { ev.add("storage %s", op) },
	}
}

func (ev *events) sorted() string {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	out := append([]string(nil), ev.lines...)
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// The observer hears every answer, quota refusal, provider call, exhausted code and
// storage failure, each once, with labels from fixed lists only.
func TestObserver(t *testing.T) {
	ev := &events{}
	e := newEnv(t, func(c *ginsms.Config) {
		c.Observer = ev.observer()
		c.SMS.MaxVerifyAttempts = 2
		c.Captcha.HourlyLimitPerIP = 1
	})
	if got := performRequest(e.router, "GET", "/image_codes/"+uuidN(1), "", ""); got.Status != 200 {
		t.Fatal(got)
	}
	performRequest(e.router, "GET", "/image_codes/"+uuidN(2), "", "") // captcha quota: 4004
	code := e.sendCode(testPhone)                                     // 200
	e.seedCaptcha(uuidN(3), "1234")
	e.sendGET(testPhone, uuidN(3), "1234") // interval: 4004
	e.sendGET(phoneN(1), uuidN(4), "1234") // no captcha: 4002
	e.verify(testPhone, wrongCode(code))   // 4006
	e.verify(testPhone, wrongCode(code))   // 4006, exhausted
	e.sender.fail = fmt.Errorf("%w: no", sender.ErrRefused)
	e.seedCaptcha(uuidN(5), "1234")
	e.sendGET(phoneN(2), uuidN(5), "1234") // 5001 refused
	e.sender.fail = nil

	want := strings.Join([]string{
		"answered image 200",
		"answered image 4004",
		"answered send 200",
		"answered send 4002",
		"answered send 4004",
		"answered send 5001",
		"answered verify 4006",
		"answered verify 4006",
		"exhausted",
		"refused captcha_ip",
		"refused interval",
		"sent custom refused",
		"sent custom sent",
	}, "\n")
	if got := ev.sorted(); got != want {
		t.Fatalf("observed:\n%s\nwant:\n%s", got, want)
	}

	down := &events{}
	dead := newEnvWith(t, redistest.DeadClient(t), func(c *ginsms.Config) { c.Observer = down.observer() })
	dead.sendGET(testPhone, uuidN(1), "1234")
	dead.verify(testPhone, "123456")
	performRequest(dead.router, "GET", "/image_codes/"+uuidN(1), "", "")
	want = "answered image 5002\nanswered send 5002\nanswered verify 5002\nstorage captcha\nstorage send_wait\nstorage verify"
	if got := down.sorted(); got != want {
		t.Fatalf("observed with Redis down:\n%s\nwant:\n%s", got, want)
	}
}

// A take-back that fails (its reply lost) is a storage failure the observer hears of.
func TestObserverTakeBackFailure(t *testing.T) {
	ev := &events{}
	drop := &redistest.ReplyDropper{}
	rdb := single.dial(t, drop.Dial)
	e := newEnvServing(t, single, rdb, rdb, func(c *ginsms.Config) { c.Observer = ev.observer() })
	if err := e.service.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.sender.fail = fmt.Errorf("%w: barred", sender.ErrRefused)
	e.seedCaptcha(uuidN(1), "1234")
	drop.Arm(ginsms.ScriptHash("unstore_code"))
	if got := e.sendGET(testPhone, uuidN(1), "1234"); got.Code != 5001 {
		t.Fatalf("refused send = %+v", got)
	}
	if got := ev.sorted(); !strings.Contains(got, "storage take_back") {
		t.Fatalf("observed:\n%s\nwant a take_back storage failure", got)
	}
}
