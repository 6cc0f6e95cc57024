package input_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
)

func init() { gin.SetMode(gin.TestMode) }

const uuid = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"

// parse runs f on a request and returns what the handler after it read of the body.
func parse(t *testing.T, method, target, ctype, body string, f func(c *gin.Context)) (rest string) {
	t.Helper()
	r := gin.New()
	h := func(c *gin.Context) {
		f(c)
		b, err := io.ReadAll(c.Request.Body)
		if err != nil {
			t.Errorf("reading the body after parsing: %v", err)
		}
		rest = string(b)
	}
	r.Handle(method, "/p/:phone", h)
	r.Handle(method, "/q", h)
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	r.ServeHTTP(httptest.NewRecorder(), req)
	return rest
}

func multipartBody(t *testing.T, fields ...string) (ctype, body string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] == "file" {
			fw, _ := w.CreateFormFile("upload", "a.bin")
			_, _ = fw.Write([]byte(fields[i+1]))
			continue
		}
		_ = w.WriteField(fields[i], fields[i+1])
	}
	_ = w.Close()
	return w.FormDataContentType(), b.String()
}

func TestParseSend(t *testing.T) {
	p, err := input.New(input.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mpType, mpBody := multipartBody(t, "file", strings.Repeat("z", 1000), "imgcode", "1234", "uuid", uuid)
	tests := []struct {
		name, method, target, ctype, body string
		want                              contract.Code
		phone                             string
	}{
		{"query", "GET", "/p/13800138000?imgcode=1234&uuid=" + uuid, "", "", 0, "13800138000"},
		{"upper-case uuid, one slash", "GET", "/p/13800138000?imgcode=1234&uuid=" + strings.ToUpper(uuid) + "/", "", "", 0, "13800138000"},
		{"form", "POST", "/q", "application/x-www-form-urlencoded", "phone=13800138000&imgcode=1234&uuid=" + uuid, 0, "13800138000"},
		{"JSON with a number", "POST", "/q", "application/json", `{"phone":13800138000,"imgcode":"1234","uuid":"` + uuid + `"}`, 0, "13800138000"},
		{"multipart after a file", "POST", "/p/13800138000", mpType, mpBody, 0, "13800138000"},
		{"missing imgcode", "GET", "/p/13800138000?uuid=" + uuid, "", "", contract.CodeMissingInput, ""},
		{"blank uuid", "GET", "/p/13800138000?imgcode=1&uuid=%20/", "", "", contract.CodeMissingInput, ""},
		{"missing beats malformed", "GET", "/p/1?uuid=" + uuid, "", "", contract.CodeMissingInput, ""},
		{"phone with newline", "GET", "/p/13800138000%0A?imgcode=1234&uuid=" + uuid, "", "", contract.CodeMalformedInput, ""},
		{"phone with blanks", "POST", "/q", "application/x-www-form-urlencoded", "phone=%2013800138000%20&imgcode=1234&uuid=" + uuid, contract.CodeMalformedInput, ""},
		{"phone with a hash tag", "POST", "/q", "application/json", `{"phone":"{13800138000}","imgcode":"1","uuid":"` + uuid + `"}`, contract.CodeMalformedInput, ""},
		{"imgcode too long", "GET", "/p/13800138000?imgcode=" + strings.Repeat("1", 33) + "&uuid=" + uuid, "", "", contract.CodeMalformedInput, ""},
		{"bad form escape in our field", "POST", "/q", "application/x-www-form-urlencoded", "phone=%zz&imgcode=1&uuid=" + uuid, contract.CodeMalformedInput, ""},
		{"bad form escape in another field", "POST", "/q", "application/x-www-form-urlencoded", "x=%zz&phone=13800138000&imgcode=1234&uuid=" + uuid, 0, "13800138000"},
		{"JSON object where a value of ours is", "POST", "/q", "application/json", `{"phone":{"a":1}}`, contract.CodeMalformedInput, ""},
		{"multipart without boundary", "POST", "/q", "multipart/form-data", "x", contract.CodeMalformedInput, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got input.Send
			var code contract.Code
			rest := parse(t, tt.method, tt.target, tt.ctype, tt.body, func(c *gin.Context) { got, code = p.ParseSend(c) })
			if code != tt.want || got.Phone != tt.phone {
				t.Fatalf("ParseSend = %+v, %d; want phone %q, code %d", got, code, tt.phone, tt.want)
			}
			if code == 0 && (got.UUID != uuid || got.ImageCode != "1234") {
				t.Errorf("ParseSend = %+v", got)
			}
			if rest != tt.body {
				t.Errorf("the handler after read %d bytes of a %d-byte body", len(rest), len(tt.body))
			}
		})
	}
}

func TestParseVerify(t *testing.T) {
	p, err := input.New(input.Config{CodeLength: 6, Fields: input.Fields{SMSCode: []string{"otp"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		target string
		want   contract.Code
	}{
		{"/p/13800138000?otp=123456", 0},
		{"/p/13800138000?otp=%20123456%20", 0},
		{"/p/13800138000", contract.CodeMissingInput},
		{"/p/13800138000?otp=12345", contract.CodeMalformedInput},
		{"/p/13800138000?otp=１２３４５６", contract.CodeMalformedInput}, // full-width digits
		{"/p/1380013800x?otp=123456", contract.CodeMalformedInput},
		{"/p/%2013800138000?otp=123456", contract.CodeMalformedInput},
	} {
		var got contract.Code
		parse(t, "GET", tt.target, "", "", func(c *gin.Context) { _, _, got = p.ParseVerify(c) })
		if got != tt.want {
			t.Errorf("ParseVerify(%s) = %d, want %d", tt.target, got, tt.want)
		}
	}
	if _, err := input.New(input.Config{PhonePattern: "(["}); err == nil {
		t.Fatal("New accepted a bad pattern")
	}
}

// A body is read without being consumed, whatever its size: the fields are looked for
// in its first 64 KiB, and the handler after reads every byte. A field not found in a
// body larger than that may lie past it: malformed (4005), never missing (4001), even
// when the query holds one.
func TestBodyLeftWhole(t *testing.T) {
	p, _ := input.New(input.Config{})
	pad := strings.Repeat("p", 70<<10)
	mpType, mpBig := multipartBody(t, "phone", "13800138000", "file", pad)
	mpType2, mpLate := multipartBody(t, "file", pad, "phone", "13800138000")
	tests := []struct {
		name, target, ctype, body, want string
		code                            contract.Code
	}{
		{"JSON, field first, big", "/q", "application/json", `{"phone":"13800138000","pad":"` + pad + `"}`, "13800138000", 0},
		{"JSON, field after the look-ahead", "/q", "application/json", `{"pad":"` + pad + `","phone":"13800138000"}`, "", contract.CodeMalformedInput},
		{"JSON, field after, query has one", "/q?phone=13900139000", "application/json", `{"pad":"` + pad + `","phone":"13800138000"}`, "", contract.CodeMalformedInput},
		{"form, field after the look-ahead", "/q", "application/x-www-form-urlencoded", "pad=" + pad + "&phone=13800138000", "", contract.CodeMalformedInput},
		{"multipart, field after a big file", "/q", mpType2, mpLate, "", contract.CodeMalformedInput},
		{"small JSON without the field", "/q", "application/json", `{"pad":"x"}`, "", contract.CodeMissingInput},
		{"form cut inside the look-ahead", "/q", "application/x-www-form-urlencoded", "phone=13800138000&pad=" + pad, "13800138000", 0},
		{"multipart with a big file after", "/q", mpType, mpBig, "13800138000", 0},
		{"text is not looked at", "/q", "text/plain", "phone=13800138000", "", contract.CodeMissingInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var phone string
			var code contract.Code
			rest := parse(t, "POST", tt.target, tt.ctype, tt.body, func(c *gin.Context) { phone, code = p.ParsePhone(c) })
			if phone != tt.want || code != tt.code {
				t.Errorf("ParsePhone = %q %d, want %q %d", phone, code, tt.want, tt.code)
			}
			if rest != tt.body {
				t.Errorf("the handler after read %d bytes of %d", len(rest), len(tt.body))
			}
		})
	}
}

// The body is parsed once per request, however many middlewares ask.
func TestBodyParsedOnce(t *testing.T) {
	p, _ := input.New(input.Config{})
	readsFor := func(parses int) int {
		r := gin.New()
		var reads int
		r.POST("/q", func(c *gin.Context) {
			c.Request.Body = countingBody{c.Request.Body, &reads}
			for range parses {
				p.ParseSend(c)
			}
		})
		req := httptest.NewRequest("POST", "/q", strings.NewReader("phone=13800138000&imgcode=1&uuid="+uuid))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.ServeHTTP(httptest.NewRecorder(), req)
		return reads
	}
	if one, three := readsFor(1), readsFor(3); one == 0 || three != one {
		t.Fatalf("%d reads of the body for one parse, %d for three", one, three)
	}
}

type countingBody struct {
	io.ReadCloser
	n *int
}

func (b countingBody) Read(p []byte) (int, error) { *b.n++; return b.ReadCloser.Read(p) }

func TestNetwork(t *testing.T) {
	for _, tt := range []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"", input.UnknownNetwork},
		{"<nil>", input.UnknownNetwork},
		{"not-an-ip", input.UnknownNetwork},
	} {
		if got := input.Network(tt.ip); got != tt.want {
			t.Errorf("Network(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
	// Only trusted proxies are believed.
	for _, tt := range []struct {
		remote, forwarded string
		trust             []string
		want              string
	}{
		{"203.0.113.7:5000", "198.51.100.9", nil, "203.0.113.7"},
		{"10.0.0.1:5000", "198.51.100.9", []string{"10.0.0.0/8"}, "198.51.100.9"},
	} {
		r := gin.New()
		_ = r.SetTrustedProxies(tt.trust)
		var got string
		r.GET("/", func(c *gin.Context) { got = input.ClientNetwork(c) })
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.remote
		req.Header.Set("X-Forwarded-For", tt.forwarded)
		r.ServeHTTP(httptest.NewRecorder(), req)
		if got != tt.want {
			t.Errorf("ClientNetwork(%s, XFF %s, trusted %v) = %q, want %q", tt.remote, tt.forwarded, tt.trust, got, tt.want)
		}
	}
}
