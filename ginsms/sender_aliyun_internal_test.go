package ginsms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The example of Alibaba's signature documentation, a known answer for the signing steps.
func TestAliyunSignKnownAnswer(t *testing.T) {
	params := map[string]string{
		"AccessKeyId":      "testid",
		"Action":           "DescribeRegions",
		"Format":           "XML",
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureNonce":   "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
		"SignatureVersion": "1.0",
		"Timestamp":        "2016-02-23T12:46:24Z",
		"Version":          "2014-05-26",
	}
	const (
		wantStringToSign = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML" +
			"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" +
			"%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
		wantSignature = "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
	)
	sts := aliyunStringToSign("GET", aliyunCanonicalQuery(params))
	if sts != wantStringToSign {
		t.Errorf("StringToSign\n%s\nwant\n%s", sts, wantStringToSign)
	}
	if got := aliyunSign("testsecret", wantStringToSign); got != wantSignature {
		t.Errorf("aliyunSign = %q, want %q", got, wantSignature)
	}
}

func TestAliyunPercentEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"a b", "a%20b"},
		{"*", "%2A"},
		{"+", "%2B"},
		{"/", "%2F"},
		{"=&", "%3D%26"},
		{"%", "%25"},
		{`{"code":"1"}`, "%7B%22code%22%3A%221%22%7D"},
		{"阿", "%E9%98%BF"},
		{"\x00\xff", "%00%FF"},
	}
	for _, tt := range tests {
		if got := aliyunPercentEncode(tt.in); got != tt.want {
			t.Errorf("aliyunPercentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every byte, against the classic recipe of Alibaba's SDKs.
	classic := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")
	for b := range 256 {
		s := string([]byte{byte(b)})
		if got, want := aliyunPercentEncode(s), classic.Replace(url.QueryEscape(s)); got != want {
			t.Errorf("aliyunPercentEncode(%q) = %q, want %q", s, got, want)
		}
	}
}

// With the nonce and the clock fixed, the request is fully determined: its signature is
// checked against a value computed outside Go (Python's hmac module) and against an
// independent implementation.
func TestAliyunSenderFixedNonceAndClock(t *testing.T) {
	const wantSignature = "etRHb8mhWOfUo4yb38rPzfcOhrk="
	want := url.Values{
		"AccessKeyId": {"testid"}, "Action": {"SendSms"}, "Format": {"JSON"}, "RegionId": {"cn-hangzhou"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"nonce-0001"}, "SignatureVersion": {"1.0"},
		"Timestamp": {"2026-11-25T12:00:00Z"}, "Version": {"2017-05-25"}, "PhoneNumbers": {"13800138000"},
		"SignName": {"阿里云短信测试"}, "TemplateCode": {"SMS_154950909"}, "TemplateParam": {`{"code":"123456"}`},
		"Signature": {wantSignature},
	}
	if got := independentAliyunSignature("POST", "testsecret", want); got != wantSignature {
		t.Fatalf("the independent implementation gives %q, want %q", got, wantSignature)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("form %q: %v", raw, err)
		}
		if r.Method != http.MethodPost || r.URL.Path != "/" {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
		if form.Encode() != want.Encode() {
			t.Errorf("form\n%s\nwant\n%s", form.Encode(), want.Encode())
		}
		_, _ = io.WriteString(w, `{"Message":"OK","RequestId":"R","Code":"OK","BizId":"B"}`)
	}))
	defer srv.Close()
	s, err := NewAliyunSender(AliyunConfig{
		AccessKeyID: "testid", AccessKeySecret: "testsecret", SignName: "阿里云短信测试",
		TemplateCode: "SMS_154950909", Endpoint: srv.URL + "/",
	})
	if err != nil {
		t.Fatal(err)
	}
	as := s.(*aliyunSender)
	as.nonce = func() string { return "nonce-0001" }
	as.now = func() time.Time { return time.Date(2026, 11, 25, 20, 0, 0, 0, time.FixedZone("CST", 8*3600)) }
	if err := s.Send(context.Background(), "13800138000", "123456"); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

// independentAliyunSignature follows the documentation step by step with the standard
// library's encoders, sharing no code with the sender.
func independentAliyunSignature(method, secret string, params url.Values) string {
	enc := func(s string) string {
		return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
	}
	p := url.Values{}
	for k, v := range params {
		if k != "Signature" {
			p[k] = v
		}
	}
	// url.Values.Encode sorts by key; re-encode each pair the RFC 3986 way.
	var pairs []string
	for _, kv := range strings.Split(p.Encode(), "&") {
		k, v, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		pairs = append(pairs, enc(k)+"="+enc(v))
	}
	return aliyunTestHMAC(secret, method+"&"+enc("/")+"&"+enc(strings.Join(pairs, "&")))
}

func aliyunTestHMAC(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
