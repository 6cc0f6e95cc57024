package prommetrics_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/prommetrics"
	"github.com/ginsms/ginsms/sender"
)

// discard is a sender that accepts every message.
type discard struct{}

func (discard) Send(context.Context, sender.Message) error { return nil }

// The observer costs no Redis round trip and no command: every step of the routes, on
// the real Redis, sends the same as without it.
func TestObserverAddsNoRoundTrip(t *testing.T) {
	gin.SetMode(gin.TestMode)
	plain := roundTrips(t, false)
	observed := roundTrips(t, true)
	for i, p := range plain {
		t.Logf("%-34s without observer: %s   with: %s", p.step, p.counts, observed[i].counts)
		if observed[i] != p {
			t.Errorf("%s: %s with the observer, %s without", p.step, observed[i].counts, p.counts)
		}
	}
}

type stepCount struct{ step, counts string }

// roundTrips runs one scripted flow through the routes on a client that counts what it
// sends, and returns the round trips and commands of each step.
func roundTrips(t *testing.T, observed bool) []stepCount {
	t.Helper()
	counter := &redistest.CommandCounter{}
	rdb, prefix := redistest.Client(t)
	reader, _ := redistest.Client(t) // reads answers and codes, not counted
	rdb.AddHook(counter)
	ctx := context.Background()
	cfg := ginsms.DefaultConfig()
	cfg.Captcha.Key = prefix + "img_%s"
	cfg.SMS.Key = prefix + "sms_%s"
	cfg.SMS.FlagKey = prefix + "is_send_%s"
	cfg.Sender.Custom = discard{}
	var reg *prometheus.Registry
	if observed {
		reg = prometheus.NewRegistry()
		obs, err := prommetrics.New(reg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Observer = obs
	}
	router := gin.New()
	svc, err := ginsms.Register(router, rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deletePrefix(t, reader, prefix) })
	const phone = "13800138000"
	uuid := func(i int) string { return fmt.Sprintf("1b4e28ba-2fa1-41d2-883f-0016d3cca4%02d", i) }
	get := func(key string) string {
		v, err := reader.Get(ctx, prefix+key).Result()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return v
	}
	var out []stepCount
	step := func(name, method, target, form string, want string) {
		t.Helper()
		counter.Reset()
		req := httptest.NewRequest(method, target, strings.NewReader(form))
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		if !strings.Contains(w.Body.String(), want) && !strings.Contains(w.Header().Get("Content-Type"), want) {
			t.Fatalf("%s: %d %s, want %s", name, w.Code, w.Body, want)
		}
		rt, cmds := counter.Counts()
		out = append(out, stepCount{name, fmt.Sprintf("%d round trips, %d commands", rt, cmds)})
	}
	send := func(phone, u, imgcode string) string {
		return "/sms_codes/" + phone + "?" + url.Values{"imgcode": {imgcode}, "uuid": {u}}.Encode()
	}
	// Warm-up: the connection's set-up commands (HELLO, CLIENT SETINFO) are not a step's.
	step("warm-up", "GET", "/image_codes/"+uuid(0), "", "image/png")
	out = out[:0]
	step("image", "GET", "/image_codes/"+uuid(1), "", "image/png")
	step("audio", "GET", "/image_codes/"+uuid(1)+"/audio", "", "audio/wav")
	step("send (200)", "GET", send(phone, uuid(1), get("img_"+uuid(1))), "", `"code":200`)
	step("send again (4004, interval)", "GET", send(phone, uuid(2), "1234"), "", `"code":4004`)
	step("send, no captcha (4002)", "GET", send("13900139000", uuid(3), "1234"), "", `"code":4002`)
	code := get("sms_" + phone)
	wrong := []byte(code)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	step("verify wrong (4006)", "POST", "/sms_codes/"+phone+"/verify", "sms_code="+string(wrong), `"code":4006`)
	step("verify right (200)", "POST", "/sms_codes/"+phone+"/verify", "sms_code="+code, `"code":200`)
	counter.Reset()
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := svc.Check(cctx); err != nil {
		t.Fatal(err)
	}
	rt, cmds := counter.Counts()
	out = append(out, stepCount{"Check", fmt.Sprintf("%d round trips, %d commands", rt, cmds)})
	if observed {
		if n := series(t, reg)[`ginsms_requests_total{code="200",route="send"}`]; n != 1 {
			t.Fatalf("the observer did not see the send: %g", n)
		}
	}
	return out
}

// deletePrefix deletes, by exact name, every key under prefix.
func deletePrefix(t *testing.T, rdb *redis.Client, prefix string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	var names []string
	for iter.Next(ctx) {
		names = append(names, iter.Val())
	}
	if len(names) > 0 {
		if err := rdb.Del(ctx, names...).Err(); err != nil {
			t.Errorf("del: %v", err)
		}
	}
}
