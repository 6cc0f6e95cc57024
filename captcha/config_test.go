package captcha_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ginsms/ginsms/captcha"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*captcha.Config)
		err  string // "" for valid
	}{
		{name: "defaults", edit: func(*captcha.Config) {}},
		{name: "limit off", edit: func(c *captcha.Config) { c.HourlyLimitPerIP = 0 }},
		{name: "hash tag", edit: func(c *captcha.Config) { c.Key = "img_{%s}" }},
		{name: "bounds", edit: func(c *captcha.Config) {
			c.Length, c.TTL, c.Width, c.Height = 10, time.Second, 40, 1000
		}},
		{name: "length 0", edit: func(c *captcha.Config) { c.Length = 0 }, err: "captcha.length: must be 1 to 10, got 0"},
		{name: "length 11", edit: func(c *captcha.Config) { c.Length = 11 }, err: "captcha.length: must be 1 to 10, got 11"},
		{name: "ttl 0", edit: func(c *captcha.Config) { c.TTL = 0 }, err: "captcha.ttl: must be 1s to 24h0m0s, got 0s"},
		{name: "ttl 2 days", edit: func(c *captcha.Config) { c.TTL = 48 * time.Hour }, err: "captcha.ttl: must be 1s to 24h0m0s, got 48h0m0s"},
		{name: "width", edit: func(c *captcha.Config) { c.Width = 39 }, err: "captcha.width: must be 40 to 1000, got 39"},
		{name: "height", edit: func(c *captcha.Config) { c.Height = 1001 }, err: "captcha.height: must be 40 to 1000, got 1001"},
		{name: "negative limit", edit: func(c *captcha.Config) { c.HourlyLimitPerIP = -1 }, err: "captcha.hourly_limit_per_ip: must be 0 (off) or more, got -1"},
		{name: "key without verb", edit: func(c *captcha.Config) { c.Key = "img_" },
			err: `captcha.key: key template must contain exactly one %s and no other % verb, got "img_"`},
		{name: "key with two verbs", edit: func(c *captcha.Config) { c.Key = "img_%s_%s" },
			err: `captcha.key: key template must contain exactly one %s and no other % verb, got "img_%s_%s"`},
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
			if err == nil || err.Error() != "ginsms: invalid configuration: "+tt.err {
				t.Fatalf("Validate = %v, want %q", err, tt.err)
			}
			if !errors.Is(err, captcha.ErrInvalidConfig) {
				t.Errorf("%v does not wrap ErrInvalidConfig", err)
			}
		})
	}
}
