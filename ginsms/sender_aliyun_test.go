package ginsms_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ginsms/ginsms/ginsms"
)

const (
	aliyunTestKeyID  = "testid"
	aliyunTestSecret = "aliyun-secret"
)

// aliyunTestSignature signs params the way Alibaba's documentation describes, written
// independently of the package: url.QueryEscape then the documented replacements.
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
// included, sends each SignatureNonce to nonces, and answers status and body.
func aliyunServer(t *testing.T, nonces chan<- string, status int, body string) *httptest.Server {
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
			"PhoneNumbers": senderTestPhone, "SignName": "阿里云短信测试", "TemplateCode": "SMS_154950909",
			"TemplateParam": `{"code":"123456"}`,
		}
		for k, v := range want {
			if got := form.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if n := len(want) + 3; len(form) != n { // + SignatureNonce, Timestamp, Signature
			t.Errorf("%d parameters, want %d: %v", len(form), n, form)
		}
		var param map[string]string
		if err := json.Unmarshal([]byte(form.Get("TemplateParam")), &param); err != nil || param["code"] != senderTestCode {
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
		if nonces != nil {
			nonces <- form.Get("SignatureNonce")
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newAliyunTestSender(t *testing.T, endpoint string) ginsms.Sender {
	t.Helper()
	s, err := ginsms.NewAliyunSender(ginsms.AliyunConfig{
		AccessKeyID: aliyunTestKeyID, AccessKeySecret: aliyunTestSecret,
		SignName: "阿里云短信测试", TemplateCode: "SMS_154950909", Endpoint: endpoint,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAliyunSender(t *testing.T) {
	nonces := make(chan string, 2)
	srv := aliyunServer(t, nonces, http.StatusOK,
		`{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","BizId":"900619746936498440^0"}`)
	s := newAliyunTestSender(t, srv.URL+"/")
	for range 2 {
		if err := s.Send(context.Background(), senderTestPhone, senderTestCode); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if a, b := <-nonces, <-nonces; a == b {
		t.Errorf("two requests share the SignatureNonce %q", a)
	}
}

func TestAliyunSenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{
			name:   "flow control",
			status: http.StatusOK,
			body:   `{"Message":"触发小时级流控Permits:5","RequestId":"A1B2","Code":"isv.BUSINESS_LIMIT_CONTROL"}`,
			want:   []string{"aliyun: HTTP 200: isv.BUSINESS_LIMIT_CONTROL: 触发小时级流控Permits:5 (RequestId A1B2)"},
		},
		{
			name:   "illegal number",
			status: http.StatusOK,
			body:   `{"Message":"13800138000invalid","RequestId":"C3D4","Code":"isv.MOBILE_NUMBER_ILLEGAL"}`,
			want:   []string{"isv.MOBILE_NUMBER_ILLEGAL: 138****8000invalid"},
		},
		{
			name:   "out of balance",
			status: http.StatusOK,
			body:   `{"Message":"账户余额不足","RequestId":"E5","Code":"isv.AMOUNT_NOT_ENOUGH"}`,
			want:   []string{"isv.AMOUNT_NOT_ENOUGH: 账户余额不足"},
		},
		{
			name:   "unknown access key",
			status: http.StatusNotFound,
			body:   `{"RequestId":"F6","HostId":"dysmsapi.aliyuncs.com","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found.","Recommend":"https://next.api.aliyun.com/troubleshoot?q=InvalidAccessKeyId.NotFound&product=Dysmsapi"}`,
			want:   []string{"HTTP 404: InvalidAccessKeyId.NotFound: Specified access key is not found. (RequestId F6)"},
		},
		{
			// Alibaba quotes its string to sign, which holds the code.
			name:   "signature mismatch",
			status: http.StatusBadRequest,
			body: `{"RequestId":"G7","HostId":"dysmsapi.aliyuncs.com","Code":"SignatureDoesNotMatch",` +
				`"Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3Dtestid%26PhoneNumbers%3D13800138000%26TemplateParam%3D%257B%2522code%2522%253A%2522123456%2522%257D"}`,
			want: []string{"HTTP 400: SignatureDoesNotMatch: Specified signature is not matched", "%2522[redacted]%2522", "(RequestId G7)"},
		},
		{
			name:   "OK code with an error status",
			status: http.StatusInternalServerError,
			body:   `{"Code":"OK","Message":"OK"}`,
			want:   []string{"HTTP 500: OK"},
		},
		{
			name:   "not JSON",
			status: http.StatusServiceUnavailable,
			body:   `<html>Service Unavailable</html>`,
			want:   []string{"aliyun: unexpected answer: HTTP 503 Service Unavailable"},
		},
		{
			name:   "JSON without Code",
			status: http.StatusOK,
			body:   `{"RequestId":"H8"}`,
			want:   []string{"aliyun: unexpected answer: HTTP 200"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := aliyunServer(t, nil, tt.status, tt.body)
			err := newAliyunTestSender(t, srv.URL).Send(context.Background(), senderTestPhone, senderTestCode)
			checkSendError(t, err, tt.want, aliyunTestSecret, senderTestCode, senderTestPhone)
		})
	}
}

func TestNewAliyunSenderInvalid(t *testing.T) {
	ok := ginsms.AliyunConfig{AccessKeyID: aliyunTestKeyID, AccessKeySecret: aliyunTestSecret, SignName: "s", TemplateCode: "SMS_1"}
	tests := []struct {
		name   string
		change func(*ginsms.AliyunConfig)
		key    string
	}{
		{"no access key id", func(c *ginsms.AliyunConfig) { c.AccessKeyID = "" }, "sender.aliyun.access_key_id"},
		{"no access key secret", func(c *ginsms.AliyunConfig) { c.AccessKeySecret = "" }, "sender.aliyun.access_key_secret"},
		{"no sign name", func(c *ginsms.AliyunConfig) { c.SignName = "" }, "sender.aliyun.sign_name"},
		{"no template code", func(c *ginsms.AliyunConfig) { c.TemplateCode = "" }, "sender.aliyun.template_code"},
		{"endpoint", func(c *ginsms.AliyunConfig) { c.Endpoint = "//dysmsapi.aliyuncs.com/" }, "sender.aliyun.endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			s, err := ginsms.NewAliyunSender(cfg)
			if s != nil || !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.key+": ") {
				t.Fatalf("NewAliyunSender = %v, %v; want an ErrInvalidConfig naming %s", s, err, tt.key)
			}
			if strings.Contains(err.Error(), aliyunTestSecret) {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}
