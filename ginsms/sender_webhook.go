package ginsms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Headers of a webhook request.
const (
	// WebhookSignatureHeader carries "sha256=" and the lower-case hex HMAC-SHA256, keyed
	// with sender.webhook.secret, of the timestamp header's value, a full stop ".", and
	// the raw request body.
	WebhookSignatureHeader = "X-Ginsms-Signature"
	// WebhookTimestampHeader carries the Unix time of sending in decimal seconds; the
	// body's "timestamp" field holds the same number.
	WebhookTimestampHeader = "X-Ginsms-Timestamp"
)

// WebhookConfig configures the webhook sender (config.yaml section "sender.webhook"),
// which hands the code to a service of one's own: for each code it POSTs
//
//	Content-Type: application/json
//	X-Ginsms-Timestamp: 1795608000
//	X-Ginsms-Signature: sha256=<hex of HMAC-SHA256(secret, "1795608000" + "." + body)>
//
//	{"phone":"13800138000","code":"123456","template":"login","timestamp":1795608000,"id":"<random>"}
//
// and counts any 2xx answer as sent; any other status, redirects included, is an error.
// The receiver should, before anything else, recompute the signature over the raw body
// and compare it in constant time (hmac.Equal), reject a timestamp more than a few
// minutes from its own clock, and, to refuse a replay inside that window too, remember
// the ids it has seen for as long. Signing the timestamp with the body means an old
// request cannot be replayed with a fresh timestamp.
type WebhookConfig struct {
	// URL receives the POSTs; use https outside a private network. Required.
	URL string `mapstructure:"url"`
	// Secret keys the signature; share it with the receiver only, e.g. through
	// GINSMS_SENDER_WEBHOOK_SECRET. Use 32 random bytes or more. Required.
	Secret string `mapstructure:"secret"`
	// Template is copied to the "template" field, for a receiver that sends several
	// kinds of message. Optional. Default: "".
	Template string `mapstructure:"template"`
	// HTTPClient sends the requests. Optional. Default: a client with a 5s timeout
	// (NewSender: sender.timeout) that does not follow redirects.
	HTTPClient *http.Client `mapstructure:"-"`
}

func (c WebhookConfig) validate() error {
	switch {
	case c.URL == "":
		return senderRequired("sender.webhook.url", SenderKindWebhook)
	case !isHTTPURL(c.URL):
		return configError("sender.webhook.url", "must be an absolute http or https URL")
	case c.Secret == "":
		return senderRequired("sender.webhook.secret", SenderKindWebhook)
	}
	return nil
}

// NewWebhookSender validates cfg and returns a sender that POSTs each code, signed, to
// cfg.URL (see WebhookConfig).
func NewWebhookSender(cfg WebhookConfig) (Sender, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client := senderClient(cfg.HTTPClient, DefaultSenderTimeout)
	return &webhookSender{cfg: cfg, secret: []byte(cfg.Secret), client: client, now: time.Now, id: rand.Text}, nil
}

var _ Sender = (*webhookSender)(nil)

type webhookSender struct {
	cfg    WebhookConfig
	secret []byte
	client *http.Client
	now    func() time.Time // the clock; tests fix it
	id     func() string    // message ids; tests fix them
}

// webhookMessage is the JSON body of a webhook request.
type webhookMessage struct {
	Phone     string `json:"phone"`
	Code      string `json:"code"`
	Template  string `json:"template"`
	Timestamp int64  `json:"timestamp"`
	ID        string `json:"id"`
}

func (s *webhookSender) Send(ctx context.Context, phone, code string) error {
	ts := s.now().Unix()
	body, err := json.Marshal(webhookMessage{Phone: phone, Code: code, Template: s.cfg.Template, Timestamp: ts, ID: s.id()})
	if err != nil {
		return fmt.Errorf("%w: webhook: encoding the message: %w", ErrSend, err)
	}
	timestamp := strconv.FormatInt(ts, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: webhook: building the request", ErrSend) // err would quote the URL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(WebhookTimestampHeader, timestamp)
	req.Header.Set(WebhookSignatureHeader, "sha256="+webhookSignature(s.secret, timestamp, body))
	status, _, err := doProviderRequest(s.client, "webhook", req)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("%w: webhook: unexpected status %d %s", ErrSend, status, http.StatusText(status))
	}
	return nil
}

// webhookSignature is the lower-case hex HMAC-SHA256 under secret of timestamp + "." + body.
func webhookSignature(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
