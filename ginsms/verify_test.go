package ginsms_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/middleware"
)

// sendCode walks the send flow and returns the code that was sent.
func (e *env) sendCode(phone string) string {
	e.t.Helper()
	u := uuidN(len(e.sender.all()) + 500)
	e.seedCaptcha(u, "1234")
	if got := e.sendGET(phone, u, "1234"); got.Code != 200 {
		e.t.Fatalf("send = %+v", got)
	}
	sent := e.sender.all()
	return sent[len(sent)-1].code
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func (e *env) verify(phone, code string) answer {
	return performRequest(e.router, "POST", "/sms_codes/"+phone+"/verify", "application/x-www-form-urlencoded", "sms_code="+code)
}

func TestVerifyRoute(t *testing.T) { onTopologies(t, testVerifyRoute) }

func testVerifyRoute(t *testing.T, top topology) {
	tests := []struct {
		name       string
		phone      string
		body       string
		ctype      string
		query      string
		send       bool
		useCode    bool // submit the code that was sent
		wantCode   int
		wantStatus int
	}{
		{name: "missing code", phone: testPhone, send: true, wantCode: 4001, wantStatus: 400},
		{name: "malformed code", phone: testPhone, body: "sms_code=12ab56", send: true, wantCode: 4005, wantStatus: 400},
		{name: "short code", phone: testPhone, body: "sms_code=12345", send: true, wantCode: 4005, wantStatus: 400},
		{name: "malformed phone", phone: "123", body: "sms_code=123456", wantCode: 4005, wantStatus: 400},
		{name: "unknown phone answers like expired", phone: "13900000000", body: "sms_code=123456", wantCode: 4007, wantStatus: 400},
		{name: "wrong code", phone: testPhone, send: true, wantCode: 4006, wantStatus: 400},
		{name: "right code (form)", phone: testPhone, send: true, useCode: true, wantCode: 200, wantStatus: 200},
		{name: "right code (JSON)", phone: testPhone, ctype: "application/json", send: true, useCode: true, wantCode: 200, wantStatus: 200},
		{name: "right code (query)", phone: testPhone, ctype: "query", send: true, useCode: true, wantCode: 200, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvOn(t, top, nil)
			var code string
			if tt.send {
				code = e.sendCode(tt.phone)
			}
			body, ctype, target := tt.body, "application/x-www-form-urlencoded", "/sms_codes/"+tt.phone+"/verify"
			if tt.send && tt.body == "" && tt.name != "missing code" {
				submit := wrongCode(code)
				if tt.useCode {
					submit = code
				}
				switch tt.ctype {
				case "application/json":
					body, ctype = `{"sms_code":"`+submit+`"}`, tt.ctype
				case "query":
					body, ctype, target = "", "", target+"?sms_code="+submit
				default:
					body = "sms_code=" + submit
				}
			}
			got := performRequest(e.router, "POST", target, ctype, body)
			if got.Code != tt.wantCode || got.Status != tt.wantStatus {
				t.Fatalf("answer = %d (HTTP %d) %s, want %d (HTTP %d)", got.Code, got.Status, got.Body, tt.wantCode, tt.wantStatus)
			}
		})
	}
}

func TestVerifyConsumesCode(t *testing.T) { onTopologies(t, testVerifyConsumesCode) }

func testVerifyConsumesCode(t *testing.T, top topology) {
	e := newEnvOn(t, top, nil)
	code := e.sendCode(testPhone)
	if got := e.verify(testPhone, code); got.Code != 200 {
		t.Fatalf("first verify = %+v", got)
	}
	if got := e.verify(testPhone, code); got.Code != 4007 {
		t.Fatalf("second verify of the same code = %d, want 4007", got.Code)
	}
}

func TestConcurrentVerifies(t *testing.T) { onTopologies(t, testConcurrentVerifies) }

func testConcurrentVerifies(t *testing.T, top topology) {
	e := newEnvOn(t, top, nil)
	code := e.sendCode(testPhone)
	codes := runConcurrently(20, func(int) int { return e.verify(testPhone, code).Code })
	if codes[200] != 1 || codes[4007] != 19 {
		t.Fatalf("answers = %v, want one 200 and 19 4007", codes)
	}
}

func TestVerifyAttemptLimit(t *testing.T) { onTopologies(t, testVerifyAttemptLimit) }

func testVerifyAttemptLimit(t *testing.T, top topology) {
	const max = 3
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.MaxVerifyAttempts = max })
	code := e.sendCode(testPhone)
	for i := 0; i < max; i++ {
		if got := e.verify(testPhone, wrongCode(code)); got.Code != 4006 {
			t.Fatalf("wrong try %d = %d, want 4006", i+1, got.Code)
		}
	}
	if got := e.verify(testPhone, code); got.Code != 4007 {
		t.Fatalf("right code after %d wrong tries = %d, want 4007", max, got.Code)
	}
	if keys := e.keys(); contains(keys, "sms_"+testPhone) || contains(keys, "sms_"+testPhone+":tries") {
		t.Fatalf("code or counter left after the limit: %v", keys)
	}
}

func TestVerifyWithinLimit(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) { c.SMS.MaxVerifyAttempts = 3 })
	code := e.sendCode(testPhone)
	for i := 0; i < 2; i++ {
		if got := e.verify(testPhone, wrongCode(code)); got.Code != 4006 {
			t.Fatalf("wrong try = %d", got.Code)
		}
	}
	ttl := e.rdb.PTTL(context.Background(), e.key("sms_"+testPhone+":tries")).Val()
	if ttl <= 0 || ttl > 60*time.Second {
		t.Fatalf("tries counter TTL = %v, want it to expire with the code", ttl)
	}
	if got := e.verify(testPhone, code); got.Code != 200 {
		t.Fatalf("right code within the limit = %d, want 200", got.Code)
	}
}

func TestNewSendResetsAttempts(t *testing.T) {
	e := newEnv(t, func(c *ginsms.Config) { c.SMS.MaxVerifyAttempts = 2; c.SMS.SendInterval = time.Second })
	code := e.sendCode(testPhone)
	if got := e.verify(testPhone, wrongCode(code)); got.Code != 4006 {
		t.Fatal(got)
	}
	e.rdb.Del(context.Background(), e.key("is_send_"+testPhone)) // the interval passed
	code = e.sendCode(testPhone)
	if got := e.verify(testPhone, wrongCode(code)); got.Code != 4006 {
		t.Fatalf("first wrong try after a new send = %d, want 4006 (counter reset)", got.Code)
	}
	if got := e.verify(testPhone, code); got.Code != 200 {
		t.Fatalf("right code = %d, want 200", got.Code)
	}
}

func TestVerifyAPI(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	code := e.sendCode(testPhone)
	for _, tc := range []struct {
		phone, code string
		want        error
	}{
		{testPhone, "12", ginsms.ErrInvalidInput},
		{"abc", "123456", ginsms.ErrInvalidInput},
		{testPhone, wrongCode(code), ginsms.ErrCodeWrong},
		{testPhone, code, nil},
		{testPhone, code, ginsms.ErrCodeExpired},
	} {
		if err := e.service.Verify(ctx, tc.phone, tc.code, "192.0.2.1"); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Fatalf("Verify(%q, %q) = %v, want %v", tc.phone, "<code>", err, tc.want)
		}
	}
}

func TestRequireSMSCode(t *testing.T) {
	e := newEnv(t, nil)
	e.router.POST("/register", e.service.RequireSMSCode(middleware.FieldNames{Phone: "mobile", SMSCode: "code"}), func(c *gin.Context) {
		phone, _ := ginsms.VerifiedPhone(c)
		c.String(http.StatusCreated, "registered "+phone)
	})
	code := e.sendCode(testPhone)
	if got := performRequest(e.router, "POST", "/register", "application/json", `{"mobile":"`+testPhone+`","code":"`+wrongCode(code)+`"}`); got.Code != 4006 {
		t.Fatalf("wrong code = %+v", got)
	}
	got := performRequest(e.router, "POST", "/register", "application/json", `{"mobile":"`+testPhone+`","code":"`+code+`"}`)
	if got.Status != http.StatusCreated || got.Body != "registered "+testPhone {
		t.Fatalf("register = %d %q", got.Status, got.Body)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Verify tries are counted per client address: past sms.hourly_verify_limit_per_ip the
// answer is 4004 and the code is not touched, so a brute-forcer cannot burn it; another
// address still verifies.
func TestVerifyPerIPQuota(t *testing.T) { onTopologies(t, testVerifyPerIPQuota) }

func testVerifyPerIPQuota(t *testing.T, top topology) {
	e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.HourlyVerifyLimitPerIP = 3 })
	code := e.sendCode(testPhone)
	from := func(remote, code string) answer {
		return performRequest(e.router, "POST", "/sms_codes/"+testPhone+"/verify",
			"application/x-www-form-urlencoded", "sms_code="+code, "RemoteAddr", remote)
	}
	for i := range 3 {
		if got := from("198.51.100.7:1", wrongCode(code)); got.Code != 4006 {
			t.Fatalf("wrong try %d = %+v, want 4006", i+1, got)
		}
	}
	got := from("198.51.100.7:1", code)
	if got.Code != 4004 || got.Status != 429 {
		t.Fatalf("4th try from the address = %+v, want 4004 / 429", got)
	}
	if ra := retryAfter(t, got); ra < 3590 || ra > 3600 {
		t.Errorf("Retry-After = %d, want about 3600", ra)
	}
	if tries, _ := e.get("sms_" + testPhone + ":tries"); tries != "3" {
		t.Errorf("tries = %q, want 3: a refused try must not reach the code", tries)
	}
	if got := from("198.51.100.8:1", code); got.Code != 200 {
		t.Fatalf("right code from another address = %+v, want 200", got)
	}
	// The Go API counts the address it is given, and refuses like the route.
	if err := e.service.Verify(context.Background(), testPhone, code, "198.51.100.7"); !errors.Is(err, ginsms.ErrTooFrequent) {
		t.Fatalf("Verify past the quota = %v, want ErrTooFrequent", err)
	} else if wait, ok := ginsms.RetryAfter(err); !ok || wait <= 0 {
		t.Fatalf("RetryAfter = %v %v", wait, ok)
	}
}
