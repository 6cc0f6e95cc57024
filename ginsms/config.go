package ginsms

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/keys"
	"github.com/ginsms/ginsms/middleware"
)

// Config is the whole ginsms configuration; its mapstructure tags mirror config.yaml.
// Start from DefaultConfig; LoadConfig reads it from a file and GINSMS_* variables.
type Config struct {
	// Server is read by the example server only.
	Server ServerConfig `mapstructure:"server"`
	// Redis is read by NewRedisClient and the example server; the library itself uses the
	// client the application passes in.
	Redis    RedisConfig    `mapstructure:"redis"`
	Routes   RoutesConfig   `mapstructure:"routes"`
	Captcha  captcha.Config `mapstructure:"captcha"`
	SMS      SMSConfig      `mapstructure:"sms"`
	Sender   SenderConfig   `mapstructure:"sender"`
	Messages map[int]string `mapstructure:"messages"` // errormsg per code, overriding the contract's texts
	// Demo enables the example server's demo phone (messages shown in the page). Example only.
	Demo bool `mapstructure:"demo"`
}

// ServerConfig configures the example server.
type ServerConfig struct {
	Addr string `mapstructure:"addr"` // Optional. Default: ":8080"
	// TrustedProxies are the proxies whose X-Forwarded-For is believed when the client IP
	// is taken for per-IP quotas. Optional. Default: none, so a forged header changes nothing.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
}

// RedisConfig describes the Redis to connect to (see NewRedisClient).
type RedisConfig struct {
	Addr       string   `mapstructure:"addr"`        // host:port; "" = the example's embedded Redis
	Addrs      []string `mapstructure:"addrs"`       // several: a Cluster, or Sentinels with MasterName
	MasterName string   `mapstructure:"master_name"` // Sentinel master name
	Username   string   `mapstructure:"username"`
	Password   string   `mapstructure:"password"`
	DB         int      `mapstructure:"db"`
}

// RoutesConfig places the routes.
type RoutesConfig struct {
	Prefix string `mapstructure:"prefix"` // Optional. Default: "" (routes at the router's root)
}

// SMSConfig configures codes, the send interval and the quotas.
type SMSConfig struct {
	PhonePattern      string        `mapstructure:"phone_pattern"`       // Default: middleware.DefaultPhonePattern
	CodeLength        int           `mapstructure:"code_length"`         // Default: 6 (4 to 10)
	CodeTTL           time.Duration `mapstructure:"code_ttl"`            // Default: 60s
	SendInterval      time.Duration `mapstructure:"send_interval"`       // Default: 60s
	MaxVerifyAttempts int           `mapstructure:"max_verify_attempts"` // Default: 5
	// Quotas; 0 switches one off. Each window starts with its first send and its counter
	// expires with it.
	DailyLimitPerPhone int    `mapstructure:"daily_limit_per_phone"` // Default: 10
	HourlyLimitPerIP   int    `mapstructure:"hourly_limit_per_ip"`   // Default: 30
	DailyLimitTotal    int    `mapstructure:"daily_limit_total"`     // Default: 0 (off)
	Key                string `mapstructure:"key"`                   // Default: "sms_%s"
	FlagKey            string `mapstructure:"flag_key"`              // Default: "is_send_%s"
	// LegacyStatus answers every outcome with HTTP 200, as the original service did.
	LegacyStatus bool `mapstructure:"legacy_status"`
}

// DefaultConfig returns the contract's defaults.
func DefaultConfig() Config {
	return Config{
		Server:  ServerConfig{Addr: ":8080", TrustedProxies: []string{}},
		Redis:   RedisConfig{Addrs: []string{}},
		Captcha: captcha.DefaultConfig(),
		SMS: SMSConfig{
			PhonePattern:       middleware.DefaultPhonePattern,
			CodeLength:         6,
			CodeTTL:            60 * time.Second,
			SendInterval:       60 * time.Second,
			MaxVerifyAttempts:  5,
			DailyLimitPerPhone: 10,
			HourlyLimitPerIP:   30,
			Key:                "sms_%s",
			FlagKey:            "is_send_%s",
		},
		Sender:   DefaultSenderConfig(),
		Messages: map[int]string{},
	}
}

// Validate checks every setting the library uses and names the first bad key.
func (c Config) Validate() error {
	if p := c.Routes.Prefix; p != "" && (!strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/")) {
		return configError("routes.prefix", "must start with / and not end with / (or be empty), got %q", p)
	}
	if err := c.Captcha.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if err := c.SMS.validate(); err != nil {
		return err
	}
	if err := c.Sender.Validate(); err != nil {
		return err
	}
	for code := range c.Messages {
		if middleware.Code(code).DefaultText() == "" {
			return configError("messages", "%d is not a contract code", code)
		}
	}
	return nil
}

func (s SMSConfig) validate() error {
	if _, err := regexp.Compile(s.PhonePattern); err != nil || s.PhonePattern == "" {
		return configError("sms.phone_pattern", "must be a valid regular expression, got %q", s.PhonePattern)
	}
	checks := []struct {
		key  string
		bad  bool
		want string
		got  any
	}{
		{"sms.code_length", s.CodeLength < 4 || s.CodeLength > 10, "4 to 10", s.CodeLength},
		{"sms.code_ttl", s.CodeTTL < time.Second, "at least 1s", s.CodeTTL},
		{"sms.send_interval", s.SendInterval < time.Second, "at least 1s", s.SendInterval},
		{"sms.max_verify_attempts", s.MaxVerifyAttempts < 1, "at least 1", s.MaxVerifyAttempts},
		{"sms.daily_limit_per_phone", s.DailyLimitPerPhone < 0, "0 (off) or more", s.DailyLimitPerPhone},
		{"sms.hourly_limit_per_ip", s.HourlyLimitPerIP < 0, "0 (off) or more", s.HourlyLimitPerIP},
		{"sms.daily_limit_total", s.DailyLimitTotal < 0, "0 (off) or more", s.DailyLimitTotal},
	}
	for _, ch := range checks {
		if ch.bad {
			return configError(ch.key, "must be %s, got %v", ch.want, ch.got)
		}
	}
	for _, t := range []struct{ key, tmpl string }{{"sms.key", s.Key}, {"sms.flag_key", s.FlagKey}} {
		if _, err := keys.Parse(t.tmpl); err != nil {
			return configError(t.key, "%v, got %q", err, t.tmpl)
		}
	}
	if s.Key == s.FlagKey {
		return configError("sms.flag_key", "must differ from sms.key, both are %q", s.Key)
	}
	return nil
}

func configError(key, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, key, fmt.Sprintf(format, args...))
}
