package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/viper"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/sender"
)

// envPrefix prefixes the environment variables that override config keys: the key's path
// in upper case with "_" for ".", e.g. GINSMS_REDIS_ADDR for redis.addr.
const envPrefix = "GINSMS"

// LoadConfig reads the ginsms settings over DefaultConfig from the YAML file at path
// ("" reads no file), applies GINSMS_* environment variables to every key, and validates
// the result.
//
// section names where the settings are in the file: "" for the top level, where the
// keys redis, routes, captcha, sms, sender and messages are read and every other key is
// left to the application; or a key such as "sms_verification" (nested: "auth.sms") whose
// whole subtree is ginsms's. Inside ginsms's keys an unknown key is an error, so a typo
// does not pass silently. The environment variables are the same in both cases:
// GINSMS_SMS_CODE_TTL=90s, GINSMS_REDIS_ADDRS=host1:6379,host2:6379,
// GINSMS_MESSAGES_4004="Too many requests".
//
// Durations need a unit ("60s", "5m"): a bare number is an error. Every problem found is
// reported at once, each naming its key; the error wraps ErrInvalidConfig.
func LoadConfig(path, section string) (ginsms.Config, error) {
	defaults := map[string]any{}
	if err := mapstructure.Decode(ginsms.DefaultConfig(), &defaults); err != nil {
		return ginsms.Config{}, fmt.Errorf("ginsms: config defaults: %w", err)
	}
	v := viper.New()
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	setDefaults(v, "", defaults) // a key must be known to viper for its variable to be read
	if path != "" {
		tree, err := readSection(path, section)
		if err != nil {
			return ginsms.Config{}, err
		}
		for k := range tree {
			if _, ours := defaults[k]; !ours && section == "" {
				delete(tree, k) // the application's own key
			}
		}
		if err := v.MergeConfigMap(tree); err != nil {
			return ginsms.Config{}, fmt.Errorf("ginsms: config file %s: %w", path, err)
		}
	}
	cfg := ginsms.DefaultConfig()
	decodeErr := v.Unmarshal(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(durationHook, mapstructure.StringToSliceHookFunc(","))
	})
	if cfg.Messages == nil {
		cfg.Messages = map[int]string{}
	}
	// A map's keys are not known in advance, so viper reads no variable for them: look
	// for one per contract code (a viper Set would hide the file's other messages).
	for _, code := range contract.Codes() {
		if text, ok := os.LookupEnv(envPrefix + "_MESSAGES_" + strconv.Itoa(int(code))); ok {
			cfg.Messages[int(code)] = text
		}
	}
	// A key that failed to decode keeps its default, so Validate reports the others.
	if err := configProblems(decodeErr, cfg.Validate()); err != nil {
		return ginsms.Config{}, err
	}
	return cfg, nil
}

// readSection returns the settings of section ("" = all) in the YAML file at path.
func readSection(path, section string) (map[string]any, error) {
	f := viper.New()
	f.SetConfigFile(path)
	f.SetConfigType("yaml")
	if err := f.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("ginsms: config file %s: %w", path, err)
	}
	if section == "" {
		return f.AllSettings(), nil
	}
	if !f.IsSet(section) {
		return nil, fmt.Errorf("%w: config file %s has no section %q", ginsms.ErrInvalidConfig, path, section)
	}
	tree, ok := f.Get(section).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s: section %q is not a mapping", ginsms.ErrInvalidConfig, path, section)
	}
	return tree, nil
}

var durationType = reflect.TypeFor[time.Duration]()

// durationHook decodes a duration from text with a unit, and refuses a bare number,
// which would otherwise be read as nanoseconds.
func durationHook(_ reflect.Type, to reflect.Type, data any) (any, error) {
	if to != durationType {
		return data, nil
	}
	switch d := data.(type) {
	case time.Duration:
		return d, nil
	case string:
		parsed, err := time.ParseDuration(strings.TrimSpace(d))
		if err == nil {
			return parsed, nil
		}
		if _, numErr := strconv.ParseFloat(strings.TrimSpace(d), 64); numErr == nil {
			return nil, fmt.Errorf("%q is a bare number: add a unit, e.g. %ss", d, strings.TrimSpace(d))
		}
		return nil, fmt.Errorf("%q is not a duration such as 60s or 5m", d)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return nil, fmt.Errorf("%v is a bare number: add a unit, e.g. %vs", d, d)
	}
	return data, nil
}

// setDefaults registers every leaf of m (nested maps of mapstructure.Decode) under its
// dotted path.
func setDefaults(v *viper.Viper, prefix string, m map[string]any) {
	for k, val := range m {
		key := prefix + k
		rv := reflect.ValueOf(val)
		if rv.Kind() == reflect.Struct {
			sub := map[string]any{}
			if mapstructure.Decode(val, &sub) == nil {
				setDefaults(v, key+".", sub)
				continue
			}
		}
		if sub, ok := val.(map[string]any); ok {
			setDefaults(v, key+".", sub)
			continue
		}
		v.SetDefault(key, val)
	}
}

// clusterReload is how often NewRedisClient's Cluster client reloads the slot map: a
// dead master never answers MOVED, so until a reload the client keeps sending its slots
// to it (go-redis's default is 60 s).
const clusterReload = time.Second

// NewRedisClient returns a client for cfg: a Sentinel failover client with master_name,
// a Cluster client for several addrs (or one with cluster: true), otherwise a single-node
// client for addr. The Cluster client reloads its slot map every second, so a replica
// promoted after its master died serves again within about a second of the promotion.
// Whatever its retry options, no client re-sends a ginsms script or GETDEL whose reply
// was lost: ginsms marks them (see the package doc).
func NewRedisClient(cfg ginsms.RedisConfig) redis.UniversalClient {
	addrs := cfg.Addrs
	if len(addrs) == 0 && cfg.Addr != "" {
		addrs = []string{cfg.Addr}
	}
	switch {
	case cfg.MasterName != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: cfg.MasterName, SentinelAddrs: addrs,
			Username: cfg.Username, Password: cfg.Password, DB: cfg.DB})
	case len(addrs) > 1 || cfg.Cluster:
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Username: cfg.Username, Password: cfg.Password,
			ClusterStateReloadInterval: clusterReload})
	}
	addr := ""
	if len(addrs) == 1 {
		addr = addrs[0]
	}
	return redis.NewClient(&redis.Options{Addr: addr, Username: cfg.Username, Password: cfg.Password, DB: cfg.DB})
}

// configErrors is every problem of a configuration, one line each ("sms.code_ttl: ...").
type configErrors []string

func (e configErrors) Error() string {
	if len(e) == 1 {
		return ginsms.ErrInvalidConfig.Error() + ": " + e[0]
	}
	return ginsms.ErrInvalidConfig.Error() + ":\n\t" + strings.Join(e, "\n\t")
}

func (configErrors) Unwrap() error { return ginsms.ErrInvalidConfig }

// configProblems gathers the problems of errs (nil ones skipped, joined ones flattened)
// into one error that lists each once, naming its key, under one heading.
func configProblems(errs ...error) error {
	var lines []string
	var walk func(err error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case configErrors:
			lines = append(lines, e...)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			for _, line := range strings.Split(err.Error(), "\n") {
				if line = problemLine(line); line != "" {
					lines = append(lines, line)
				}
			}
		}
	}
	for _, err := range errs {
		walk(err)
	}
	if len(lines) == 0 {
		return nil
	}
	return configErrors(lines)
}

// decodedKey matches a decoding problem as mapstructure words it: 'sms.code_ttl' 60 is ...
var decodedKey = regexp.MustCompile(`^'([^']+)' (.*)$`)

// problemLine is line without the packages' headings, "" when nothing is left.
func problemLine(line string) string {
	line = strings.TrimSpace(line)
	for _, heading := range []string{ginsms.ErrInvalidConfig.Error() + ": ", sender.ErrInvalidConfig.Error() + ": ",
		captcha.ErrInvalidConfig.Error() + ": ", "decoding failed due to the following error(s):"} {
		line = strings.TrimPrefix(line, heading)
	}
	if m := decodedKey.FindStringSubmatch(line); m != nil {
		line = m[1] + ": " + m[2]
	}
	return strings.TrimSpace(line)
}
