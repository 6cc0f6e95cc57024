package ginsms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sender delivers an SMS code. Send must return once ctx is done; the Service gives it
// a context bounded by sender.timeout. A non-nil error answers the client 5001 and takes
// the send back, so the user can retry at once. Errors should wrap ErrSend and must carry
// neither the code nor a credential: the Service logs them.
type Sender interface {
	Send(ctx context.Context, phone, code string) error
}

// SenderFunc adapts an ordinary function to the Sender interface, for a provider of
// one's own (see WithSender).
type SenderFunc func(ctx context.Context, phone, code string) error

// Send calls f(ctx, phone, code).
func (f SenderFunc) Send(ctx context.Context, phone, code string) error {
	return f(ctx, phone, code)
}

// ErrSend is wrapped by every error of the senders of this package: a provider that
// answered an error, an unreachable or timed-out provider (then context.DeadlineExceeded
// is wrapped too), or a malformed answer. Test it with errors.Is.
var ErrSend = errors.New("ginsms: sms sender failed")

// Sender kinds, the values of sender.kind.
const (
	SenderKindLog     = "log"     // writes the code to the log: demos and development only
	SenderKindWebhook = "webhook" // POSTs a signed JSON message to a URL of one's own
	SenderKindTwilio  = "twilio"  // Twilio Programmable Messaging
	SenderKindAliyun  = "aliyun"  // Alibaba Cloud SMS (dysmsapi SendSms)
)

// DefaultSenderTimeout bounds one Send when sender.timeout is not set.
const DefaultSenderTimeout = 5 * time.Second

// SenderConfig selects and configures the sender (config.yaml section "sender"). Only the
// section of the selected kind is read. Credentials are best given in the environment,
// e.g. GINSMS_SENDER_TWILIO_AUTH_TOKEN or GINSMS_SENDER_ALIYUN_ACCESS_KEY_SECRET, rather
// than in a file; no sender logs them or puts them in an error.
type SenderConfig struct {
	// Kind is log, webhook, twilio or aliyun (case-insensitive).
	// Optional. Default: "log", which only logs the code and sends nothing.
	Kind string `mapstructure:"kind"`
	// Timeout bounds one Send, including connecting to the provider. 0 means the default.
	// Optional. Default: DefaultSenderTimeout (5s).
	Timeout time.Duration `mapstructure:"timeout"`
	// Webhook configures kind webhook.
	Webhook WebhookConfig `mapstructure:"webhook"`
	// Twilio configures kind twilio.
	Twilio TwilioConfig `mapstructure:"twilio"`
	// Aliyun configures kind aliyun.
	Aliyun AliyunConfig `mapstructure:"aliyun"`
}

// DefaultSenderConfig returns the log sender with a 5s timeout, and every provider section
// with its defaults filled in (endpoints, region, message template).
func DefaultSenderConfig() SenderConfig {
	return SenderConfig{
		Kind:    SenderKindLog,
		Timeout: DefaultSenderTimeout,
		Twilio:  TwilioConfig{}.withDefaults(),
		Aliyun:  AliyunConfig{}.withDefaults(),
	}
}

func (c SenderConfig) withDefaults() SenderConfig {
	c.Kind = strings.ToLower(strings.TrimSpace(c.Kind))
	if c.Kind == "" {
		c.Kind = SenderKindLog
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultSenderTimeout
	}
	return c
}

// Validate checks the kind, the timeout and the section of the selected kind. An error
// wraps ErrInvalidConfig and names the first bad key, for example
// "sender.twilio.account_sid: required when sender.kind is twilio". It never quotes a
// credential or a URL (which may carry a token).
func (c SenderConfig) Validate() error {
	c = c.withDefaults()
	if c.Timeout < 0 {
		return configError("sender.timeout", "must be positive (or 0 for the default %v), got %v", DefaultSenderTimeout, c.Timeout)
	}
	switch c.Kind {
	case SenderKindLog:
		return nil
	case SenderKindWebhook:
		return c.Webhook.validate()
	case SenderKindTwilio:
		return c.Twilio.withDefaults().validate()
	case SenderKindAliyun:
		return c.Aliyun.withDefaults().validate()
	default:
		return configError("sender.kind", "must be one of log, webhook, twilio, aliyun, got %q", c.Kind)
	}
}

// NewSender validates cfg and builds the sender of cfg.Kind. Every Send of the returned
// sender is bounded by cfg.Timeout, also when the caller's context has no deadline.
// A provider section without HTTPClient gets a client of its own with that timeout that
// does not follow redirects. logger is used by the log sender only; nil means
// slog.Default().
func NewSender(cfg SenderConfig, logger *slog.Logger) (Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.Default()
	}
	var (
		s   Sender
		err error
	)
	switch cfg.Kind {
	case SenderKindLog:
		s = NewLogSender(logger)
	case SenderKindWebhook:
		cfg.Webhook.HTTPClient = senderClient(cfg.Webhook.HTTPClient, cfg.Timeout)
		s, err = NewWebhookSender(cfg.Webhook)
	case SenderKindTwilio:
		cfg.Twilio.HTTPClient = senderClient(cfg.Twilio.HTTPClient, cfg.Timeout)
		s, err = NewTwilioSender(cfg.Twilio)
	case SenderKindAliyun:
		cfg.Aliyun.HTTPClient = senderClient(cfg.Aliyun.HTTPClient, cfg.Timeout)
		s, err = NewAliyunSender(cfg.Aliyun)
	}
	if err != nil {
		return nil, err
	}
	return timeoutSender{s: s, timeout: cfg.Timeout}, nil
}

var (
	_ Sender = SenderFunc(nil)
	_ Sender = timeoutSender{}
)

// timeoutSender bounds every Send by timeout; a caller's earlier deadline still wins.
type timeoutSender struct {
	s       Sender
	timeout time.Duration
}

func (t timeoutSender) Send(ctx context.Context, phone, code string) error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= t.timeout {
		return t.s.Send(ctx, phone, code) // already bounded (Service sets it): no second timer
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	return t.s.Send(ctx, phone, code)
}

// MaskPhone hides the middle of a phone number for logs: "13800138000" → "138****8000".
// Numbers of 11 characters or more keep their first 3 and last 4; shorter ones keep at
// most a quarter at each end (at least half is hidden), and 4 characters or fewer are
// hidden entirely. The result has as many characters as phone.
func MaskPhone(phone string) string {
	n := utf8.RuneCountInString(phone)
	head, tail := n/4, n/4
	switch {
	case n >= 11:
		head, tail = 3, 4
	case n <= 4:
		head, tail = 0, 0
	}
	var b strings.Builder
	b.Grow(len(phone))
	i := 0
	for _, r := range phone {
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

// newSenderHTTPClient is the client of a provider sender without HTTPClient: bounded by
// timeout (the context usually ends first), and answering a redirect with the redirect
// itself, which the sender reports as an unexpected status: a provider API does not
// redirect, and following one would resend the message, or drop its body, somewhere
// unplanned.
func newSenderHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// senderClient is client, or when nil a new one from newSenderHTTPClient.
func senderClient(client *http.Client, timeout time.Duration) *http.Client {
	if client != nil {
		return client
	}
	return newSenderHTTPClient(timeout)
}

// senderUserAgent is sent by every provider sender.
const senderUserAgent = "ginsms"

// maxProviderResponse bounds how much of a provider's answer is read.
const maxProviderResponse = 64 << 10

// doProviderRequest sends req and returns the status and (bounded) body of the answer.
// A transport error is returned without the request URL, which may carry a token; a
// context error stays visible to errors.Is.
func doProviderRequest(client *http.Client, provider string, req *http.Request) (int, []byte, error) {
	req.Header.Set("User-Agent", senderUserAgent)
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctxErr := req.Context().Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return 0, nil, fmt.Errorf("%w: %s: %w", ErrSend, provider, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProviderResponse))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%w: %s: reading the answer (HTTP %d): %w", ErrSend, provider, resp.StatusCode, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxProviderResponse)) // lets the connection be reused
	return resp.StatusCode, body, nil
}

// maxProviderText bounds a provider's message quoted in an error.
const maxProviderText = 300

// scrubProviderText makes a provider's text fit for an error that will be logged: the
// phones (in every form sent) are masked, every secret (the code, credentials) replaced,
// control characters turned into spaces and the length bounded. Providers do echo requests:
// Alibaba's SignatureDoesNotMatch message quotes the string to sign, which holds the code.
func scrubProviderText(text string, phones []string, secrets ...string) string {
	for _, p := range phones { // the longest form first, so that it is masked whole
		if p != "" {
			text = strings.ReplaceAll(text, p, MaskPhone(p))
		}
	}
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > maxProviderText {
		text = string([]rune(text)[:maxProviderText]) + "…"
	}
	return text
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// senderRequired is the error of a missing key of the section of kind.
func senderRequired(key, kind string) error {
	return configError(key, "required when sender.kind is %s", kind)
}
