package config_test

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

func TestLoadFileAndEnv(t *testing.T) {
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
	cfg, err := config.Load(path, "")
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

func TestLoadShippedFile(t *testing.T) {
	cfg, err := config.Load("../config.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	def := ginsms.DefaultConfig()
	if cfg.SMS != def.SMS || cfg.Captcha != def.Captcha || cfg.Sender.Kind != def.Sender.Kind || cfg.Sender.Timeout != def.Sender.Timeout {
		t.Fatalf("config.yaml does not mirror DefaultConfig:\n%+v\n%+v", cfg, def)
	}
}

func TestLoadErrors(t *testing.T) {
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
		{"unknown key in a section", write("section.yaml", "sms_verification:\n  sms:\n    code_length: 6\n  smss:\n    code_length: 6\n"), "sms_verification",
			[]string{"sms_verification.smss: unknown key; did you mean sms_verification.sms?"}},
		// Every problem by its full path in the file, not relative to the section.
		{"nested twice", write("twice.yaml", "sms:\n  sms:\n    code_ttl: 60\n"), "sms", []string{"sms.sms.code_ttl: 60 is a bare number"}},
		{"typo with a suggestion", write("typo.yaml", "sms:\n  code_lenght: 6\n"), "", []string{"sms.code_lenght: unknown key; did you mean sms.code_length?"}},
		{"typo in a section", write("typo2.yaml", "auth:\n  sendr:\n    kind: log\n  sms:\n    code_lenght: 6\n"), "auth",
			[]string{"auth.sendr: unknown key; did you mean auth.sender?", "auth.sms.code_lenght: unknown key; did you mean auth.sms.code_length?"}},
		{"an app file read at its top level", write("app2.yaml", "app:\n  name: shop\nsms_verification:\n  sms:\n    code_length: 6\n"), "",
			[]string{"sms_verification: holds ginsms settings", `"sms_verification")`}},
		{"phone pattern with the compiler's reason", write("pattern.yaml", "sms:\n  phone_pattern: '^1[3-9'\n"), "", []string{"sms.phone_pattern", "missing closing ]"}},
		{"a secret names its variable", write("twilio2.yaml", "sender:\n  kind: twilio\n"), "", []string{"GINSMS_SENDER_TWILIO_AUTH_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(tt.path, tt.section)
			if !errors.Is(err, ginsms.ErrInvalidConfig) {
				t.Fatalf("Load = %v, want an error wrapping ErrInvalidConfig naming %q", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load = %v, want it to name %q", err, w)
				}
			}
		})
	}
}

// The ginsms settings can live in a section of the application's own file.
func TestLoadSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.yaml")
	yaml := "app:\n  name: shop\n  port: 8080\nauth:\n  sms:\n    sms:\n      code_length: 4\n    routes:\n      prefix: /api\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GINSMS_SMS_SEND_INTERVAL", "2m")
	cfg, err := config.Load(path, "auth.sms")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMS.CodeLength != 4 || cfg.Routes.Prefix != "/api" || cfg.SMS.SendInterval != 2*time.Minute || cfg.SMS.CodeTTL != 60*time.Second {
		t.Fatalf("section config = %+v %+v", cfg.SMS, cfg.Routes)
	}
}

func TestLoadSenderFromEnv(t *testing.T) {
	t.Setenv("GINSMS_SENDER_KIND", "twilio")
	t.Setenv("GINSMS_SENDER_TWILIO_ACCOUNT_SID", "AC"+strings.Repeat("0", 32))
	t.Setenv("GINSMS_SENDER_TWILIO_AUTH_TOKEN", "token-from-env")
	t.Setenv("GINSMS_SENDER_TWILIO_FROM", "+15005550006")
	cfg, err := config.Load("../config.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sender.Kind != "twilio" || cfg.Sender.Twilio.AuthToken != "token-from-env" || cfg.Sender.Twilio.From != "+15005550006" {
		t.Fatalf("sender from env = %+v", cfg.Sender)
	}
	t.Setenv("GINSMS_SENDER_TWILIO_FROM", "")
	if _, err := config.Load("../config.yaml", ""); err == nil || !strings.Contains(err.Error(), "sender.twilio") {
		t.Fatalf("twilio without a sender number: %v, want an error naming sender.twilio", err)
	}
}

// The destination section from a file, a map of test numbers included, and from the
// environment.
func TestLoadDestination(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	yaml := "destination:\n  deny_countries: [NG]\n  test_numbers: { \"13700000001\": \"246810\" }\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GINSMS_DESTINATION_RANGE_LIMIT", "7")
	cfg, err := config.Load(path, "")
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Destination
	if !d.Enabled || d.RangeLimit != 7 || len(d.DenyCountries) != 1 || d.DenyCountries[0] != "NG" ||
		d.TestNumbers["13700000001"] != "246810" || d.Block != 12*time.Hour {
		t.Fatalf("destination = %+v", d)
	}
}
