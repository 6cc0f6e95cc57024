package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/viper"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/cfgerr"
	"github.com/ginsms/ginsms/internal/contract"
)

// envPrefix prefixes the environment variables that override config keys: the key's path
// in upper case with "_" for ".", e.g. GINSMS_REDIS_ADDR for redis.addr.
const envPrefix = "GINSMS"

// Load reads the ginsms settings over ginsms.DefaultConfig from the YAML file at path
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
// reported at once, each by its full path in the file and what to do; the error wraps
// ginsms.ErrInvalidConfig.
func Load(path, section string) (ginsms.Config, error) {
	known := tree(ginsms.DefaultConfig())
	v := viper.New()
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	setDefaults(v, "", known) // a key must be known to viper for its variable to be read
	var problems cfgerr.List
	if path != "" {
		file, err := readSection(path, section)
		if err != nil {
			return ginsms.Config{}, err
		}
		if section == "" {
			problems = append(problems, misplaced(path, file, known)...)
			for k := range file {
				if _, ours := known[k]; !ours {
					delete(file, k) // the application's own key
				}
			}
		}
		problems = append(problems, unknownKeys(file, known, section)...)
		if err := v.MergeConfigMap(file); err != nil {
			return ginsms.Config{}, fmt.Errorf("%w: config file %s: %w", ginsms.ErrInvalidConfig, path, err)
		}
	}
	cfg := ginsms.DefaultConfig()
	decodeErr := v.Unmarshal(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(durationHook, mapstructure.StringToSliceHookFunc(","))
	})
	problems = append(problems, decodeProblems(decodeErr, section)...)
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
	for _, p := range cfgerr.Problems(cfg.Validate()) {
		problems = append(problems, cfgerr.Problem{Key: inFile(section, p.Key), Msg: p.Msg})
	}
	if len(problems) > 0 {
		return ginsms.Config{}, problems
	}
	return cfg, nil
}

// inFile is the path of key in the file whose section holds the settings.
func inFile(section, key string) string {
	if section == "" || key == "" {
		return key
	}
	return section + "." + key
}

// readSection returns the settings of section ("" = all) in the YAML file at path.
func readSection(path, section string) (map[string]any, error) {
	f := viper.New()
	f.SetConfigFile(path)
	f.SetConfigType("yaml")
	if err := f.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("%w: config file %s: %w", ginsms.ErrInvalidConfig, path, err)
	}
	if section == "" {
		return f.AllSettings(), nil
	}
	if !f.IsSet(section) {
		top := "it is empty"
		if keys := sortedKeys(f.AllSettings()); len(keys) > 0 {
			top = "its top-level keys: " + strings.Join(keys, ", ")
		}
		return nil, fmt.Errorf("%w: config file %s has no section %q (%s)", ginsms.ErrInvalidConfig, path, section, top)
	}
	tree, ok := f.Get(section).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s: section %q is not a mapping", ginsms.ErrInvalidConfig, path, section)
	}
	return tree, nil
}

// misplaced reports a file read at its top level whose ginsms settings sit under a key
// of their own: without the section argument they would be ignored, every setting left
// at its default.
func misplaced(path string, file, known map[string]any) cfgerr.List {
	for k := range known {
		if _, ok := file[k]; ok {
			return nil // some settings are at the top level
		}
	}
	var l cfgerr.List
	for _, k := range sortedKeys(file) {
		if sub, ok := file[k].(map[string]any); ok && holdsAny(sub, known) {
			l = append(l, cfgerr.Problem{Key: k, Msg: fmt.Sprintf("holds ginsms settings, but %s was read at its top level: "+
				"pass the section, config.Load(%q, %q)", path, path, k)})
		}
	}
	return l
}

func holdsAny(m, known map[string]any) bool {
	for k := range m {
		if _, ok := known[k]; ok {
			return true
		}
	}
	return false
}

// unknownKeys reports every key of file that ginsms does not have, by its path in the
// file, with the nearest known key when one is close.
func unknownKeys(file, known map[string]any, prefix string) cfgerr.List {
	var l cfgerr.List
	for _, k := range sortedKeys(file) {
		want, ok := known[k]
		switch {
		case !ok:
			msg := "unknown key"
			if near := nearest(k, sortedKeys(known)); near != "" {
				msg += fmt.Sprintf("; did you mean %s?", inFile(prefix, near))
			} else {
				msg += "; known here: " + strings.Join(sortedKeys(known), ", ")
			}
			if sub, isMap := file[k].(map[string]any); isMap && holdsAny(sub, known) {
				msg += fmt.Sprintf(" (it holds ginsms settings: is the section %q?)", inFile(prefix, k))
			}
			l = append(l, cfgerr.Problem{Key: inFile(prefix, k), Msg: msg})
		default:
			// A section of ginsms's (not messages, whose keys are codes: Validate checks them).
			sub, isMap := file[k].(map[string]any)
			if wantSub, section := want.(map[string]any); section && isMap {
				l = append(l, unknownKeys(sub, wantSub, inFile(prefix, k))...)
			}
		}
	}
	return l
}

// nearest is the key of candidates within two edits of k, "" when none is.
func nearest(k string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := distance(k, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// decodeProblems turns mapstructure's errors, each naming a field by its path, into
// problems by their path in the file.
func decodeProblems(err error, section string) cfgerr.List {
	var l cfgerr.List
	var walk func(error)
	walk = func(err error) {
		var de *mapstructure.DecodeError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &de) {
				if inner := de.Unwrap(); inner != nil && errors.As(inner, new(*mapstructure.DecodeError)) {
					walk(inner)
					return
				}
				l = append(l, cfgerr.Problem{Key: inFile(section, de.Name()), Msg: strings.TrimPrefix(de.Unwrap().Error(), "error decoding: ")})
				return
			}
			l = append(l, cfgerr.Problem{Msg: err.Error()})
		}
	}
	walk(err)
	return l
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// tree is v as nested maps keyed like the file (mapstructure tags), a struct's fields
// each a leaf or a map of their own.
func tree(v any) map[string]any {
	m := map[string]any{}
	if err := mapstructure.Decode(v, &m); err != nil {
		panic(err) // a struct of ours into a map cannot fail
	}
	for k, val := range m {
		if reflect.ValueOf(val).Kind() == reflect.Struct {
			m[k] = tree(val)
		}
	}
	return m
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

// setDefaults registers every leaf of m (nested maps of tree) under its dotted path.
func setDefaults(v *viper.Viper, prefix string, m map[string]any) {
	for k, val := range m {
		if sub, ok := val.(map[string]any); ok {
			setDefaults(v, prefix+k+".", sub)
			continue
		}
		v.SetDefault(prefix+k, val)
	}
}

// clusterReload is how often NewRedisClient's Cluster client reloads the slot map: a
// dead master never answers MOVED, so until a reload the client keeps sending its slots
// to it (go-redis's default is 60 s).
const clusterReload = time.Second

// dialTimeout bounds one dial of NewRedisClient's clients, tried once (go-redis dials for
// 5 s, five times). With ContextTimeoutEnabled, every wait of a command (a dial, a pooled
// connection, a read) also ends with its context, whose deadline ginsms sets for each
// Redis step (redisx.StepTimeout): a node that hangs (a host that stopped, a partition:
// no reset, no answer) fails its requests with 5002 within seconds instead of holding
// them. Reads keep go-redis's ReadTimeout; sms.replica_ack_timeout must stay below it.
const dialTimeout = time.Second

// NewRedisClient returns a client for cfg: a Sentinel failover client with master_name,
// a Cluster client for several addrs (or one with cluster: true), otherwise a single-node
// client for addr. The Cluster client reloads its slot map every second, so a replica
// promoted after its master died serves again within about a second of the promotion.
// A dial is tried once within a second, and every wait of a command ends with its context
// (see dialTimeout), so a node that hangs fails requests fast (5002) rather than holding
// them.
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
			Username: cfg.Username, Password: cfg.Password, DB: cfg.DB,
			DialTimeout: dialTimeout, DialerRetries: 1, ContextTimeoutEnabled: true})
	case len(addrs) > 1 || cfg.Cluster:
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Username: cfg.Username, Password: cfg.Password,
			ClusterStateReloadInterval: clusterReload,
			DialTimeout:                dialTimeout, DialerRetries: 1, ContextTimeoutEnabled: true})
	}
	addr := ""
	if len(addrs) == 1 {
		addr = addrs[0]
	}
	return redis.NewClient(&redis.Options{Addr: addr, Username: cfg.Username, Password: cfg.Password, DB: cfg.DB,
		DialTimeout: dialTimeout, DialerRetries: 1, ContextTimeoutEnabled: true})
}
