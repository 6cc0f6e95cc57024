package ginsms

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/viper"
)

// EnvPrefix prefixes the environment variables that override config keys: the key's path
// in upper case with "_" for ".", e.g. GINSMS_REDIS_ADDR for redis.addr.
const EnvPrefix = "GINSMS"

// LoadConfig reads the YAML file at path over DefaultConfig, applies GINSMS_* environment
// overrides to every key, and validates the result. A path of "" reads no file. A missing
// or unreadable file, an unknown key, and an invalid value are errors that name the cause.
func LoadConfig(path string) (Config, error) {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	// Every key must be known to viper for its environment variable to be read.
	defaults := map[string]any{}
	if err := mapstructure.Decode(DefaultConfig(), &defaults); err != nil {
		return Config{}, fmt.Errorf("ginsms: config defaults: %w", err)
	}
	setDefaults(v, "", defaults)
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("ginsms: config file %s: %w", path, err)
		}
	}
	var cfg Config
	err := v.Unmarshal(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
	})
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if cfg.Messages == nil {
		cfg.Messages = map[int]string{}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
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

// NewRedisClient returns a client for cfg: a Cluster client for several addrs, a Sentinel
// failover client with master_name, otherwise a single-node client for addr. Retries are
// off: a command that failed on the network may have run, and replaying a script that
// counts a quota or stores a code would count or refuse twice; the request answers 5002
// instead and the user tries again.
func NewRedisClient(cfg RedisConfig) redis.UniversalClient {
	addrs := cfg.Addrs
	if len(addrs) == 0 && cfg.Addr != "" {
		addrs = []string{cfg.Addr}
	}
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:      addrs,
		MasterName: cfg.MasterName,
		Username:   cfg.Username,
		Password:   cfg.Password,
		DB:         cfg.DB,
		MaxRetries: -1,
	})
}
