package sender

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// WebhookConfig configures kind webhook (config.yaml section "sender.webhook"), which
// hands each code to a service of one's own. For each Send it POSTs
//
//	Content-Type: application/json
//	X-Ginsms-Timestamp: 1795608000
//	X-Ginsms-Signature: sha256=<hex of HMAC-SHA256(secret, "1795608000" + "." + body)>
//
//	{"phone":"13800138000","code":"123456","template":"login","timestamp":1795608000,"id":"<Message.ID>"}
//
// X-Ginsms-Timestamp carries the Unix time of sending in decimal seconds, the same number
// as the body's "timestamp". X-Ginsms-Signature carries "sha256=" and the lower-case hex
// HMAC-SHA256, keyed with Secret, of the timestamp header's value, a full stop "." and
// the raw request body. "phone" is the phone as the user sent it, "id" is Message.ID: a
// random id of this one message.
//
// A 2xx answer means sent. A 3xx (redirects are not followed) or 4xx is a refusal
// (ErrRefused): the caller lets the user ask again at once, so the receiver should answer
// 4xx only when it has not handed the message on. A 5xx, like no answer (a timeout, a
// lost connection), is an unknown outcome: a gateway or proxy in front of the receiver
// may answer 502 or 504 after forwarding the request, so the phone waits for the interval.
//
// The receiver should, before anything else, recompute the signature over the raw body
// and compare it in constant time (hmac.Equal), reject a timestamp more than a few
// minutes from its own clock, and remember the ids it has accepted for at least as long:
// a repeated id is a replayed or retried copy of a request already handled, to be
// answered 2xx without sending again. Signing the timestamp with the body means an old request cannot
// be replayed with a fresh timestamp.
type WebhookConfig struct {
	// URL receives the POSTs; use https outside a private network. Required.
	URL string `mapstructure:"url"`
	// Secret keys the signature; share it with the receiver only, e.g. through
	// GINSMS_SENDER_WEBHOOK_SECRET. Use 32 random bytes or more. Required.
	Secret string `mapstructure:"secret"`
	// Template is copied to the "template" field, for a receiver that sends several
	// kinds of message. Optional. Default: "".
	Template string `mapstructure:"template"`
}

// validate returns one error per bad key.
func (c WebhookConfig) validate() []error {
	var errs []error
	switch {
	case c.URL == "":
		errs = append(errs, requiredError("sender.webhook.url", kindWebhook))
	case !isHTTPURL(c.URL):
		errs = append(errs, configError("sender.webhook.url", "must be an absolute http or https URL"))
	}
	if c.Secret == "" {
		errs = append(errs, requiredError("sender.webhook.secret", kindWebhook))
	}
	return errs
}

// Header names of a webhook request.
const (
	webhookSignatureHeader = "X-Ginsms-Signature"
	webhookTimestampHeader = "X-Ginsms-Timestamp"
)

func newWebhookSender(cfg WebhookConfig, client *http.Client) *webhookSender {
	return &webhookSender{url: cfg.URL, template: cfg.Template, secret: []byte(cfg.Secret), client: client, now: time.Now}
}

var _ Sender = (*webhookSender)(nil)

type webhookSender struct {
	url      string
	template string
	secret   []byte
	client   *http.Client
	now      func() time.Time // the clock; tests fix it
}

// webhookMessage is the JSON body of a webhook request.
type webhookMessage struct {
	Phone     string `json:"phone"`
	Code      string `json:"code"`
	Template  string `json:"template"`
	Timestamp int64  `json:"timestamp"`
	ID        string `json:"id"`
}

func (s *webhookSender) Send(ctx context.Context, msg Message) error {
	ts := s.now().Unix()
	body, err := json.Marshal(webhookMessage{Phone: msg.Phone, Code: msg.Code, Template: s.template, Timestamp: ts, ID: msg.ID})
	if err != nil {
		return refusedError("webhook", "encoding the message: %v", err) // nothing went out
	}
	timestamp := strconv.FormatInt(ts, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return refusedError("webhook", "building the request") // err would quote the URL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhookTimestampHeader, timestamp)
	req.Header.Set(webhookSignatureHeader, "sha256="+webhookSignature(s.secret, timestamp, body))
	a, err := do(s.client, req)
	if err != nil {
		return unknownError("webhook", "%w", err)
	}
	switch {
	case isSuccess(a.status):
		return nil // 2xx: accepted, whether or not its body could be read
	case a.status >= 500:
		// A gateway's 502 or 504 may come after it forwarded the request: the receiver
		// may have sent the SMS.
		return unknownError("webhook", "receiver answered %s", httpStatus(a.status))
	}
	return refusedError("webhook", "receiver answered %s", httpStatus(a.status))
}

// webhookSignature is the lower-case hex HMAC-SHA256 under secret of timestamp + "." + body.
func webhookSignature(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
