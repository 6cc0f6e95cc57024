package sender

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Alibaba Cloud SMS defaults.
const (
	defaultAliyunEndpoint = "https://dysmsapi.aliyuncs.com/"
	defaultAliyunRegionID = "cn-hangzhou"
)

// AliyunConfig configures kind aliyun, Alibaba Cloud SMS (config.yaml section
// "sender.aliyun"). For each Send it calls the SendSms RPC API (version 2017-05-25) with
// an HTTP POST of a form to the endpoint, which keeps the code and the signature out of
// URLs and therefore out of proxy logs:
//
//	AccessKeyId, Action=SendSms, Format=JSON, RegionId, SignatureMethod=HMAC-SHA1,
//	SignatureNonce (random, new for every request), SignatureVersion=1.0,
//	Timestamp (UTC, 2006-01-02T15:04:05Z), Version=2017-05-25,
//	PhoneNumbers={phone}, SignName, TemplateCode, TemplateParam={"code":"123456"},
//	OutId={Message.ID} (when not empty), Signature
//
// The signature is Alibaba's version 1.0 over every other parameter, OutId included: the
// parameters sorted by name, each name and value percent-encoded as RFC 3986 says (only
// A-Z a-z 0-9 - _ . ~ stay; a space is %20), joined as name=value with "&"; then
// Signature = base64(HMAC-SHA1(access_key_secret + "&", "POST&%2F&" + percentEncode(that))).
// OutId comes back in Alibaba's delivery receipts, to match them with the code; SendSms
// itself does not deduplicate on it.
//
// An answer {"Code":"OK",...} with a 2xx status means sent. Any other Code
// (isv.BUSINESS_LIMIT_CONTROL, isv.MOBILE_NUMBER_ILLEGAL, InvalidAccessKeyId.NotFound,
// SignatureDoesNotMatch, ...) is a refusal (ErrRefused), quoted in the error with its
// Message and RequestId, the phone masked and the code and the secret removed. A 5xx
// status, an answer without a Code, a timeout or a lost connection is an unknown outcome.
type AliyunConfig struct {
	// AccessKeyID identifies the RAM user's access key. Required.
	AccessKeyID string `mapstructure:"access_key_id"`
	// AccessKeySecret signs the requests; give it through
	// GINSMS_SENDER_ALIYUN_ACCESS_KEY_SECRET rather than a file. Required.
	AccessKeySecret string `mapstructure:"access_key_secret"`
	// SignName is the approved SMS signature (签名名称) shown in the message. Required.
	SignName string `mapstructure:"sign_name"`
	// TemplateCode is the approved template ("SMS_123456789"); it must take one
	// variable, ${code}. Required.
	TemplateCode string `mapstructure:"template_code"`
	// RegionID is sent as RegionId. Optional. Default: "cn-hangzhou".
	RegionID string `mapstructure:"region_id"`
	// Endpoint receives the requests, to be changed for another region's endpoint, a
	// proxy or a test server. Optional. Default: "https://dysmsapi.aliyuncs.com/".
	Endpoint string `mapstructure:"endpoint"`
}

func (c AliyunConfig) withDefaults() AliyunConfig {
	if c.RegionID == "" {
		c.RegionID = defaultAliyunRegionID
	}
	if c.Endpoint == "" {
		c.Endpoint = defaultAliyunEndpoint
	}
	return c
}

// validate returns one error per bad key of c, its defaults filled in.
func (c AliyunConfig) validate() []error {
	var errs []error
	if c.AccessKeyID == "" {
		errs = append(errs, requiredError("sender.aliyun.access_key_id", kindAliyun))
	}
	if c.AccessKeySecret == "" {
		errs = append(errs, requiredError("sender.aliyun.access_key_secret", kindAliyun))
	}
	if c.SignName == "" {
		errs = append(errs, requiredError("sender.aliyun.sign_name", kindAliyun))
	}
	if c.TemplateCode == "" {
		errs = append(errs, requiredError("sender.aliyun.template_code", kindAliyun))
	}
	if !isHTTPURL(c.Endpoint) {
		errs = append(errs, configError("sender.aliyun.endpoint", "must be an absolute http or https URL"))
	}
	return errs
}

func newAliyunSender(cfg AliyunConfig, client *http.Client) *aliyunSender {
	return &aliyunSender{cfg: cfg, client: client, now: time.Now, nonce: rand.Text}
}

var _ Sender = (*aliyunSender)(nil)

type aliyunSender struct {
	cfg    AliyunConfig
	client *http.Client
	now    func() time.Time // the clock; tests fix it
	nonce  func() string    // SignatureNonce; tests fix it
}

// aliyunResponse is the body of every SendSms answer, success or error.
type aliyunResponse struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	BizID     string `json:"BizId"`
	RequestID string `json:"RequestId"`
}

// aliyunTimestamp is the layout of the Timestamp parameter (ISO 8601, UTC).
const aliyunTimestamp = "2006-01-02T15:04:05Z"

func (s *aliyunSender) Send(ctx context.Context, msg Message) error {
	templateParam, err := json.Marshal(map[string]string{"code": msg.Code})
	if err != nil {
		return refusedError("aliyun", "encoding TemplateParam: %v", err) // nothing went out
	}
	params := map[string]string{
		"AccessKeyId":      s.cfg.AccessKeyID,
		"Action":           "SendSms",
		"Format":           "JSON",
		"RegionId":         s.cfg.RegionID,
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureNonce":   s.nonce(),
		"SignatureVersion": "1.0",
		"Timestamp":        s.now().UTC().Format(aliyunTimestamp),
		"Version":          "2017-05-25",
		"PhoneNumbers":     msg.Phone,
		"SignName":         s.cfg.SignName,
		"TemplateCode":     s.cfg.TemplateCode,
		"TemplateParam":    string(templateParam),
	}
	if msg.ID != "" {
		params["OutId"] = msg.ID
	}
	query := aliyunCanonicalQuery(params)
	signature := aliyunSign(s.cfg.AccessKeySecret, aliyunStringToSign(http.MethodPost, query))
	body := query + "&Signature=" + aliyunPercentEncode(signature)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Endpoint, strings.NewReader(body))
	if err != nil {
		return refusedError("aliyun", "building the request") // nothing went out
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	a, err := do(s.client, req)
	if err != nil {
		return unknownError("aliyun", "%w", err)
	}
	if a.bodyErr != nil {
		return unknownError("aliyun", "%s: reading the answer: %w", httpStatus(a.status), a.bodyErr)
	}
	var r aliyunResponse
	if json.Unmarshal(a.body, &r) != nil || r.Code == "" {
		return unknownError("aliyun", "unexpected answer: %s", httpStatus(a.status))
	}
	if r.Code == "OK" && isSuccess(a.status) {
		return nil
	}
	phones := []string{msg.Phone}
	secrets := []string{msg.Code, s.cfg.AccessKeySecret, signature, aliyunPercentEncode(signature)}
	detail := fmt.Sprintf("%s: %s: %s", httpStatus(a.status), scrub(r.Code, phones, secrets...), scrub(r.Message, phones, secrets...))
	if r.RequestID != "" {
		detail += " (RequestId " + scrub(r.RequestID, phones, secrets...) + ")"
	}
	if a.status >= 500 || r.Code == "OK" {
		// A server error, or an "OK" that its status contradicts: it may have been sent.
		return unknownError("aliyun", "%s", detail)
	}
	return refusedError("aliyun", "%s", detail)
}

// aliyunCanonicalQuery sorts params by name and joins them, each name and value
// percent-encoded, as name=value pairs separated by "&".
func aliyunCanonicalQuery(params map[string]string) string {
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, name := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(aliyunPercentEncode(name))
		b.WriteByte('=')
		b.WriteString(aliyunPercentEncode(params[name]))
	}
	return b.String()
}

// aliyunStringToSign is method + "&%2F&" + percentEncode(canonicalQuery).
func aliyunStringToSign(method, canonicalQuery string) string {
	return method + "&" + aliyunPercentEncode("/") + "&" + aliyunPercentEncode(canonicalQuery)
}

// aliyunSign is base64(HMAC-SHA1(secret + "&", stringToSign)).
func aliyunSign(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// aliyunPercentEncode encodes s as RFC 3986 says, the way Alibaba's signature wants it:
// A-Z a-z 0-9 - _ . ~ are kept, every other byte of the UTF-8 form becomes %XX in upper
// case (a space %20, never "+"; "*" %2A).
func aliyunPercentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
