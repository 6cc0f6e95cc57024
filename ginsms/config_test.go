package ginsms_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ginsms/ginsms/config"
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

func TestLoadConfigFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	// The application's own keys (app, server) sit beside ginsms's and are left alone.
	yaml := "app:\n  name: shop\nsms:\n  code_length: 8\n  send_interval: 90s\nmessages:\n  4004: \"Too many requests\"\nserver:\n  trusted_proxies: [\"10.0.0.1\"]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GINSMS_REDIS_ADDR", "127.0.0.1:6399")
	t.Setenv("GINSMS_REDIS_ADDRS", "127.0.0.1:7000,127.0.0.1:7001")
	t.Setenv("GINSMS_SMS_LEGACY_STATUS", "true")
	t.Setenv("GINSMS_MESSAGES_5002", "Try again later")
	t.Setenv("GINSMS_CAPTCHA_TTL", "120s")
	t.Setenv("GINSMS_SMS_HOURLY_LIMIT_PER_IP", "0")
	cfg, err := config.LoadConfig(path, "")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"sms.code_length (file)", cfg.SMS.CodeLength, 8},
		{"sms.send_interval (file)", cfg.SMS.SendInterval, 90 * time.Second},
		{"sms.code_ttl (default)", cfg.SMS.CodeTTL, 60 * time.Second},
		{"messages (file)", cfg.Messages[4004], "Too many requests"},
		{"messages (env)", cfg.Messages[5002], "Try again later"},
		{"redis.addr (env)", cfg.Redis.Addr, "127.0.0.1:6399"},
		{"redis.addrs (env)", strings.Join(cfg.Redis.Addrs, " "), "127.0.0.1:7000 127.0.0.1:7001"},
		{"sms.legacy_status (env)", cfg.SMS.LegacyStatus, true},
		{"captcha.ttl (env)", cfg.Captcha.TTL, 120 * time.Second},
		{"sms.hourly_limit_per_ip (env)", cfg.SMS.HourlyLimitPerIP, 0},
		{"sms.daily_limit_per_phone (default)", cfg.SMS.DailyLimitPerPhone, 10},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadConfigShippedFile(t *testing.T) {
	cfg, err := config.LoadConfig("../config.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	def := ginsms.DefaultConfig()
	if cfg.SMS != def.SMS || cfg.Captcha != def.Captcha || cfg.Sender.Kind != def.Sender.Kind || cfg.Sender.Timeout != def.Sender.Timeout {
		t.Fatalf("config.yaml does not mirror DefaultConfig:\n%+v\n%+v", cfg, def)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, section string
		want                []string // every one in the error
	}{
		{"missing file", filepath.Join(dir, "nope.yaml"), "", []string{"nope.yaml"}},
		{"unknown key", write("unknown.yaml", "sms:\n  code_lenght: 6\n"), "", []string{"code_lenght"}},
		{"invalid value", write("invalid.yaml", "sms:\n  code_length: 2\n"), "", []string{"sms.code_length"}},
		{"bad duration", write("duration.yaml", "sms:\n  code_ttl: soon\n"), "", []string{"code_ttl", "60s or 5m"}},
		{"bare number for a duration", write("bare.yaml", "sms:\n  code_ttl: 60\n"), "", []string{"code_ttl", "add a unit"}},
		{"every problem at once", write("many.yaml", "sms:\n  code_length: 2\n  send_interval: 30\n  max_verify_attempts: 0\ncaptcha:\n  length: 0\n  width: 1\n"), "",
			[]string{"sms.code_length", "send_interval", "add a unit", "sms.max_verify_attempts", "captcha.length", "captcha.width"}},
		{"every missing twilio key at once", write("twilio.yaml", "sender:\n  kind: twilio\n"), "",
			[]string{"sender.twilio.account_sid", "sender.twilio.auth_token", "sender.twilio.from"}},
		{"no such section", write("app.yaml", "app:\n  name: shop\n"), "sms_verification", []string{"sms_verification"}},
		{"unknown key in a section", write("section.yaml", "sms_verification:\n  sms:\n    code_length: 6\n  smss:\n    code_length: 6\n"), "sms_verification", []string{"smss"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.LoadConfig(tt.path, tt.section)
			if err == nil {
				t.Fatalf("LoadConfig succeeded, want an error naming %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadConfig = %v, want it to name %q", err, w)
				}
			}
		})
	}
}

// The ginsms settings can live in a section of the application's own file.
func TestLoadConfigSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.yaml")
	yaml := "app:\n  name: shop\n  port: 8080\nauth:\n  sms:\n    sms:\n      code_length: 4\n    routes:\n      prefix: /api\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GINSMS_SMS_SEND_INTERVAL", "2m")
	cfg, err := config.LoadConfig(path, "auth.sms")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMS.CodeLength != 4 || cfg.Routes.Prefix != "/api" || cfg.SMS.SendInterval != 2*time.Minute || cfg.SMS.CodeTTL != 60*time.Second {
		t.Fatalf("section config = %+v %+v", cfg.SMS, cfg.Routes)
	}
}

func TestLoadConfigSenderFromEnv(t *testing.T) {
	t.Setenv("GINSMS_SENDER_KIND", "twilio")
	t.Setenv("GINSMS_SENDER_TWILIO_ACCOUNT_SID", "AC"+strings.Repeat("0", 32))
	t.Setenv("GINSMS_SENDER_TWILIO_AUTH_TOKEN", "token-from-env")
	t.Setenv("GINSMS_SENDER_TWILIO_FROM", "+15005550006")
	cfg, err := config.LoadConfig("../config.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sender.Kind != "twilio" || cfg.Sender.Twilio.AuthToken != "token-from-env" || cfg.Sender.Twilio.From != "+15005550006" {
		t.Fatalf("sender from env = %+v", cfg.Sender)
	}
	t.Setenv("GINSMS_SENDER_TWILIO_FROM", "")
	if _, err := config.LoadConfig("../config.yaml", ""); err == nil || !strings.Contains(err.Error(), "sender.twilio") {
		t.Fatalf("twilio without a sender number: %v, want an error naming sender.twilio", err)
	}
}
