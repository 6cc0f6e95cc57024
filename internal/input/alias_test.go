package input_test

import (
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
)

// Aliases: each input is read from its own name, then its aliases in order, the first
// that carries a value winning, from the query, a form or a JSON body alike.
func TestAliases(t *testing.T) {
	p, err := input.New(input.Config{Fields: input.Named("", "", "", "",
		input.Fields{UUID: []string{"image_code_id"}, ImageCode: []string{"image_code", "text"}, SMSCode: []string{"sms"}})})
	if err != nil {
		t.Fatal(err)
	}
	const other = "2c5f39cb-3fb2-42e3-994a-1127e4ddb538"
	for _, tt := range []struct {
		name, method, target, ctype, body string
		wantCode                          contract.Code
		wantUUID, wantAnswer              string
	}{
		{"meiduo A", "GET", "/p/13800138000?image_code=ab12&uuid=" + uuid, "", "", 0, uuid, "ab12"},
		{"meiduo B", "GET", "/p/13800138000?image_code=ab12&image_code_id=" + uuid, "", "", 0, uuid, "ab12"},
		{"drf", "GET", "/p/13800138000?text=ab12&image_code_id=" + uuid + "/", "", "", 0, uuid, "ab12"},
		{"own name first", "GET", "/p/13800138000?imgcode=1111&image_code=2222&uuid=" + uuid + "&image_code_id=" + other, "", "", 0, uuid, "1111"},
		{"blank own name falls through", "GET", "/p/13800138000?imgcode=&text=3333&image_code_id=" + uuid, "", "", 0, uuid, "3333"},
		{"alias order", "GET", "/p/13800138000?text=4444&image_code=5555&uuid=" + uuid, "", "", 0, uuid, "5555"},
		{"form", "POST", "/p/13800138000", "application/x-www-form-urlencoded", "image_code=6666&image_code_id=" + uuid, 0, uuid, "6666"},
		{"json", "POST", "/p/13800138000", "application/json", `{"text":"7777","image_code_id":"` + uuid + `"}`, 0, uuid, "7777"},
		{"none", "GET", "/p/13800138000?img=1&id=" + uuid, "", "", contract.CodeMissingInput, "", ""},
		{"alias malformed", "GET", "/p/13800138000?image_code=1&image_code_id=nope", "", "", contract.CodeMalformedInput, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got input.Send
			var code contract.Code
			rest := parse(t, tt.method, tt.target, tt.ctype, tt.body, func(c *gin.Context) { got, code = p.ParseSend(c) })
			if code != tt.wantCode || got.UUID != tt.wantUUID || got.ImageCode != tt.wantAnswer {
				t.Errorf("ParseSend = %+v, %d; want uuid %q answer %q code %d", got, code, tt.wantUUID, tt.wantAnswer, tt.wantCode)
			}
			if rest != tt.body {
				t.Errorf("the body was consumed: %q left of %q", rest, tt.body)
			}
		})
	}
	var phone, smsCode string
	parse(t, "POST", "/q", "application/json", `{"phone":"13800138000","sms":"123456"}`,
		func(c *gin.Context) { phone, smsCode, _ = p.ParseVerify(c) })
	if phone != "13800138000" || smsCode != "123456" {
		t.Errorf("ParseVerify with an alias = %q, %q", phone, smsCode)
	}
	for _, bad := range [][]string{{""}, {strings.Repeat("x", 65)}, {"uuid"}, {"imgcode", "sms_code"}} {
		if _, err := input.New(input.Config{Fields: input.Fields{ImageCode: bad}}); err == nil {
			t.Errorf("New accepted the field names %q", bad)
		}
	}
	if _, err := input.New(input.Config{Fields: input.Fields{ImageCode: []string{"imgcode", "imgcode"}}}); err != nil {
		t.Errorf("a name repeated within one input: %v", err)
	}
}
