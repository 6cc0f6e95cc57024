package captcha

import (
	"net/url"
	"strings"
	"time"

	"github.com/ginsms/ginsms/internal/cfgerr"
)

// The kinds of human check (Config.Kind).
const (
	KindImage     = "image"
	KindAltcha    = "altcha"
	KindTurnstile = "turnstile"
	KindHCaptcha  = "hcaptcha"
	KindRecaptcha = "recaptcha"
)

// DefaultAltchaMaxNumber is the default AltchaConfig.MaxNumber. The secret number is
// drawn uniformly from 0 to it, so a solver hashes half of it on average. Measured on a
// busy 2-core machine: the widget in headless Chromium took 0.5 to 4.1 s (two runs of 5
// solves, means 1.2 and 2.0 s; the widget waits 0.5 s at least), a native Go solver
// about 6 ms of CPU per challenge (README "Human checks").
const DefaultAltchaMaxNumber = 100_000

// Bounds checked by Config.Validate.
const (
	minAltchaMaxNumber     = 1_000
	maxAltchaMaxNumber     = 100_000_000
	minAltchaKeyLen        = 32
	defaultProviderTimeout = 5 * time.Second
)

// AltchaConfig configures the "altcha" kind: a proof of work for the ALTCHA widget (npm
// altcha), whose challenges are valid for Config.TTL.
type AltchaConfig struct {
	// HMACKey signs the challenges, at least 32 bytes; whoever knows it can mint
	// challenges of no work, so keep it out of config files (GINSMS_CAPTCHA_ALTCHA_HMAC_KEY).
	// Required for the kind.
	HMACKey string `mapstructure:"hmac_key"`
	// MaxNumber bounds the secret number of a challenge, 1000 to 100,000,000: the work
	// is about MaxNumber/2 SHA-256 hashes on average. Optional. Default:
	// DefaultAltchaMaxNumber.
	MaxNumber int `mapstructure:"max_number"`
}

// ProviderConfig configures a provider kind: "turnstile", "hcaptcha" or "recaptcha".
type ProviderConfig struct {
	// Secret is the site's secret key at the provider. Required for the kind.
	Secret string `mapstructure:"secret"`
	// SiteKey is the site's public key: hCaptcha checks that the token was made for it
	// (field sitekey), and a page shows the widget with it. Optional.
	SiteKey string `mapstructure:"site_key"`
	// VerifyURL is the siteverify endpoint. Optional. Default: the provider's own
	// (a mirror such as https://www.recaptcha.net/recaptcha/api/siteverify works too).
	VerifyURL string `mapstructure:"verify_url"`
	// Hostname, when set, must be the hostname the provider says the widget ran on.
	// Optional.
	Hostname string `mapstructure:"hostname"`
	// Action, when set, must be the action the provider reports (reCAPTCHA v3 and
	// Turnstile report the one the page gave the widget). Optional.
	Action string `mapstructure:"action"`
	// MinScore, when above 0, is the lowest reCAPTCHA v3 score accepted (0 to 1); a
	// token without a score is refused then. reCAPTCHA only. Optional. Default: 0 (off).
	MinScore float64 `mapstructure:"min_score"`
	// Timeout bounds a siteverify call, 1ms to 60s; past it the check is undecided and
	// answered 5003. Optional. Default: 5s.
	Timeout time.Duration `mapstructure:"timeout"`
}

// defaultVerifyURL is each provider's documented siteverify endpoint.
var defaultVerifyURL = map[string]string{
	KindTurnstile: "https://challenges.cloudflare.com/turnstile/v0/siteverify",
	KindHCaptcha:  "https://api.hcaptcha.com/siteverify",
	KindRecaptcha: "https://www.google.com/recaptcha/api/siteverify",
}

// proofFields are the request fields each kind's proof comes in, in the order read: a
// neutral name first, then the field the provider's widget puts in a form itself.
var proofFields = map[string][]string{
	KindAltcha:    {"altcha"},
	KindTurnstile: {"captcha_token", "cf-turnstile-response"},
	KindHCaptcha:  {"captcha_token", "h-captcha-response"},
	KindRecaptcha: {"captcha_token", "g-recaptcha-response"},
}

// kind is c.Kind, blanks and case ignored, "" meaning image.
func (c Config) kind() string {
	k := strings.ToLower(strings.TrimSpace(c.Kind))
	if k == "" {
		return KindImage
	}
	return k
}

// KindName is Kind as the library reads it: "image" when empty, lower case.
func (c Config) KindName() string { return c.kind() }

// ProofFields returns the request fields that carry the proof of the configured kind, in
// the order they are read (for middleware.Config.ProofFields); nil for the image, whose
// inputs are uuid and imgcode.
func (c Config) ProofFields() []string { return proofFields[c.kind()] }

// provider returns the configuration of a provider kind and whether the kind is one.
func (c Config) provider() (ProviderConfig, bool) {
	switch c.kind() {
	case KindTurnstile:
		return c.Turnstile, true
	case KindHCaptcha:
		return c.HCaptcha, true
	case KindRecaptcha:
		return c.Recaptcha, true
	}
	return ProviderConfig{}, false
}

// validateKind checks the kind and the section of the kind (only that one).
func (c Config) validateKind() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, cfgerr.New("captcha."+key, format, args...))
	}
	kind := c.kind()
	switch kind {
	case KindImage:
	case KindAltcha:
		if len(c.Altcha.HMACKey) < minAltchaKeyLen {
			bad("altcha.hmac_key", "must be at least %d bytes (it is required for kind altcha), got %d", minAltchaKeyLen, len(c.Altcha.HMACKey))
		}
		if n := c.Altcha.MaxNumber; n < minAltchaMaxNumber || n > maxAltchaMaxNumber {
			bad("altcha.max_number", "must be %d to %d, got %d", minAltchaMaxNumber, maxAltchaMaxNumber, n)
		}
	case KindTurnstile, KindHCaptcha, KindRecaptcha:
		p, _ := c.provider()
		if strings.TrimSpace(p.Secret) == "" {
			bad(kind+".secret", "is required for kind %s", kind)
		}
		if p.VerifyURL != "" {
			if u, err := url.Parse(p.VerifyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad(kind+".verify_url", "must be an http or https URL, got %q", p.VerifyURL)
			}
		}
		if p.Timeout < time.Millisecond || p.Timeout > time.Minute {
			bad(kind+".timeout", "must be 1ms to 1m0s, got %s", p.Timeout)
		}
		if p.MinScore < 0 || p.MinScore > 1 || (p.MinScore > 0 && kind != KindRecaptcha) {
			bad(kind+".min_score", "must be 0 to 1, and 0 except for recaptcha, got %v", p.MinScore)
		}
	default:
		bad("kind", "must be one of image, altcha, turnstile, hcaptcha, recaptcha, got %q", c.Kind)
	}
	return errs
}
