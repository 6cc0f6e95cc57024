package captcha

import (
	"net/http"
	"strings"
	"time"

	"github.com/ginsms/ginsms/internal/cfgerr"
	"github.com/ginsms/ginsms/internal/keys"
)

// Bounds checked by Config.Validate. Within them dchest/captcha always fits the digits
// in the image (render_test.go renders every corner), so rendering cannot panic.
const (
	minLength = 1
	maxLength = 10
	minSize   = 40   // pixels, for both width and height
	maxSize   = 1000 // pixels; a 1000x1000 image is already 1 MB of pixels per request
	minTTL    = time.Second
	maxTTL    = 24 * time.Hour
)

// Config configures the captcha store and handlers. Its mapstructure tags mirror the
// `captcha:` section of config.yaml. Start from DefaultConfig and change what you need:
// a zero Config is invalid, and the "Default" of each field is DefaultConfig's value.
type Config struct {
	// Kind is the human check in front of sends: "image" (this package's digit image),
	// "altcha" (a proof of work, see Altcha), or "turnstile", "hcaptcha", "recaptcha"
	// (the provider's widget, checked with its siteverify API, see SiteVerifier).
	// Optional. Default: "image".
	Kind string `mapstructure:"kind"`
	// Altcha configures the "altcha" kind.
	Altcha AltchaConfig `mapstructure:"altcha"`
	// Turnstile, HCaptcha and Recaptcha configure the provider kinds; only the one of
	// Kind is used (and validated).
	Turnstile ProviderConfig `mapstructure:"turnstile"`
	HCaptcha  ProviderConfig `mapstructure:"hcaptcha"`
	Recaptcha ProviderConfig `mapstructure:"recaptcha"`
	// HTTPClient calls the provider kinds' siteverify APIs (each call is bounded by the
	// kind's Timeout whatever the client's own). Optional. Default: a client of its own.
	HTTPClient *http.Client `mapstructure:"-"`

	// Length is the number of digits of an answer, 1 to 10. Optional. Default: 4.
	Length int `mapstructure:"length"`
	// TTL is how long an answer lives in Redis if nobody uses it, and how long an ALTCHA
	// challenge may be solved and used, 1s to 24h. Optional. Default: 300s.
	TTL time.Duration `mapstructure:"ttl"`
	// Width of the PNG in pixels, 40 to 1000. Optional. Default: 240.
	Width int `mapstructure:"width"`
	// Height of the PNG in pixels, 40 to 1000. Optional. Default: 80.
	Height int `mapstructure:"height"`
	// Key is the Redis key template of an answer, exactly one %s (the UUID), e.g.
	// "img_{%s}" on Redis Cluster. The per-IP counter uses the same template with "ip_"
	// inserted before the %s (img_ip_<address> by default); a UUID never starts with
	// "ip_", so the two never collide. Optional. Default: "img_%s".
	Key string `mapstructure:"key"`
	// HourlyLimitPerIP caps the images and audio renderings one client address may ask
	// for per hour, counted in a fixed one-hour window that starts with its first request;
	// 0 turns the cap off. It bounds how much rendering and Redis memory one address can
	// cost. Addresses come from c.ClientIP() (IPv6 counted per /64). Optional. Default: 300.
	HourlyLimitPerIP int `mapstructure:"hourly_limit_per_ip"`
}

// DefaultConfig returns the configuration of the original service: 4 digits, 300 s,
// 240x80 pixels, key "img_%s", and at most 300 captchas per client address per hour.
func DefaultConfig() Config {
	return Config{
		Kind:             KindImage,
		Altcha:           AltchaConfig{MaxNumber: DefaultAltchaMaxNumber},
		Turnstile:        ProviderConfig{Timeout: defaultProviderTimeout},
		HCaptcha:         ProviderConfig{Timeout: defaultProviderTimeout},
		Recaptcha:        ProviderConfig{Timeout: defaultProviderTimeout},
		Length:           4,
		TTL:              300 * time.Second,
		Width:            240,
		Height:           80,
		Key:              "img_%s",
		HourlyLimitPerIP: 300,
	}
}

// Validate reports every invalid field at once. Each error names the config key, e.g.
// "captcha.length: must be 1 to 10, got 0", and wraps ErrInvalidConfig.
func (c Config) Validate() error {
	_, _, err := c.templates()
	return err
}

// templates validates c and returns the parsed answer and per-IP key templates.
func (c Config) templates() (answer, perIP keys.Template, err error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, cfgerr.New("captcha."+key, format, args...))
	}
	if c.Length < minLength || c.Length > maxLength {
		bad("length", "must be %d to %d, got %d", minLength, maxLength, c.Length)
	}
	if c.TTL < minTTL || c.TTL > maxTTL {
		bad("ttl", "must be %s to %s, got %s", minTTL, maxTTL, c.TTL)
	}
	if c.Width < minSize || c.Width > maxSize {
		bad("width", "must be %d to %d, got %d", minSize, maxSize, c.Width)
	}
	if c.Height < minSize || c.Height > maxSize {
		bad("height", "must be %d to %d, got %d", minSize, maxSize, c.Height)
	}
	errs = append(errs, c.validateKind()...)
	if c.HourlyLimitPerIP < 0 {
		bad("hourly_limit_per_ip", "must be 0 (off) or more, got %d", c.HourlyLimitPerIP)
	}
	answer, err = keys.Parse(c.Key)
	if err != nil {
		bad("key", "%v, got %q", err, c.Key)
	} else {
		i := strings.Index(c.Key, "%s")
		perIP = keys.MustParse(c.Key[:i] + "ip_" + c.Key[i:])
	}
	return answer, perIP, cfgerr.Join(errs...)
}
