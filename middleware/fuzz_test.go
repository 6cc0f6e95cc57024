package middleware_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

var canonicalUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Whatever a client sends, Send either refuses it or returns values that are safe to put
// in a key: a phone of the pattern, a canonical lower-case UUID, a bounded answer.
func FuzzSendInput(f *testing.F) {
	f.Add("13800138000", "1b4e28ba-2fa1-41d2-883f-0016d3cca427/", "1234", "", "")
	f.Add("13800138000", "", "", "application/json", `{"imgcode":"1234","uuid":"1B4E28BA-2FA1-41D2-883F-0016D3CCA427"}`)
	f.Add("13800138000", "", "", "application/x-www-form-urlencoded", "imgcode=1234&uuid=x")
	f.Add("1380013800*", "*", "\x00", "application/json", `{"uuid":1e400}`)
	f.Add("%2e%2e", "img_*", strings.Repeat("9", 40), "multipart/form-data; boundary=x", "--x\r\n")
	in, _ := middleware.NewInputs(middleware.InputConfig{})
	phone := regexp.MustCompile(middleware.DefaultPhonePattern)
	gin.SetMode(gin.TestMode)
	f.Fuzz(func(t *testing.T, pathPhone, uuid, answer, ctype, body string) {
		r := gin.New()
		var got middleware.SendInput
		var code middleware.Code
		r.POST("/sms_codes/:phone", func(c *gin.Context) { got, code = in.Send(c) })
		target := "/sms_codes/" + url.PathEscape(pathPhone) + "?" + url.Values{"uuid": {uuid}, "imgcode": {answer}}.Encode()
		if pathPhone == "" || strings.Contains(pathPhone, "/") {
			return // no route: nothing of ours runs
		}
		req := httptest.NewRequest("POST", target, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		r.ServeHTTP(httptest.NewRecorder(), req)
		switch code {
		case 0:
			if !phone.MatchString(got.Phone) || !canonicalUUID.MatchString(got.UUID) ||
				got.ImageCode == "" || len(got.ImageCode) > 32 {
				t.Fatalf("accepted unsafe input %+v", got)
			}
		case middleware.CodeMissingInput, middleware.CodeMalformedInput:
		default:
			t.Fatalf("unexpected code %d", code)
		}
	})
}
