package ginsms

import (
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/cfgerr"
	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
	"github.com/ginsms/ginsms/internal/keys"
	"github.com/ginsms/ginsms/middleware"
	"github.com/ginsms/ginsms/sender"
)

// Config is the whole ginsms configuration. Its mapstructure tags mirror config.yaml
// (config.Load reads it, from a file of its own or a section of the application's); the
// fields without a tag are set in code. Start from DefaultConfig.
type Config struct {
	// Redis is read by config.NewRedisClient only: the library uses the client the application
	// passes to New or Register.
	Redis   RedisConfig    `mapstructure:"redis"`
	Routes  RoutesConfig   `mapstructure:"routes"`
	Captcha captcha.Config `mapstructure:"captcha"`
	SMS     SMSConfig      `mapstructure:"sms"`
	// Destination is the guard against SMS pumping (destination.go); on by default.
	Destination DestinationConfig `mapstructure:"destination"`
	// Sender selects the SMS provider; set Sender.Custom for a provider of one's own.
	Sender sender.Config `mapstructure:"sender"`
	// Messages overrides the errormsg of contract codes, e.g. {4004: "Too many requests"}.
	// Optional. Default: the contract's texts.
	Messages map[int]string `mapstructure:"messages"`

	// Logger receives every line the Service and its default handlers write: storage
	// and provider failures, and the codes of the demo log sender. Optional. Default:
	// slog.Default().
	Logger *slog.Logger `mapstructure:"-"`
	// ErrorHandler answers a request whose storage step failed; the guard aborts the
	// chain whatever it does. Optional. Default: a line through Logger and 5002 (HTTP 503).
	ErrorHandler middleware.ErrorHandler `mapstructure:"-"`
	// Observer receives what the Service does, for metrics. Optional. Default: none.
	Observer Observer `mapstructure:"-"`
}

// RedisConfig describes the Redis to connect to (see config.NewRedisClient).
type RedisConfig struct {
	Addr       string   `mapstructure:"addr"`        // host:port of a single Redis
	Addrs      []string `mapstructure:"addrs"`       // several: a Cluster, or Sentinels with MasterName
	MasterName string   `mapstructure:"master_name"` // Sentinel master name
	Cluster    bool     `mapstructure:"cluster"`     // a Cluster reached through one seed address
	Username   string   `mapstructure:"username"`
	Password   string   `mapstructure:"password"`
	DB         int      `mapstructure:"db"`
}

// RoutesConfig places the routes and says what they read and answer.
type RoutesConfig struct {
	Prefix string `mapstructure:"prefix"` // Optional. Default: "" (routes at the router's root)
	// Dialect lets a front end written against another backend work unchanged: "ginsms"
	// (the contract), "meiduo" or "drf" (README "Keeping an existing front end"). It
	// presets Fields and Answer; what they set themselves takes its place. Optional.
	// Default: "ginsms".
	Dialect string `mapstructure:"dialect"`
	// Language picks the message set: "zh" (the contract's texts), "en" (English), or
	// "auto" (per request: Chinese when Accept-Language prefers it, else English).
	// Messages override either. Optional. Default: "zh".
	Language string `mapstructure:"language"`
	// Fields lists more names each input is read from, after its own name, e.g.
	// imgcode: [image_code]. Optional. Default: the dialect's.
	Fields middleware.FieldAliases `mapstructure:"fields"`
	// Answer shapes the JSON answers. Optional. Default: the dialect's.
	Answer middleware.Answer `mapstructure:"answer"`
}

// SMSConfig configures codes, the send interval and the quotas.
type SMSConfig struct {
	// PhonePattern is the regular expression a phone must match, exactly as sent.
	// Optional. Default: `^1[3-9]\d{9}$`. For E.164 numbers: `^\+[1-9]\d{6,14}$`.
	PhonePattern      string        `mapstructure:"phone_pattern"`
	CodeLength        int           `mapstructure:"code_length"`         // Default: 6 (4 to 10)
	CodeTTL           time.Duration `mapstructure:"code_ttl"`            // Default: 60s
	SendInterval      time.Duration `mapstructure:"send_interval"`       // Default: 60s
	MaxVerifyAttempts int           `mapstructure:"max_verify_attempts"` // Default: 5
	// Quotas; 0 switches one off. Each window starts with its first count and its counter
	// expires with it.
	DailyLimitPerPhone int `mapstructure:"daily_limit_per_phone"` // Default: 10
	HourlyLimitPerIP   int `mapstructure:"hourly_limit_per_ip"`   // Default: 30
	DailyLimitTotal    int `mapstructure:"daily_limit_total"`     // Default: 0 (off)
	// HourlyVerifyLimitPerIP caps the verify tries from one client address (IPv6: its
	// /64) per hour. Default: 1000, high enough for carrier NAT, where thousands of users
	// share one IPv4 address.
	HourlyVerifyLimitPerIP int    `mapstructure:"hourly_verify_limit_per_ip"`
	Key                    string `mapstructure:"key"`      // Default: "sms_%s"
	FlagKey                string `mapstructure:"flag_key"` // Default: "is_send_%s"
	// ReplicaAcks, when not 0, makes a stored code wait for that many replicas to hold
	// it (WAIT) before the SMS goes out. Set to the number of replicas of each primary, a
	// failover cannot forget a send and let a second SMS through inside the interval;
	// fewer do not keep that promise (a replica that is not promoted may have acknowledged
	// the write, then resyncs from the one that is). A write not acknowledged within
	// ReplicaAckTimeout is answered 5002, no SMS sent: its flag and code are taken back
	// (the phone may try again at once) and its quota counts kept, since a failover may
	// have lost the write and a give-back would credit what the new primary never
	// counted. Default: 0 (off).
	ReplicaAcks int `mapstructure:"replica_acks"`
	// ReplicaAckTimeout bounds the wait for ReplicaAcks. Default: 100ms.
	ReplicaAckTimeout time.Duration `mapstructure:"replica_ack_timeout"`
	// LegacyStatus answers every outcome with HTTP 200, as the original service did.
	LegacyStatus bool `mapstructure:"legacy_status"`
}

// DefaultConfig returns the contract's defaults.
func DefaultConfig() Config {
	return Config{
		Redis:   RedisConfig{Addrs: []string{}},
		Routes:  RoutesConfig{Dialect: "ginsms", Language: contract.LanguageChinese},
		Captcha: captcha.DefaultConfig(),
		SMS: SMSConfig{
			PhonePattern:           input.DefaultPhonePattern,
			CodeLength:             6,
			CodeTTL:                60 * time.Second,
			SendInterval:           60 * time.Second,
			MaxVerifyAttempts:      5,
			DailyLimitPerPhone:     10,
			HourlyLimitPerIP:       30,
			HourlyVerifyLimitPerIP: 1000,
			ReplicaAckTimeout:      100 * time.Millisecond,
			Key:                    "sms_%s",
			FlagKey:                "is_send_%s",
		},
		Destination: DefaultDestinationConfig(),
		Sender:      sender.DefaultConfig(),
		Messages:    map[int]string{},
	}
}

// Validate checks every setting the library uses and reports every problem at once,
// each naming its key.
func (c Config) Validate() error {
	var errs []error
	if p := c.Routes.Prefix; p != "" && (!strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/")) {
		errs = append(errs, configError("routes.prefix", "must start with / and not end with / (or be empty), got %q", p))
	}
	errs = append(errs, c.Routes.validate()...)
	errs = append(errs, c.Captcha.Validate())
	errs = append(errs, c.SMS.validate()...)
	if c.SMS.Key != c.SMS.FlagKey {
		errs = append(errs, c.keysApart())
	}
	errs = append(errs, c.Destination.validate(c.SMS)...)
	errs = append(errs, c.Sender.Validate())
	for code := range c.Messages {
		if contract.Code(code).DefaultText() == "" {
			errs = append(errs, configError("messages", "%d is not a contract code", code))
		}
	}
	return cfgerr.Join(errs...)
}

func (s SMSConfig) validate() []error {
	var errs []error
	if s.PhonePattern == "" {
		errs = append(errs, configError("sms.phone_pattern", "must be a regular expression such as %q, got \"\"", input.DefaultPhonePattern))
	} else if _, err := regexp.Compile(s.PhonePattern); err != nil {
		errs = append(errs, configError("sms.phone_pattern", "%q is not a valid regular expression: %v", s.PhonePattern, err))
	}
	errs = append(errs, boundProblems([]bound{
		{"sms.code_length", s.CodeLength < 4 || s.CodeLength > 10, "4 to 10", s.CodeLength},
		{"sms.code_ttl", s.CodeTTL < time.Second, "at least 1s", s.CodeTTL},
		{"sms.send_interval", s.SendInterval < time.Second, "at least 1s", s.SendInterval},
		{"sms.max_verify_attempts", s.MaxVerifyAttempts < 1, "at least 1", s.MaxVerifyAttempts},
		{"sms.daily_limit_per_phone", s.DailyLimitPerPhone < 0, "0 (off) or more", s.DailyLimitPerPhone},
		{"sms.hourly_limit_per_ip", s.HourlyLimitPerIP < 0, "0 (off) or more", s.HourlyLimitPerIP},
		{"sms.daily_limit_total", s.DailyLimitTotal < 0, "0 (off) or more", s.DailyLimitTotal},
		{"sms.hourly_verify_limit_per_ip", s.HourlyVerifyLimitPerIP < 0, "0 (off) or more", s.HourlyVerifyLimitPerIP},
		{"sms.replica_acks", s.ReplicaAcks < 0, "0 (off) or more", s.ReplicaAcks},
		{"sms.replica_ack_timeout", s.ReplicaAcks > 0 && (s.ReplicaAckTimeout < time.Millisecond || s.ReplicaAckTimeout > 10*time.Second), "1ms to 10s", s.ReplicaAckTimeout},
	})...)
	for _, t := range []struct{ key, tmpl string }{{"sms.key", s.Key}, {"sms.flag_key", s.FlagKey}} {
		if _, err := keys.Parse(t.tmpl); err != nil {
			errs = append(errs, configError(t.key, "%v, got %q", err, t.tmpl))
		}
	}
	if s.Key == s.FlagKey {
		errs = append(errs, configError("sms.flag_key", "must differ from sms.key, both are %q", s.Key))
	}
	return errs
}

// keysApart refuses templates under which two of the Service's keys could coincide.
func (c Config) keysApart() error {
	families, err := keyFamilies(c.SMS, c.Captcha.Key)
	if err != nil {
		return nil // a template that does not parse is reported by its own check
	}
	if err := keys.Collision(families); err != nil {
		return configError("sms.key", "%v: give each template a text of its own", err)
	}
	return nil
}

// bound is one setting's range check: bad says the value is out of range, want names the
// range in the words of the error.
type bound struct {
	key  string
	bad  bool
	want string
	got  any
}

// boundProblems is one "must be ..." problem per bound out of range.
func boundProblems(bounds []bound) []error {
	var errs []error
	for _, b := range bounds {
		if b.bad {
			errs = append(errs, configError(b.key, "must be %s, got %v", b.want, b.got))
		}
	}
	return errs
}

func configError(key, format string, args ...any) error { return cfgerr.New(key, format, args...) }
