package captcha_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ginsms/ginsms/captcha"
)

const key32 = "0123456789abcdef0123456789abcdef"

func TestConfigValidateKinds(t *testing.T) {
	tests := []struct {
		name string
		edit func(*captcha.Config)
		err  string // "" for valid
	}{
		{name: "empty kind is the image", edit: func(c *captcha.Config) { c.Kind = "" }},
		{name: "kind case and blanks", edit: func(c *captcha.Config) { c.Kind, c.Altcha.HMACKey = " Altcha ", key32 }},
		{name: "unknown kind", edit: func(c *captcha.Config) { c.Kind = "recaptcha2" },
			err: `captcha.kind: must be one of image, altcha, turnstile, hcaptcha, recaptcha, got "recaptcha2"`},
		{name: "altcha without key", edit: func(c *captcha.Config) { c.Kind = "altcha" },
			err: "captcha.altcha.hmac_key: must be at least 32 bytes (it is required for kind altcha), got 0"},
		{name: "altcha short key", edit: func(c *captcha.Config) { c.Kind, c.Altcha.HMACKey = "altcha", key32[1:] },
			err: "captcha.altcha.hmac_key: must be at least 32 bytes (it is required for kind altcha), got 31"},
		{name: "altcha max_number", edit: func(c *captcha.Config) { c.Kind, c.Altcha.HMACKey, c.Altcha.MaxNumber = "altcha", key32, 10 },
			err: "captcha.altcha.max_number: must be 1000 to 100000000, got 10"},
		{name: "the altcha section is not read for the image", edit: func(c *captcha.Config) { c.Altcha.MaxNumber = 0 }},
		{name: "turnstile", edit: func(c *captcha.Config) { c.Kind, c.Turnstile.Secret = "turnstile", "s" }},
		{name: "turnstile without secret", edit: func(c *captcha.Config) { c.Kind = "turnstile" },
			err: "captcha.turnstile.secret: is required for kind turnstile"},
		{name: "hcaptcha verify_url", edit: func(c *captcha.Config) {
			c.Kind, c.HCaptcha.Secret, c.HCaptcha.VerifyURL = "hcaptcha", "s", "ftp://x"
		}, err: `captcha.hcaptcha.verify_url: must be an http or https URL, got "ftp://x"`},
		{name: "recaptcha timeout", edit: func(c *captcha.Config) { c.Kind, c.Recaptcha.Secret, c.Recaptcha.Timeout = "recaptcha", "s", 0 },
			err: "captcha.recaptcha.timeout: must be 1ms to 1m0s, got 0s"},
		{name: "recaptcha min_score", edit: func(c *captcha.Config) {
			c.Kind, c.Recaptcha.Secret, c.Recaptcha.MinScore, c.Recaptcha.Action = "recaptcha", "s", 0.5, "sms"
		}},
		{name: "recaptcha min_score over 1", edit: func(c *captcha.Config) { c.Kind, c.Recaptcha.Secret, c.Recaptcha.MinScore = "recaptcha", "s", 1.5 },
			err: "captcha.recaptcha.min_score: must be 0 to 1, and 0 except for recaptcha, got 1.5"},
		{name: "min_score is reCAPTCHA's", edit: func(c *captcha.Config) { c.Kind, c.HCaptcha.Secret, c.HCaptcha.MinScore = "hcaptcha", "s", 0.5 },
			err: "captcha.hcaptcha.min_score: must be 0 to 1, and 0 except for recaptcha, got 0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := captcha.DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || err.Error() != "ginsms: invalid configuration: "+tt.err || !errors.Is(err, captcha.ErrInvalidConfig) {
				t.Fatalf("Validate = %v, want %q wrapping ErrInvalidConfig", err, tt.err)
			}
		})
	}
}

func TestProofFields(t *testing.T) {
	for kind, want := range map[string][]string{
		"image":     nil,
		"altcha":    {"altcha"},
		"turnstile": {"captcha_token", "cf-turnstile-response"},
		"hcaptcha":  {"captcha_token", "h-captcha-response"},
		"recaptcha": {"captcha_token", "g-recaptcha-response"},
	} {
		c := captcha.Config{Kind: kind}
		if got := c.ProofFields(); !slices.Equal(got, want) {
			t.Errorf("%s: ProofFields = %v, want %v", kind, got, want)
		}
	}
	if d := captcha.DefaultConfig(); d.KindName() != "image" || d.Turnstile.Timeout != 5*time.Second || d.Altcha.MaxNumber != captcha.DefaultAltchaMaxNumber {
		t.Errorf("defaults: %+v", d)
	}
}
