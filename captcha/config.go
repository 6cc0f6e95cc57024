package captcha

import (
	"fmt"
	"strings"
	"time"

	"github.com/ginsms/ginsms/internal/keys"
)

// Bounds checked by Config.Validate. Within them dchest/captcha always fits the digits
// in the image (render_test.go renders every corner), so rendering cannot panic.
const (
	MinLength = 1
	MaxLength = 10
	MinSize   = 40   // pixels, for both width and height
	MaxSize   = 1000 // pixels; a 1000x1000 image is already 1 MB of pixels per request
	MinTTL    = time.Second
	MaxTTL    = 24 * time.Hour
)

// Config configures the captcha store and handlers. Its mapstructure tags mirror the
// `captcha:` section of config.yaml. Start from DefaultConfig and change what you need:
// a zero Config is invalid, and the "Default" of each field is DefaultConfig's value.
type Config struct {
	// Length is the number of digits of an answer, MinLength to MaxLength. Optional. Default: 4.
	Length int `mapstructure:"length"`
	// TTL is how long an answer lives in Redis if nobody uses it, MinTTL to MaxTTL.
	// Optional. Default: 300s.
	TTL time.Duration `mapstructure:"ttl"`
	// Width of the PNG in pixels, MinSize to MaxSize. Optional. Default: 240.
	Width int `mapstructure:"width"`
	// Height of the PNG in pixels, MinSize to MaxSize. Optional. Default: 80.
	Height int `mapstructure:"height"`
	// Key is the Redis key template of an answer, exactly one %s (the UUID), e.g.
	// "img_{%s}" on Redis Cluster. The per-IP counter uses the same template with "ip_"
	// inserted before the %s (img_ip_<address> by default); a UUID never starts with
	// "ip_", so the two never collide. Optional. Default: "img_%s".
	Key string `mapstructure:"key"`
	// HourlyLimitPerIP caps the captchas one client address may create per hour, counted
	// in a fixed one-hour window that starts with its first captcha; 0 turns the cap off.
	// It bounds how much rendering and Redis memory one address can cost. Addresses come
	// from middleware.ClientIP (IPv6 counted per /64). Optional. Default: 300.
	HourlyLimitPerIP int `mapstructure:"hourly_limit_per_ip"`
}

// DefaultConfig returns the configuration of the original service: 4 digits, 300 s,
// 240x80 pixels, key "img_%s", and at most 300 captchas per client address per hour.
func DefaultConfig() Config {
	return Config{
		Length:           4,
		TTL:              300 * time.Second,
		Width:            240,
		Height:           80,
		Key:              "img_%s",
		HourlyLimitPerIP: 300,
	}
}

// Validate reports the first invalid field. The error names the config key, e.g.
// "captcha.length: must be 1 to 10, got 0", and wraps ErrInvalidConfig.
func (c Config) Validate() error {
	_, _, err := c.templates()
	return err
}

// templates validates c and returns the parsed answer and per-IP key templates.
func (c Config) templates() (answer, perIP keys.Template, err error) {
	bad := func(key, format string, args ...any) error {
		return configError("captcha." + key + ": " + fmt.Sprintf(format, args...))
	}
	switch {
	case c.Length < MinLength || c.Length > MaxLength:
		return answer, perIP, bad("length", "must be %d to %d, got %d", MinLength, MaxLength, c.Length)
	case c.TTL < MinTTL || c.TTL > MaxTTL:
		return answer, perIP, bad("ttl", "must be %s to %s, got %s", MinTTL, MaxTTL, c.TTL)
	case c.Width < MinSize || c.Width > MaxSize:
		return answer, perIP, bad("width", "must be %d to %d, got %d", MinSize, MaxSize, c.Width)
	case c.Height < MinSize || c.Height > MaxSize:
		return answer, perIP, bad("height", "must be %d to %d, got %d", MinSize, MaxSize, c.Height)
	case c.HourlyLimitPerIP < 0:
		return answer, perIP, bad("hourly_limit_per_ip", "must be 0 (off) or more, got %d", c.HourlyLimitPerIP)
	}
	if answer, err = keys.Parse(c.Key); err != nil {
		return answer, perIP, bad("key", "%v, got %q", err, c.Key)
	}
	i := strings.Index(c.Key, "%s")
	if perIP, err = keys.Parse(c.Key[:i] + "ip_" + c.Key[i:]); err != nil {
		return answer, perIP, bad("key", "%v, got %q", err, c.Key) // unreachable: same text
	}
	return answer, perIP, nil
}

// configError is a message naming the config key; it unwraps to ErrInvalidConfig, so the
// text reads "captcha.length: must be 1 to 10, got 0" without a redundant prefix.
type configError string

func (e configError) Error() string { return string(e) }
func (e configError) Unwrap() error { return ErrInvalidConfig }
