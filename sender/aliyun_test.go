package sender_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ginsms/ginsms/sender"
)

const (
	aliyunTestKeyID  = "testid"
	aliyunTestSecret = "aliyun-secret"
)

// aliyunTestSignature signs params (all but Signature) the way Alibaba's documentation
// describes, written independently of the package: url.QueryEscape then the documented
// replacements.
func aliyunTestSignature(method, secret string, params url.Values) string {
	enc := func(s string) string {
		return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = enc(k) + "=" + enc(params.Get(k))
	}
	stringToSign := method + "&" + enc("/") + "&" + enc(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// aliyunServer checks every request as Alibaba documents SendSms, its signature
// included, sends each form to forms (when not nil), and answers status and body.
func aliyunServer(t *testing.T, forms chan<- url.Values, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/" || r.URL.RawQuery != "" {
			t.Errorf("request %s %s, want POST / with the parameters in the body", r.Method, r.URL)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q", ct)
		}
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("form %q: %v", raw, err)
		}
		for k, v := range form {
			if len(v) != 1 {
				t.Errorf("parameter %s given %d times", k, len(v))
			}
		}
		want := map[string]string{
			"AccessKeyId": aliyunTestKeyID, "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
			"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Version": "2017-05-25",
			"PhoneNumbers": testPhone, "SignName": "阿里云短信测试", "TemplateCode": "SMS_154950909",
			"TemplateParam": `{"code":"123456"}`,
		}
		for k, v := range want {
			if got := form.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		n := len(want) + 3 // + SignatureNonce, Timestamp, Signature
		if form.Has("OutId") {
			n++
		}
		if len(form) != n {
			t.Errorf("%d parameters, want %d: %v", len(form), n, form)
		}
		var param map[string]string
		if err := json.Unmarshal([]byte(form.Get("TemplateParam")), &param); err != nil || param["code"] != testCode {
			t.Errorf("TemplateParam %q: %v", form.Get("TemplateParam"), err)
		}
		ts, err := time.Parse("2006-01-02T15:04:05Z", form.Get("Timestamp"))
		if err != nil {
			t.Errorf("Timestamp %q: %v", form.Get("Timestamp"), err)
		} else if d := time.Since(ts); d < -time.Minute || d > time.Minute {
			t.Errorf("Timestamp %q is %v away from now", form.Get("Timestamp"), d)
		}
		if form.Get("SignatureNonce") == "" {
			t.Error("no SignatureNonce")
		}
		if got, want := form.Get("Signature"), aliyunTestSignature("POST", aliyunTestSecret, form); got != want {
			t.Errorf("Signature %q, want %q", got, want)
		}
		if forms != nil {
			forms <- form
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newAliyunTestSender(t *testing.T, endpoint string) sender.Sender {
	t.Helper()
	cfg := sender.DefaultConfig()
	cfg.Kind = "aliyun"
	cfg.Aliyun = sender.AliyunConfig{
		AccessKeyID: aliyunTestKeyID, AccessKeySecret: aliyunTestSecret,
		SignName: "阿里云短信测试", TemplateCode: "SMS_154950909", Endpoint: endpoint,
	}
	s, err := sender.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const aliyunOK = `{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","BizId":"900619746936498440^0"}`

// OutId is Message.ID, sent and signed: the signature covers it, so it cannot be
// changed or dropped on the way. Every request has a nonce of its own.
func TestAliyunSender(t *testing.T) {
	forms := make(chan url.Values, 2)
	srv := aliyunServer(t, forms, http.StatusOK, aliyunOK)
	s := newAliyunTestSender(t, srv.URL+"/")
	for range 2 {
		checkOutcome(t, s.Send(context.Background(), testMsg), sent, nil)
	}
	a, b := <-forms, <-forms
	for _, form := range []url.Values{a, b} {
		if got := form.Get("OutId"); got != testID {
			t.Errorf("OutId %q, want Message.ID %q", got, testID)
		}
		signature := form.Get("Signature")
		withoutOutID := url.Values{}
		for k, v := range form {
			if k != "OutId" {
				withoutOutID[k] = v
			}
		}
		if aliyunTestSignature("POST", aliyunTestSecret, withoutOutID) == signature {
			t.Error("the signature does not cover OutId")
		}
		changed := url.Values{}
		for k, v := range form {
			changed[k] = v
		}
		changed.Set("OutId", "code-other")
		if aliyunTestSignature("POST", aliyunTestSecret, changed) == signature {
			t.Error("the signature does not depend on OutId's value")
		}
	}
	if a.Get("SignatureNonce") == b.Get("SignatureNonce") {
		t.Errorf("two requests share the SignatureNonce %q", a.Get("SignatureNonce"))
	}
}

// Without an id, no OutId is sent.
func TestAliyunSenderWithoutID(t *testing.T) {
	forms := make(chan url.Values, 1)
	srv := aliyunServer(t, forms, http.StatusOK, aliyunOK)
	msg := testMsg
	msg.ID = ""
	checkOutcome(t, newAliyunTestSender(t, srv.URL+"/").Send(context.Background(), msg), sent, nil)
	if form := <-forms; form.Has("OutId") {
		t.Errorf("OutId %q sent for an empty Message.ID", form.Get("OutId"))
	}
}

func TestAliyunSenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   outcome
		text   []string
	}{
		{
			name:   "flow control",
			status: http.StatusOK,
			body:   `{"Message":"触发小时级流控Permits:5","RequestId":"A1B2","Code":"isv.BUSINESS_LIMIT_CONTROL"}`,
			want:   refused,
			text:   []string{"sender: provider refused the message: aliyun: HTTP 200 OK: isv.BUSINESS_LIMIT_CONTROL: 触发小时级流控Permits:5 (RequestId A1B2)"},
		},
		{
			name:   "illegal number",
			status: http.StatusOK,
			body:   `{"Message":"13800138000invalid","RequestId":"C3D4","Code":"isv.MOBILE_NUMBER_ILLEGAL"}`,
			want:   refused,
			text:   []string{"isv.MOBILE_NUMBER_ILLEGAL: 138****8000invalid"},
		},
		{
			name:   "out of balance",
			status: http.StatusOK,
			body:   `{"Message":"账户余额不足","RequestId":"E5","Code":"isv.AMOUNT_NOT_ENOUGH"}`,
			want:   refused,
			text:   []string{"isv.AMOUNT_NOT_ENOUGH: 账户余额不足"},
		},
		{
			name:   "unknown access key",
			status: http.StatusNotFound,
			body:   `{"RequestId":"F6","HostId":"dysmsapi.aliyuncs.com","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found.","Recommend":"https://next.api.aliyun.com/troubleshoot?q=InvalidAccessKeyId.NotFound&product=Dysmsapi"}`,
			want:   refused,
			text:   []string{"HTTP 404 Not Found: InvalidAccessKeyId.NotFound: Specified access key is not found. (RequestId F6)"},
		},
		{
			// Alibaba quotes its string to sign, which holds the phone and the code.
			name:   "signature mismatch",
			status: http.StatusBadRequest,
			body: `{"RequestId":"G7","HostId":"dysmsapi.aliyuncs.com","Code":"SignatureDoesNotMatch",` +
				`"Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3Dtestid%26PhoneNumbers%3D13800138000%26TemplateParam%3D%257B%2522code%2522%253A%2522123456%2522%257D"}`,
			want: refused,
			text: []string{"HTTP 400 Bad Request: SignatureDoesNotMatch: Specified signature is not matched", "PhoneNumbers%3D138****8000", "%2522[redacted]%2522", "(RequestId G7)"},
		},
		{
			name:   "server error with a Code",
			status: http.StatusInternalServerError,
			body:   `{"Code":"InternalError","Message":"The request processing has failed due to some unknown error.","RequestId":"I9"}`,
			want:   unknown,
			text:   []string{"sender: aliyun: outcome unknown: HTTP 500 Internal Server Error: InternalError: The request processing has failed"},
		},
		{
			name:   "OK code with a server error status",
			status: http.StatusServiceUnavailable,
			body:   `{"Code":"OK","Message":"OK"}`,
			want:   unknown,
			text:   []string{"HTTP 503 Service Unavailable: OK"},
		},
		{
			name:   "OK code with a client error status",
			status: http.StatusBadRequest,
			body:   `{"Code":"OK","Message":"OK"}`,
			want:   unknown,
			text:   []string{"HTTP 400 Bad Request: OK"},
		},
		{
			name:   "not JSON",
			status: http.StatusServiceUnavailable,
			body:   `<html>Service Unavailable</html>`,
			want:   unknown,
			text:   []string{"sender: aliyun: outcome unknown: unexpected answer: HTTP 503 Service Unavailable"},
		},
		{
			name:   "JSON without Code",
			status: http.StatusOK,
			body:   `{"RequestId":"H8"}`,
			want:   unknown,
			text:   []string{"unexpected answer: HTTP 200"},
		},
		{
			name:   "empty 400",
			status: http.StatusBadRequest,
			want:   unknown,
			text:   []string{"unexpected answer: HTTP 400"},
		},
		{
			name:   "answer too long to read whole",
			status: http.StatusOK,
			body:   `{"Code":"OK","Message":"` + strings.Repeat("x", 70<<10) + `"}`,
			want:   unknown,
			text:   []string{"unexpected answer: HTTP 200"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := aliyunServer(t, nil, tt.status, tt.body)
			err := newAliyunTestSender(t, srv.URL).Send(context.Background(), testMsg)
			checkOutcome(t, err, tt.want, tt.text, aliyunTestSecret, testCode)
		})
	}
}

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
	if sts := sender.AliyunStringToSign("GET", sender.AliyunCanonicalQuery(params)); sts != wantStringToSign {
		t.Errorf("StringToSign\n%s\nwant\n%s", sts, wantStringToSign)
	}
	if got := sender.AliyunSign("testsecret", wantStringToSign); got != wantSignature {
		t.Errorf("AliyunSign = %q, want %q", got, wantSignature)
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
		if got := sender.AliyunPercentEncode(tt.in); got != tt.want {
			t.Errorf("AliyunPercentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every byte, against the classic recipe of Alibaba's SDKs.
	classic := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")
	for b := range 256 {
		s := string([]byte{byte(b)})
		if got, want := sender.AliyunPercentEncode(s), classic.Replace(url.QueryEscape(s)); got != want {
			t.Errorf("AliyunPercentEncode(%q) = %q, want %q", s, got, want)
		}
	}
}

// With the nonce and the clock fixed, the request is fully determined: its signature is
// checked against values computed outside Go (Python's hmac module and
// urllib.parse.quote), with and without OutId.
func TestAliyunSenderFixedNonceAndClock(t *testing.T) {
	tests := []struct {
		id, wantSignature string
	}{
		{"", "etRHb8mhWOfUo4yb38rPzfcOhrk="},
		{"msg-1", "KY5CubtA5MZqhRSZE7vj7dYSd28="},
	}
	for _, tt := range tests {
		t.Run("id "+tt.id, func(t *testing.T) {
			want := url.Values{
				"AccessKeyId": {"testid"}, "Action": {"SendSms"}, "Format": {"JSON"}, "RegionId": {"cn-hangzhou"},
				"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"nonce-0001"}, "SignatureVersion": {"1.0"},
				"Timestamp": {"2026-11-25T12:00:00Z"}, "Version": {"2017-05-25"}, "PhoneNumbers": {"13800138000"},
				"SignName": {"阿里云短信测试"}, "TemplateCode": {"SMS_154950909"}, "TemplateParam": {`{"code":"123456"}`},
				"Signature": {tt.wantSignature},
			}
			if tt.id != "" {
				want.Set("OutId", tt.id)
			}
			if got := aliyunTestSignature("POST", "testsecret", want); got != tt.wantSignature {
				t.Fatalf("the independent implementation gives %q, want %q", got, tt.wantSignature)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				raw, _ := io.ReadAll(r.Body)
				form, err := url.ParseQuery(string(raw))
				if err != nil {
					t.Errorf("form %q: %v", raw, err)
				}
				if form.Encode() != want.Encode() {
					t.Errorf("form\n%s\nwant\n%s", form.Encode(), want.Encode())
				}
				_, _ = io.WriteString(w, `{"Message":"OK","RequestId":"R","Code":"OK","BizId":"B"}`)
			}))
			defer srv.Close()
			cfg := sender.DefaultConfig()
			cfg.Kind = "aliyun"
			cfg.Aliyun = sender.AliyunConfig{
				AccessKeyID: "testid", AccessKeySecret: "testsecret", SignName: "阿里云短信测试",
				TemplateCode: "SMS_154950909", Endpoint: srv.URL + "/",
			}
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			sender.SetNonce(s, func() string { return "nonce-0001" })
			sender.SetClock(s, func() time.Time { return time.Date(2026, 11, 25, 20, 0, 0, 0, time.FixedZone("CST", 8*3600)) })
			msg := sender.Message{Phone: "13800138000", Code: "123456", ID: tt.id}
			checkOutcome(t, s.Send(context.Background(), msg), sent, nil)
		})
	}
}
