package ginsms_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ginsms/ginsms/ginsms"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*ginsms.Config)
		wantKey string // "" = valid
	}{
		{"defaults", func(*ginsms.Config) {}, ""},
		{"hash-tagged templates", func(c *ginsms.Config) { c.SMS.Key, c.SMS.FlagKey = "sms_{%s}", "is_send_{%s}" }, ""},
		{"bad pattern", func(c *ginsms.Config) { c.SMS.PhonePattern = "([" }, "sms.phone_pattern"},
		{"code length", func(c *ginsms.Config) { c.SMS.CodeLength = 11 }, "sms.code_length"},
		{"code ttl", func(c *ginsms.Config) { c.SMS.CodeTTL = 0 }, "sms.code_ttl"},
		{"interval", func(c *ginsms.Config) { c.SMS.SendInterval = time.Millisecond }, "sms.send_interval"},
		{"attempts", func(c *ginsms.Config) { c.SMS.MaxVerifyAttempts = 0 }, "sms.max_verify_attempts"},
		{"negative quota", func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = -1 }, "sms.hourly_limit_per_ip"},
		{"key without %s", func(c *ginsms.Config) { c.SMS.Key = "sms_" }, "sms.key"},
		{"flag key with two verbs", func(c *ginsms.Config) { c.SMS.FlagKey = "%s_%s" }, "sms.flag_key"},
		{"same templates", func(c *ginsms.Config) { c.SMS.FlagKey = c.SMS.Key }, "sms.flag_key"},
		{"prefix", func(c *ginsms.Config) { c.Routes.Prefix = "api" }, "routes.prefix"},
		{"unknown message code", func(c *ginsms.Config) { c.Messages = map[int]string{4999: "x"} }, "messages"},
		{"captcha", func(c *ginsms.Config) { c.Captcha.Length = 0 }, "captcha.length"},
		{"sender kind", func(c *ginsms.Config) { c.Sender.Kind = "pigeon" }, "sender.kind"},
		{"verify quota", func(c *ginsms.Config) { c.SMS.HourlyVerifyLimitPerIP = -1 }, "sms.hourly_verify_limit_per_ip"},
		{"range digits", func(c *ginsms.Config) { c.Destination.RangeDigits = 0 }, "destination.range_digits"},
		{"range limit", func(c *ginsms.Config) { c.Destination.RangeLimit = -1 }, "destination.range_limit"},
		{"block", func(c *ginsms.Config) { c.Destination.Block = 0 }, "destination.block"},
		{"home country", func(c *ginsms.Config) { c.Destination.HomeCountry = "China" }, "destination.home_country"},
		{"deny country", func(c *ginsms.Config) { c.Destination.DenyCountries = []string{"ng"} }, "destination.deny_countries"},
		{"number type", func(c *ginsms.Config) { c.Destination.DenyTypes = []string{"satellite"} }, "destination.deny_types"},
		{"guard off needs no window", func(c *ginsms.Config) { c.Destination.Enabled, c.Destination.Window = false, 0 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ginsms.DefaultConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig naming %s", err, tt.wantKey)
			}
		})
	}
}
