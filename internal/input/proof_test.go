package input_test

import (
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
)

// With ProofFields a send needs the phone and a proof, from any place a field comes from,
// the first field present winning; uuid and imgcode are not asked for.
func TestParseSendProof(t *testing.T) {
	p, err := input.New(input.Config{ProofFields: []string{"captcha_token", "cf-turnstile-response"}})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 2048) // Turnstile's documented longest token
	mctype, mbody := multipartBody(t, "cf-turnstile-response", long)
	tests := []struct {
		name, method, target, ctype, body string
		proof                             string
		code                              contract.Code
	}{
		{"query", "GET", "/p/13800138000?captcha_token=abc.DEF_1-2", "", "", "abc.DEF_1-2", 0},
		{"form, widget field", "POST", "/p/13800138000", "application/x-www-form-urlencoded", "cf-turnstile-response=t1", "t1", 0},
		{"json", "POST", "/p/13800138000", "application/json", `{"captcha_token":"t2"}`, "t2", 0},
		{"first field wins", "POST", "/p/13800138000", "application/x-www-form-urlencoded", "cf-turnstile-response=b&captcha_token=a", "a", 0},
		{"blank first falls through", "POST", "/p/13800138000", "application/x-www-form-urlencoded", "captcha_token=%20&cf-turnstile-response=b", "b", 0},
		{"multipart, 2048 bytes", "POST", "/p/13800138000", mctype, mbody, long, 0},
		{"4096 bytes", "GET", "/p/13800138000?captcha_token=" + strings.Repeat("y", 4096), "", "", strings.Repeat("y", 4096), 0},
		{"no uuid nor imgcode needed, proof missing", "GET", "/p/13800138000?uuid=" + uuid + "&imgcode=1234", "", "", "", contract.CodeMissingInput},
		{"missing phone first", "GET", "/q?captcha_token=abc", "", "", "", contract.CodeMissingInput},
		{"4097 bytes", "GET", "/p/13800138000?captcha_token=" + strings.Repeat("y", 4097), "", "", "", contract.CodeMalformedInput},
		{"4097 bytes in a form", "POST", "/p/13800138000", "application/x-www-form-urlencoded", "captcha_token=" + strings.Repeat("y", 4097), "", contract.CodeMalformedInput},
		{"a space inside", "GET", "/p/13800138000?captcha_token=a%20b", "", "", "", contract.CodeMalformedInput},
		{"non-ASCII", "GET", "/p/13800138000?captcha_token=%C3%A9", "", "", "", contract.CodeMalformedInput},
		{"bad phone", "GET", "/p/12?captcha_token=abc", "", "", "", contract.CodeMalformedInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got input.Send
			var code contract.Code
			parse(t, tt.method, tt.target, tt.ctype, tt.body, func(c *gin.Context) { got, code = p.ParseSend(c) })
			if code != tt.code || got.Proof != tt.proof {
				t.Fatalf("ParseSend = proof %.20q (%d bytes), code %d; want %.20q, %d", got.Proof, len(got.Proof), code, tt.proof, tt.code)
			}
		})
	}
	for _, bad := range [][]string{{""}, {"phone"}, {"captcha_token", "uuid"}} {
		if _, err := input.New(input.Config{ProofFields: bad}); err == nil {
			t.Errorf("proof fields %q accepted: empty, or naming another input", bad)
		}
	}
}
