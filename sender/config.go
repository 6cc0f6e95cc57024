package sender

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ginsms/ginsms/internal/cfgerr"
)

// The kinds, the values of sender.kind.
const (
	kindLog     = "log"
	kindWebhook = "webhook"
	kindTwilio  = "twilio"
	kindAliyun  = "aliyun"
)

// defaultTimeout bounds one Send when Config.Timeout is 0.
const defaultTimeout = 5 * time.Second

// Config selects and configures the sender (config.yaml section "sender"). Only the
// section of the selected kind is read and checked. Credentials are best given through
// the environment (e.g. GINSMS_SENDER_TWILIO_AUTH_TOKEN) rather than a file; no sender
// logs them or puts them in an error.
type Config struct {
	// Kind is log, webhook, twilio or aliyun (case-insensitive). log only writes the
	// code to the log and sends nothing: demos only.
	// Optional. Default: "log".
	Kind string `mapstructure:"kind"`
	// Timeout bounds one Send, connecting to the provider included. 0 means the
	// default; a negative value is invalid.
	// Optional. Default: 5s.
	Timeout time.Duration `mapstructure:"timeout"`
	// Webhook configures kind webhook.
	Webhook WebhookConfig `mapstructure:"webhook"`
	// Twilio configures kind twilio.
	Twilio TwilioConfig `mapstructure:"twilio"`
	// Aliyun configures kind aliyun.
	Aliyun AliyunConfig `mapstructure:"aliyun"`

	// Custom, when set, is used instead of Kind, still bounded by Timeout; its errors are
	// passed through unchanged, so it classifies its outcomes itself (see ErrRefused).
	// Kind and the provider sections are then neither read nor checked.
	// Optional. Code only.
	Custom Sender `mapstructure:"-"`
	// Logger receives the log sender's output.
	// Optional. Code only. Default: slog.Default().
	Logger *slog.Logger `mapstructure:"-"`
	// HTTPClient sends the provider requests; its Transport, Jar and Timeout are used.
	// Redirects are never followed, with this client too (New uses a copy of it whose
	// CheckRedirect refuses them): a provider API does not redirect, and following one
	// would resend the message somewhere unplanned.
	// Optional. Code only. Default: a client of its own bounded by Timeout.
	HTTPClient *http.Client `mapstructure:"-"`
}

// DefaultConfig returns the log sender with a 5s timeout, and every provider section
// with its defaults filled in: Twilio's template "Your verification code is {code}.",
// phone prefix "+86" and base URL https://api.twilio.com; Alibaba Cloud's region
// cn-hangzhou and endpoint https://dysmsapi.aliyuncs.com/.
func DefaultConfig() Config {
	return Config{
		Kind:    kindLog,
		Timeout: defaultTimeout,
		Twilio:  TwilioConfig{}.withDefaults(),
		Aliyun:  AliyunConfig{}.withDefaults(),
	}
}

// Label names the sender New builds from c, as logs and metrics say it: the kind (log,
// webhook, twilio or aliyun; an empty Kind is log), or "custom" when Custom is set.
func (c Config) Label() string {
	if c.Custom != nil {
		return "custom"
	}
	return c.withDefaults().Kind
}

// withDefaults normalises Kind and fills every empty optional field with its default.
func (c Config) withDefaults() Config {
	c.Kind = strings.ToLower(strings.TrimSpace(c.Kind))
	if c.Kind == "" {
		c.Kind = kindLog
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	c.Twilio = c.Twilio.withDefaults()
	c.Aliyun = c.Aliyun.withDefaults()
	return c
}

// Validate checks the timeout, the kind and the section of the selected kind (empty
// optional fields mean their default). It reports every problem at once: the error is an
// list of one problem per bad key, wrapping ErrInvalidConfig, each naming the key, e.g.
// "sender.twilio.auth_token: required when sender.kind is twilio: set it in the file or
// in GINSMS_SENDER_TWILIO_AUTH_TOKEN". It never
// quotes a credential or a URL (which may carry a token).
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Timeout < 0 {
		errs = append(errs, configError("sender.timeout", "must be positive (or 0 for the default %v), got %v", defaultTimeout, c.Timeout))
	}
	if c.Custom == nil {
		switch c.Kind {
		case kindLog:
		case kindWebhook:
			errs = append(errs, c.Webhook.validate()...)
		case kindTwilio:
			errs = append(errs, c.Twilio.validate()...)
		case kindAliyun:
			errs = append(errs, c.Aliyun.validate()...)
		default:
			errs = append(errs, configError("sender.kind", "must be one of log, webhook, twilio, aliyun, got %q", c.Kind))
		}
	}
	return cfgerr.Join(errs...)
}

// configError is the error of one bad key.
func configError(key, format string, args ...any) error { return cfgerr.New(key, format, args...) }

// requiredError is the error of a missing key of the section of kind; it names the
// environment variable too, where a credential is best kept.
func requiredError(key, kind string) error {
	env := "GINSMS_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
	return configError(key, "required when sender.kind is %s: set it in the file or in %s", kind, env)
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
