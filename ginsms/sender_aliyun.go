package ginsms

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
	// DefaultAliyunEndpoint is the SMS service's public endpoint.
	DefaultAliyunEndpoint = "https://dysmsapi.aliyuncs.com/"
	// DefaultAliyunRegionID is the region sent as RegionId.
	DefaultAliyunRegionID = "cn-hangzhou"
)

// AliyunConfig configures the Alibaba Cloud SMS sender (config.yaml section
// "sender.aliyun"). For each code it calls the SendSms RPC API (version 2017-05-25) with
// an HTTP POST of a form to the endpoint, which keeps the code and the signature out of
// URLs and therefore out of proxy logs:
//
//	AccessKeyId, Action=SendSms, Format=JSON, RegionId, SignatureMethod=HMAC-SHA1,
//	SignatureNonce (random, new for every request), SignatureVersion=1.0,
//	Timestamp (UTC, 2006-01-02T15:04:05Z), Version=2017-05-25,
//	PhoneNumbers={phone}, SignName, TemplateCode, TemplateParam={"code":"123456"},
//	Signature
//
// The signature is Alibaba's version 1.0: the parameters sorted by name, each name and
// value percent-encoded as RFC 3986 says (only A-Z a-z 0-9 - _ . ~ stay; a space is
// %20), joined as name=value with "&"; then
// Signature = base64(HMAC-SHA1(access_key_secret + "&", "POST&%2F&" + percentEncode(that))).
//
// An answer {"Code":"OK",...} is sent; any other Code (isv.BUSINESS_LIMIT_CONTROL,
// isv.MOBILE_NUMBER_ILLEGAL, InvalidAccessKeyId.NotFound, SignatureDoesNotMatch, ...)
// becomes an error that wraps ErrSend and quotes Code, Message and RequestId, with the
// code, the secret and the phone removed from them.
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
	// RegionID is sent as RegionId. Optional. Default: DefaultAliyunRegionID.
	RegionID string `mapstructure:"region_id"`
	// Endpoint receives the requests, to be changed for another region's endpoint, a
	// proxy or a test server. Optional. Default: DefaultAliyunEndpoint.
	Endpoint string `mapstructure:"endpoint"`
	// HTTPClient sends the requests. Optional. Default: a client with a 5s timeout
	// (NewSender: sender.timeout) that does not follow redirects.
	HTTPClient *http.Client `mapstructure:"-"`
}

func (c AliyunConfig) withDefaults() AliyunConfig {
	if c.RegionID == "" {
		c.RegionID = DefaultAliyunRegionID
	}
	if c.Endpoint == "" {
		c.Endpoint = DefaultAliyunEndpoint
	}
	return c
}

func (c AliyunConfig) validate() error {
	switch {
	case c.AccessKeyID == "":
		return senderRequired("sender.aliyun.access_key_id", SenderKindAliyun)
	case c.AccessKeySecret == "":
		return senderRequired("sender.aliyun.access_key_secret", SenderKindAliyun)
	case c.SignName == "":
		return senderRequired("sender.aliyun.sign_name", SenderKindAliyun)
	case c.TemplateCode == "":
		return senderRequired("sender.aliyun.template_code", SenderKindAliyun)
	case !isHTTPURL(c.Endpoint):
		return configError("sender.aliyun.endpoint", "must be an absolute http or https URL")
	}
	return nil
}

// NewAliyunSender validates cfg and returns a sender that sends each code as an SMS
// through Alibaba Cloud SMS (see AliyunConfig).
func NewAliyunSender(cfg AliyunConfig) (Sender, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client := senderClient(cfg.HTTPClient, DefaultSenderTimeout)
	return &aliyunSender{cfg: cfg, client: client, now: time.Now, nonce: rand.Text}, nil
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

func (s *aliyunSender) Send(ctx context.Context, phone, code string) error {
	templateParam, err := json.Marshal(map[string]string{"code": code})
	if err != nil {
		return fmt.Errorf("%w: aliyun: encoding TemplateParam: %w", ErrSend, err)
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
		"PhoneNumbers":     phone,
		"SignName":         s.cfg.SignName,
		"TemplateCode":     s.cfg.TemplateCode,
		"TemplateParam":    string(templateParam),
	}
	query := aliyunCanonicalQuery(params)
	signature := aliyunSign(s.cfg.AccessKeySecret, aliyunStringToSign(http.MethodPost, query))
	body := query + "&Signature=" + aliyunPercentEncode(signature)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Endpoint, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: aliyun: building the request", ErrSend)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, respBody, err := doProviderRequest(s.client, "aliyun", req)
	if err != nil {
		return err
	}
	var r aliyunResponse
	if json.Unmarshal(respBody, &r) != nil || r.Code == "" {
		return fmt.Errorf("%w: aliyun: unexpected answer: HTTP %d %s", ErrSend, status, http.StatusText(status))
	}
	if r.Code == "OK" && status >= 200 && status <= 299 {
		return nil
	}
	phones := []string{phone}
	secrets := []string{code, s.cfg.AccessKeySecret, signature}
	msg := fmt.Sprintf("aliyun: HTTP %d: %s: %s", status,
		scrubProviderText(r.Code, phones, secrets...), scrubProviderText(r.Message, phones, secrets...))
	if r.RequestID != "" {
		msg += " (RequestId " + scrubProviderText(r.RequestID, phones, secrets...) + ")"
	}
	return fmt.Errorf("%w: %s", ErrSend, msg)
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
