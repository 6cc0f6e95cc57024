package ginsms_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/middleware"
	"github.com/ginsms/ginsms/sender"
)

// Every row of the contract's send order, one case each.
func TestSendOrder(t *testing.T) { onTopologies(t, testSendOrder) }

func testSendOrder(t *testing.T, top topology) {
	u := uuidN(1)
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		flagSet     bool // is_send_<phone> exists before the request
		seed        bool // captcha u = "1234" exists before the request
		wantCode    int
		wantStatus  int
		wantSent    bool
		wantCaptcha bool // captcha still in Redis afterwards
	}{
		{name: "missing imgcode", method: "GET", target: "/sms_codes/" + testPhone + "?uuid=" + u, seed: true, wantCode: 4001, wantStatus: 400, wantCaptcha: true},
		{name: "missing uuid", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=1234", seed: true, wantCode: 4001, wantStatus: 400, wantCaptcha: true},
		{name: "blank imgcode", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=%20%20&uuid=" + u, seed: true, wantCode: 4001, wantStatus: 400, wantCaptcha: true},
		{name: "missing input wins over rate limit", method: "GET", target: "/sms_codes/" + testPhone + "?uuid=" + u, flagSet: true, seed: true, wantCode: 4001, wantStatus: 400, wantCaptcha: true},
		{name: "malformed phone", method: "GET", target: "/sms_codes/12345?imgcode=1234&uuid=" + u, seed: true, wantCode: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "malformed uuid", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=1234&uuid=not-a-uuid", seed: true, wantCode: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "oversized imgcode", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=" + strings.Repeat("1", 33) + "&uuid=" + u, seed: true, wantCode: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "rate limited leaves captcha", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=1234&uuid=" + u, flagSet: true, seed: true, wantCode: 4004, wantStatus: 429, wantCaptcha: true},
		{name: "no captcha", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=1234&uuid=" + u, wantCode: 4002, wantStatus: 400},
		{name: "wrong captcha consumes it", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=9999&uuid=" + u, seed: true, wantCode: 4003, wantStatus: 400},
		{name: "success GET", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=1234&uuid=" + u, seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "success with trailing slashes (original client)", method: "GET", target: "/sms_codes/" + testPhone + "/?imgcode=1234&uuid=" + u + "/", seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "success upper-case uuid", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=1234&uuid=" + strings.ToUpper(u), seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "success answer with blanks", method: "GET", target: "/sms_codes/" + testPhone + "?imgcode=%201234%20&uuid=" + u, seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "success form POST", method: "POST", target: "/sms_codes/" + testPhone, contentType: "application/x-www-form-urlencoded", body: "imgcode=1234&uuid=" + u, seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "success multipart POST", method: "POST", target: "/sms_codes/" + testPhone, contentType: "multipart/form-data; boundary=XX", body: "--XX\r\nContent-Disposition: form-data; name=\"imgcode\"\r\n\r\n1234\r\n--XX\r\nContent-Disposition: form-data; name=\"uuid\"\r\n\r\n" + u + "\r\n--XX--\r\n", seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "success JSON POST", method: "POST", target: "/sms_codes/" + testPhone, contentType: "application/json", body: `{"imgcode":"1234","uuid":"` + u + `"}`, seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "JSON number imgcode", method: "POST", target: "/sms_codes/" + testPhone, contentType: "application/json", body: `{"imgcode":1234,"uuid":"` + u + `"}`, seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "malformed JSON", method: "POST", target: "/sms_codes/" + testPhone, contentType: "application/json", body: `{"imgcode":`, seed: true, wantCode: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "big body, fields first", method: "POST", target: "/sms_codes/" + testPhone, contentType: "application/x-www-form-urlencoded", body: "imgcode=1234&uuid=" + u + "&pad=" + strings.Repeat("x", 90<<10), seed: true, wantCode: 200, wantStatus: 200, wantSent: true},
		{name: "fields past the 64 KiB looked at", method: "POST", target: "/sms_codes/" + testPhone, contentType: "application/x-www-form-urlencoded", body: "pad=" + strings.Repeat("x", 90<<10) + "&imgcode=1234&uuid=" + u, seed: true, wantCode: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "phone with a newline", method: "GET", target: "/sms_codes/" + testPhone + "%0A?imgcode=1234&uuid=" + u, seed: true, wantCode: 4005, wantStatus: 400, wantCaptcha: true},
		{name: "form phone whose + became a space", method: "POST", target: "/sms_codes/x", contentType: "application/x-www-form-urlencoded", body: "phone=+" + testPhone + "&imgcode=1234&uuid=" + u, seed: true, wantCode: 4005, wantStatus: 400, wantCaptcha: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvOn(t, top, nil)
			if tt.flagSet {
				e.rdb.Set(context.Background(), e.key("is_send_"+testPhone), "1", 42*time.Second)
			}
			if tt.seed {
				e.seedCaptcha(u, "1234")
			}
			got := performRequest(e.router, tt.method, tt.target, tt.contentType, tt.body)
			if got.Code != tt.wantCode || got.Status != tt.wantStatus {
				t.Fatalf("answer = %d (HTTP %d) %q, want %d (HTTP %d)", got.Code, got.Status, got.Body, tt.wantCode, tt.wantStatus)
			}
			if tt.wantCode == 4004 && got.RetryAfter != "42" {
				t.Errorf("Retry-After = %q, want 42 (the flag's TTL)", got.RetryAfter)
			}
			if sent := len(e.sender.all()) == 1; sent != tt.wantSent {
				t.Errorf("sent = %v, want %v", sent, tt.wantSent)
			}
			if _, ok := e.get("img_" + u); ok != tt.wantCaptcha {
				t.Errorf("captcha present afterwards = %v, want %v", ok, tt.wantCaptcha)
			}
			if !tt.wantSent && !tt.flagSet {
				if _, ok := e.get("is_send_" + testPhone); ok {
					t.Error("a refused send left the phone flagged")
				}
			}
		})
	}
}

func TestSendStoresKeysAndTTLs(t *testing.T) { onTopologies(t, testSendStoresKeysAndTTLs) }

func testSendStoresKeysAndTTLs(t *testing.T, top topology) {
	e := newEnvOn(t, top, nil)
	u := uuidN(7)
	e.seedCaptcha(u, "1234")
	if got := e.sendGET(testPhone, u, "1234"); got.Code != 200 {
		t.Fatalf("send = %+v", got)
	}
	sent := e.sender.all()
	if len(sent) != 1 || sent[0].phone != testPhone {
		t.Fatalf("sent = %v", sent)
	}
	code, ok := e.get("sms_" + testPhone)
	if !ok || code != sent[0].code || len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("sms_<phone> = %q, sent %q: want the six digits sent", code, sent[0].code)
	}
	if flag, _ := e.get("is_send_" + testPhone); flag != "1" {
		t.Fatalf("is_send_<phone> = %q, want 1", flag)
	}
	ctx := context.Background()
	for key, want := range map[string]time.Duration{"sms_" + testPhone: 60 * time.Second, "is_send_" + testPhone: 60 * time.Second} {
		ttl := e.rdb.TTL(ctx, e.key(key)).Val()
		if ttl < want-2*time.Second || ttl > want {
			t.Errorf("TTL %s = %v, want %v", key, ttl, want)
		}
	}
	if _, ok := e.get("img_" + u); ok {
		t.Error("captcha not consumed")
	}
	// The only other keys are the per-phone and per-IP quota counts, and the destination
	// guard's unverified-send counts of the phone's range and overall.
	want := map[string]bool{"sms_" + testPhone: true, "is_send_" + testPhone: true,
		"sms_" + testPhone + ":daily": true, "sms_ip:192.0.2.1": true, "sms_range:1380013": true, "sms_unverified": true}
	for _, k := range e.keys() {
		if !want[k] {
			t.Errorf("unexpected key %q", k)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("missing keys %v", want)
	}
}

func TestWrongAnswerConsumesCaptcha(t *testing.T) { onTopologies(t, testWrongAnswerConsumesCaptcha) }

func testWrongAnswerConsumesCaptcha(t *testing.T, top topology) {
	e := newEnvOn(t, top, nil)
	u := uuidN(2)
	e.seedCaptcha(u, "1234")
	if got := e.sendGET(testPhone, u, "0000"); got.Code != 4003 {
		t.Fatalf("wrong answer = %d, want 4003", got.Code)
	}
	if got := e.sendGET(testPhone, u, "1234"); got.Code != 4002 {
		t.Fatalf("right answer after a wrong one = %d, want 4002 (captcha used up)", got.Code)
	}
	if n := len(e.sender.all()); n != 0 {
		t.Fatalf("sent %d, want 0", n)
	}
}

// However many concurrent requests arrive for one phone, at most one SMS is sent.
func TestConcurrentSendsOnePhone(t *testing.T) { onTopologies(t, testConcurrentSendsOnePhone) }

func testConcurrentSendsOnePhone(t *testing.T, top topology) {
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.DailyLimitTotal = 100 })
	const n = 50
	for i := 0; i < n; i++ {
		e.seedCaptcha(uuidN(100+i), "1234")
	}
	codes := runConcurrently(n, func(i int) int { return e.sendGET(testPhone, uuidN(100+i), "1234").Code })
	if codes[200] != 1 || codes[200]+codes[4004] != n {
		t.Fatalf("answers = %v, want exactly one 200 and the rest 4004", codes)
	}
	if sent := len(e.sender.all()); sent != 1 {
		t.Fatalf("sent %d SMS, want 1", sent)
	}
}

// One captcha can never serve two requests.
func TestConcurrentSendsOneCaptcha(t *testing.T) { onTopologies(t, testConcurrentSendsOneCaptcha) }

func testConcurrentSendsOneCaptcha(t *testing.T, top topology) {
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = 0 })
	const n = 20
	u := uuidN(3)
	e.seedCaptcha(u, "1234")
	codes := runConcurrently(n, func(i int) int {
		phone := "1390000" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00"
		return e.sendGET(phone, u, "1234").Code
	})
	if codes[200] != 1 || codes[4002] != n-1 {
		t.Fatalf("answers = %v, want one 200 and %d 4002", codes, n-1)
	}
	if sent := len(e.sender.all()); sent != 1 {
		t.Fatalf("sent %d SMS, want 1", sent)
	}
}

func runConcurrently(n int, f func(i int) int) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c := f(i)
			mu.Lock()
			codes[c]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// A definite refusal by the provider takes everything back: the user can retry at once.
func TestSenderRefusalTakesSendBack(t *testing.T) { onTopologies(t, testSenderRefusalTakesSendBack) }

func testSenderRefusalTakesSendBack(t *testing.T, top topology) {
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.DailyLimitTotal = 100 })
	e.sender.fail = fmt.Errorf("%w: gateway: number barred", sender.ErrRefused)
	e.seedCaptcha(uuidN(1), "1234")
	if got := e.sendGET(testPhone, uuidN(1), "1234"); got.Code != 5001 || got.Status != http.StatusBadGateway || got.RetryAfter != "" {
		t.Fatalf("answer = %+v, want 5001 / 502 without Retry-After", got)
	}
	if keys := e.keys(); len(keys) != 0 {
		t.Fatalf("keys left after a refused send: %v (flag, code and quota counts must be taken back)", keys)
	}
	e.sender.fail = nil
	e.seedCaptcha(uuidN(2), "1234")
	if got := e.sendGET(testPhone, uuidN(2), "1234"); got.Code != 200 {
		t.Fatalf("retry after a refused send = %+v, want 200", got)
	}
}

// An error that is not a refusal is an unknown outcome: the SMS may still arrive, so the
// flag, the code and the counts stay, and the answer says when to retry.
func TestSenderUnknownOutcomeKeepsSend(t *testing.T) {
	onTopologies(t, testSenderUnknownOutcomeKeepsSend)
}

func testSenderUnknownOutcomeKeepsSend(t *testing.T, top topology) {
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.DailyLimitTotal = 100 })
	e.sender.fail = errors.New("connection reset after the request was written")
	e.seedCaptcha(uuidN(1), "1234")
	got := e.sendGET(testPhone, uuidN(1), "1234")
	if got.Code != 5001 || got.Status != http.StatusBadGateway {
		t.Fatalf("answer = %+v, want 5001 / 502", got)
	}
	if ra := retryAfter(t, got); ra < 58 || ra > 60 {
		t.Errorf("Retry-After = %d, want the flag's remaining TTL (about 60)", ra)
	}
	for _, k := range []string{"is_send_" + testPhone, "sms_" + testPhone, "sms_" + testPhone + ":daily", "sms_ip:192.0.2.1", "sms_total"} {
		if _, ok := e.get(k); !ok {
			t.Errorf("%s taken back after an unknown outcome", k)
		}
	}
	e.sender.fail = nil
	e.seedCaptcha(uuidN(2), "1234")
	if got := e.sendGET(testPhone, uuidN(2), "1234"); got.Code != 4004 {
		t.Fatalf("retry after an unknown outcome = %+v, want 4004 (no second SMS in the interval)", got)
	}
}

func TestSenderTimeout(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) { c.Sender.Timeout = 50 * time.Millisecond })
	e.sender.delay = 5 * time.Second
	e.seedCaptcha(uuidN(1), "1234")
	start := time.Now()
	if got := e.sendGET(testPhone, uuidN(1), "1234"); got.Code != 5001 || got.RetryAfter == "" {
		t.Fatalf("answer = %+v, want 5001 with Retry-After", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("a sender past its timeout held the request %v", d)
	}
	if _, ok := e.get("is_send_" + testPhone); !ok {
		t.Fatal("a timed-out send was taken back: the SMS may still arrive")
	}
}

func TestRedisDown(t *testing.T) {
	dead := redistest.DeadClient(t)
	e := newEnvWith(t, dead, nil)
	for _, target := range []string{
		"/sms_codes/" + testPhone + "?imgcode=1234&uuid=" + uuidN(1),
		"/image_codes/" + uuidN(1),
		"/image_codes/" + uuidN(1) + "/audio",
	} {
		got := performRequest(e.router, "GET", target, "", "")
		if got.Code != 5002 || got.Status != http.StatusServiceUnavailable {
			t.Errorf("GET %s with Redis down = %+v, want 5002 / 503", target, got)
		}
	}
	got := performRequest(e.router, "POST", "/sms_codes/"+testPhone+"/verify", "application/x-www-form-urlencoded", "sms_code=123456")
	if got.Code != 5002 {
		t.Errorf("verify with Redis down = %+v, want 5002", got)
	}
	if n := len(e.sender.all()); n != 0 {
		t.Fatalf("sent %d SMS with Redis down", n)
	}
}

// A success costs 3 round trips (flag and quotas, captcha, store); a rate-limited one 1.
func TestRoundTrips(t *testing.T) {
	for _, quotasOn := range []bool{false, true} {
		e := newEnv(t, func(c *ginsms.Config) {
			if !quotasOn {
				c.SMS.DailyLimitPerPhone, c.SMS.HourlyLimitPerIP, c.SMS.DailyLimitTotal = 0, 0, 0
			} else {
				c.SMS.DailyLimitTotal = 1000
			}
		})
		counter := &redistest.CommandCounter{}
		e.rdb.AddHook(counter)
		e.seedCaptcha(uuidN(1), "1234")
		e.seedCaptcha(uuidN(2), "1234")
		// Warm up: a server meets each script once by EVAL (NOSCRIPT costs one round trip, once).
		e.seedCaptcha(uuidN(3), "1234")
		if got := e.sendGET("13900000000", uuidN(3), "1234"); got.Code != 200 {
			t.Fatalf("warm-up send = %+v", got)
		}
		counter.Reset()
		if got := e.sendGET(testPhone, uuidN(1), "1234"); got.Code != 200 {
			t.Fatalf("send = %+v", got)
		}
		if rt, _ := counter.Counts(); rt != 3 {
			t.Errorf("quotas on=%v: success took %d round trips, want 3", quotasOn, rt)
		}
		counter.Reset()
		if got := e.sendGET(testPhone, uuidN(2), "1234"); got.Code != 4004 {
			t.Fatalf("second send = %+v", got)
		}
		if rt, _ := counter.Counts(); rt != 1 {
			t.Errorf("quotas on=%v: rejection took %d round trips, want 1", quotasOn, rt)
		}
	}
}

func TestLegacyStatusAndMessages(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) {
		c.SMS.LegacyStatus = true
		c.Messages = map[int]string{4002: "Captcha expired"}
	})
	got := e.sendGET(testPhone, uuidN(9), "1234")
	if got.Status != 200 || got.Code != 4002 || got.ErrMsg != "Captcha expired" {
		t.Fatalf("legacy answer = %+v, want HTTP 200, code 4002, overridden text", got)
	}
}

// The pieces alone, as ExampleService_SendCode mounts them: the Service's guards and
// SendCode in a handler of one's own, on a path of one's own.
func TestChainOfOnesOwn(t *testing.T) {
	e := newEnv(t, nil)
	e.router.POST("/signup/otp/:phone", append(e.service.SendGuards(), func(c *gin.Context) {
		err := e.service.SendCode(c.Request.Context(), middleware.Phone(c), c.ClientIP())
		wait, _ := ginsms.RetryAfter(err)
		c.JSON(http.StatusOK, gin.H{"sent": err == nil, "too_frequent": errors.Is(err, ginsms.ErrTooFrequent), "wait": wait > 0})
	})...)
	e.seedCaptcha(uuidN(1), "1234")
	send := func(u string) string {
		return performRequest(e.router, "POST", "/signup/otp/"+testPhone+"?imgcode=1234&uuid="+u, "", "").Body
	}
	if got := send(uuidN(1)); got != `{"sent":true,"too_frequent":false,"wait":false}` {
		t.Fatalf("first send: %s", got)
	}
	if n := len(e.sender.all()); n != 1 {
		t.Fatalf("sent %d", n)
	}
	// The limiter refuses before the captcha is touched.
	e.seedCaptcha(uuidN(2), "1234")
	if got := performRequest(e.router, "POST", "/signup/otp/"+testPhone+"?imgcode=1234&uuid="+uuidN(2), "", ""); got.Code != 4004 {
		t.Fatalf("second send: %+v", got)
	}
	if _, ok := e.get("img_" + uuidN(2)); !ok {
		t.Fatal("the limited request consumed the captcha")
	}
	// SendCode alone still holds the interval (the limiter's read and the store race).
	if err := e.service.SendCode(context.Background(), testPhone, "192.0.2.9"); !errors.Is(err, ginsms.ErrTooFrequent) {
		t.Fatalf("SendCode within the interval = %v", err)
	}
	if err := e.service.SendCode(context.Background(), "not-a-phone", ""); !errors.Is(err, ginsms.ErrInvalidInput) {
		t.Fatalf("SendCode of a bad phone = %v", err)
	}
}
