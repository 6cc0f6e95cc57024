package ginsms_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ginsms/ginsms/ginsms"
)

// The only keys a request can create, whatever it sends (prefix removed).
var allowedKey = regexp.MustCompile(`^(img_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|` +
	`sms_1[3-9]\d{9}(:tries|:daily|:known)?|is_send_1[3-9]\d{9}|sms_(verify_)?ip:[0-9.]+|sms_total|` +
	`sms_range:1[3-9]\d{5}(:blocked)?|sms_unverified)$`)

// Over the whole send and verify routes on the real Redis: no input panics the server,
// and none creates a key outside the templates.
func FuzzSendAndVerify(f *testing.F) {
	f.Add("GET", "13800138000", "00000000-0000-4000-8000-000000000001/", "1234", "", "")
	f.Add("POST", "13800138000", "", "", "application/json", `{"imgcode":"1234","uuid":"00000000-0000-4000-8000-000000000001"}`)
	f.Add("POST", "13800138000", "", "", "application/x-www-form-urlencoded", "sms_code=123456")
	f.Add("GET", "*", "img_*", "\r\nFLUSHALL", "", "")
	f.Add("POST", "1380013800{0}", "../../etc", strings.Repeat("x", 100), "application/json", `{"uuid":{"$gt":""}}`)
	e := newEnv(f, func(c *ginsms.Config) { c.SMS.DailyLimitTotal = 1000000 })
	f.Fuzz(func(t *testing.T, method, phone, uuid, answer, ctype, body string) {
		if method != "GET" {
			method = "POST"
		}
		e.rdb.Set(context.Background(), e.key("img_00000000-0000-4000-8000-000000000001"), "1234", time.Minute)
		query := "?" + url.Values{"uuid": {uuid}, "imgcode": {answer}, "sms_code": {answer}}.Encode()
		for _, path := range []string{"/sms_codes/" + url.PathEscape(phone), "/sms_codes/" + url.PathEscape(phone) + "/verify"} {
			req := httptest.NewRequest(method, path+query, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			e.router.ServeHTTP(httptest.NewRecorder(), req) // a panic fails the fuzz run
		}
		for _, k := range e.keys() {
			if !allowedKey.MatchString(k) {
				t.Fatalf("request created key %q", k)
			}
		}
		e.deleteKeys()
	})
}
