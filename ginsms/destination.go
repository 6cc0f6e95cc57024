package ginsms

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/mask"
	"github.com/ginsms/ginsms/internal/redisx"
)

// DestinationConfig configures the destination guard against SMS pumping (toll fraud):
// codes sent to many numbers, usually of one range, from many addresses, and never
// verified. Per number range, per foreign country and overall, the codes sent and not
// yet verified within Window are counted (a verified code leaves the count, so busy
// ranges of real users are never blocked); past RangeLimit a range, past CountryLimit a
// foreign country, is refused with 4008 for Block. Past TotalLimit every phone that has
// not verified within KnownFor is refused with 4008 until the window frees room: a
// spread attack (one number per range) is capped, and known users keep being served.
// Country and number-type rules refuse with 4008 at once.
type DestinationConfig struct {
	// Enabled switches the counters and the rules on. Default: true. Test numbers work
	// either way.
	Enabled bool `mapstructure:"enabled"`
	// RangeDigits is how many trailing digits a number range leaves out: the range of
	// 13800138000 is 1380013 with the default 4 (10 000 numbers). 1 to 8.
	RangeDigits int `mapstructure:"range_digits"`
	// Window is the counting window of every unverified-send counter; it starts with the
	// counter's first send. Default: 1h.
	Window time.Duration `mapstructure:"window"`
	// RangeLimit is how many codes a range may have sent and unverified in Window; the
	// send past it blocks the range for Block. 0 = off. Default: 20.
	RangeLimit int `mapstructure:"range_limit"`
	// Block is how long a range or country past its limit is refused. Default: 12h.
	Block time.Duration `mapstructure:"block"`
	// HomeCountry is the ISO 3166 code of the deployment's country: numbers without "+"
	// are read as its national numbers, and it has no per-country counter. Default: CN.
	HomeCountry string `mapstructure:"home_country"`
	// CountryLimit is how many codes one foreign country may have sent and unverified
	// in Window; the send past it blocks the country for Block. 0 = off. Default: 50.
	CountryLimit int `mapstructure:"country_limit"`
	// TotalLimit caps unverified codes over every destination in Window (spread
	// attacks); phones that verified within KnownFor pass. 0 = off. Default: 100.
	TotalLimit int `mapstructure:"total_limit"`
	// KnownFor is how long a phone that verified a code stays known: it passes every
	// unverified-send counter (range, country, total) though it is still counted. 0 =
	// nobody is known. Default: 720h (30 days).
	KnownFor time.Duration `mapstructure:"known_for"`
	// AllowCountries, when not empty, are the only countries (ISO codes) served.
	AllowCountries []string `mapstructure:"allow_countries"`
	// DenyCountries are countries (ISO codes) never served.
	DenyCountries []string `mapstructure:"deny_countries"`
	// DenyTypes are number types never served, where the number tells its type:
	// fixed_line, mobile, fixed_line_or_mobile, toll_free, premium_rate, shared_cost,
	// voip, personal_number, pager, uan, voicemail, unknown. Default: fixed_line,
	// toll_free, premium_rate, shared_cost, uan, voicemail.
	DenyTypes []string `mapstructure:"deny_types"`
	// TestNumbers maps phones to fixed codes (app-store reviewers, staging, end-to-end
	// tests): a send to one stores its fixed code and never reaches the provider. They
	// pass through every limit; the Service warns at start-up that they are configured.
	TestNumbers map[string]string `mapstructure:"test_numbers"`
}

// DefaultDestinationConfig returns the guard's defaults (see DestinationConfig).
func DefaultDestinationConfig() DestinationConfig {
	return DestinationConfig{
		Enabled:      true,
		RangeDigits:  4,
		Window:       time.Hour,
		RangeLimit:   20,
		Block:        12 * time.Hour,
		HomeCountry:  "CN",
		CountryLimit: 50,
		TotalLimit:   100,
		KnownFor:     30 * 24 * time.Hour,
		DenyTypes:    []string{"fixed_line", "toll_free", "premium_rate", "shared_cost", "uan", "voicemail"},
		TestNumbers:  map[string]string{},
	}
}

var numberTypes = map[string]phonenumbers.PhoneNumberType{
	"fixed_line": phonenumbers.FIXED_LINE, "mobile": phonenumbers.MOBILE,
	"fixed_line_or_mobile": phonenumbers.FIXED_LINE_OR_MOBILE, "toll_free": phonenumbers.TOLL_FREE,
	"premium_rate": phonenumbers.PREMIUM_RATE, "shared_cost": phonenumbers.SHARED_COST, "voip": phonenumbers.VOIP,
	"personal_number": phonenumbers.PERSONAL_NUMBER, "pager": phonenumbers.PAGER, "uan": phonenumbers.UAN,
	"voicemail": phonenumbers.VOICEMAIL, "unknown": phonenumbers.UNKNOWN,
}

var isoCountry = regexp.MustCompile(`^[A-Z]{2}$`)

func (d DestinationConfig) validate(s SMSConfig) []error {
	errs := boundProblems([]bound{
		{"destination.range_digits", d.RangeDigits < 1 || d.RangeDigits > 8, "1 to 8", d.RangeDigits},
		{"destination.window", d.Enabled && d.Window < time.Second, "at least 1s", d.Window},
		{"destination.block", d.Enabled && d.Block < time.Second, "at least 1s", d.Block},
		{"destination.range_limit", d.RangeLimit < 0, "0 (off) or more", d.RangeLimit},
		{"destination.country_limit", d.CountryLimit < 0, "0 (off) or more", d.CountryLimit},
		{"destination.total_limit", d.TotalLimit < 0, "0 (off) or more", d.TotalLimit},
		{"destination.known_for", d.KnownFor < 0, "0 (off) or more", d.KnownFor},
		{"destination.home_country", !isoCountry.MatchString(d.HomeCountry), "an upper-case ISO 3166 code such as CN", d.HomeCountry},
	})
	for _, l := range []struct {
		key  string
		list []string
	}{{"destination.allow_countries", d.AllowCountries}, {"destination.deny_countries", d.DenyCountries}} {
		for _, c := range l.list {
			if !isoCountry.MatchString(c) {
				errs = append(errs, configError(l.key, "%q is not an upper-case ISO 3166 code such as GB", c))
			}
		}
	}
	for _, t := range d.DenyTypes {
		if _, ok := numberTypes[t]; !ok {
			errs = append(errs, configError("destination.deny_types", "unknown number type %q", t))
		}
	}
	pattern, err := regexp.Compile(s.PhonePattern)
	for phone, code := range d.TestNumbers {
		if err == nil && !pattern.MatchString(phone) {
			errs = append(errs, configError("destination.test_numbers", "%s does not match sms.phone_pattern", mask.Phone(phone)))
		}
		if len(code) != s.CodeLength || strings.Trim(code, "0123456789") != "" {
			errs = append(errs, configError("destination.test_numbers", "the code of %s must be %d digits", mask.Phone(phone), s.CodeLength))
		}
	}
	return errs
}

// Reasons of a destination refusal, as the observer and the logs call them.
const (
	refusedRange       = "range"        // the number's range is blocked
	refusedCountry     = "country"      // the foreign country is blocked
	refusedTotal       = "total"        // unverified sends overall are at their cap
	refusedCountryRule = "country_rule" // allow_countries / deny_countries
	refusedNumberType  = "number_type"  // deny_types
)

// destGuard is the destination guard of one Service.
type destGuard struct {
	cfg       DestinationConfig
	deny      []phonenumbers.PhoneNumberType
	keys      smsKeys
	refusedBy func(reason string) // the observer's DestinationRefused
	blocked   func(scope string)  // the observer's BlockStarted
	logger    *slog.Logger
	// seen caches classify's answers: libphonenumber takes tens of µs a number, and
	// one send classifies its phone twice (RateLimit, store) and its verify once more.
	seen  sync.Map // phone → destination
	nSeen atomic.Int64
}

// seenMax bounds the classify cache (about 500 bytes an entry with its counters' keys); it
// starts over when full.
const seenMax = 10000

func newDestGuard(cfg DestinationConfig, k smsKeys) *destGuard {
	g := &destGuard{cfg: cfg, keys: k, refusedBy: func(string) {}, blocked: func(string) {}, logger: slog.Default()}
	for _, t := range cfg.DenyTypes {
		g.deny = append(g.deny, numberTypes[t])
	}
	return g
}

// destination is what the guard knows of one phone before Redis: its range and, where
// counted, its foreign country; refused names a rule that refuses it outright.
type destination struct {
	rng, country string
	refused      string
	// counters are its counters that are on, keys built once and cached with the rest
	// (read only): a send reads them in SendWait and again in store.
	counters []destCounter
}

// classify applies the country and number-type rules to phone (already matched against
// sms.phone_pattern) and names its counters. A number without "+" is a national number of
// HomeCountry.
func (g *destGuard) classify(phone string) destination {
	if !g.cfg.Enabled {
		return destination{}
	}
	if d, ok := g.seen.Load(phone); ok {
		return d.(destination)
	}
	d := g.classifyNumber(phone)
	if d.refused == "" {
		d.counters = g.countersOf(d)
	}
	if g.nSeen.Add(1) > seenMax {
		g.seen.Clear()
		g.nSeen.Store(0)
	}
	g.seen.Store(phone, d)
	return d
}

func (g *destGuard) classifyNumber(phone string) destination {
	var d destination
	digits := strings.TrimPrefix(phone, "+")
	if len(digits) > g.cfg.RangeDigits {
		d.rng = phone[:len(phone)-g.cfg.RangeDigits]
	}
	region := ""
	num, err := phonenumbers.Parse(phone, g.cfg.HomeCountry)
	if err == nil {
		region = phonenumbers.GetRegionCodeForNumber(num)
	}
	switch {
	case len(g.cfg.AllowCountries) > 0 && !slices.Contains(g.cfg.AllowCountries, region),
		region != "" && slices.Contains(g.cfg.DenyCountries, region):
		d.refused = refusedCountryRule
		return d
	}
	numType := phonenumbers.UNKNOWN
	if num != nil {
		numType = phonenumbers.GetNumberType(num)
	}
	if slices.Contains(g.deny, numType) {
		d.refused = refusedNumberType
		return d
	}
	if region != g.cfg.HomeCountry && g.cfg.CountryLimit > 0 {
		d.country = region
		if d.country == "" {
			d.country = "ZZ" // unknown: one counter for all such numbers
		}
	}
	return d
}

// counters are the unverified-send counters of d that are on: counter key, block key
// ("" = never blocked), limit, scope, and the script's KEYS (the counter, then its block).
type destCounter struct {
	key, block string
	limit      int
	scope      string
	keys       []string
}

// counters are d's counters, as classify found them.
func (g *destGuard) counters(d destination) []destCounter { return d.counters }

func (g *destGuard) countersOf(d destination) []destCounter {
	var out []destCounter
	if !g.cfg.Enabled {
		return nil
	}
	add := func(key, block string, limit int, scope string) {
		ks := []string{key}
		if block != "" {
			ks = append(ks, block)
		}
		out = append(out, destCounter{key, block, limit, scope, ks})
	}
	if g.cfg.RangeLimit > 0 && d.rng != "" {
		add(g.keys.rangeCount(d.rng), g.keys.rangeBlock(d.rng), g.cfg.RangeLimit, refusedRange)
	}
	if d.country != "" {
		add(g.keys.countryCount(d.country), g.keys.countryBlock(d.country), g.cfg.CountryLimit, refusedCountry)
	}
	if g.cfg.TotalLimit > 0 {
		add(g.keys.unverified, "", g.cfg.TotalLimit, refusedTotal)
	}
	return out
}

// destRead is SendWait's reading of one counter: the block's PTTL, or the count and its
// PTTL for a counter without a block.
type destRead struct {
	c         destCounter
	block     *redisx.Call
	used, ttl *redisx.Call
}

// reads returns the commands that read d's blocks and caps, to join SendWait's round trip.
func (g *destGuard) reads(ctx context.Context, d destination) []destRead {
	cs := g.counters(d)
	out := make([]destRead, 0, len(cs))
	for _, c := range cs {
		r := destRead{c: c}
		if c.block != "" {
			r.block = redisx.Once(ctx, "pttl", c.block)
		} else {
			r.used, r.ttl = redisx.Once(ctx, "get", c.key), redisx.Once(ctx, "pttl", c.key)
		}
		out = append(out, r)
	}
	return out
}

// verdict is the longest wait among the reads that refuse, and its reason; known phones
// pass every counter.
func (g *destGuard) verdict(reads []destRead, known bool) (time.Duration, string) {
	var wait time.Duration
	reason := ""
	if known {
		return 0, ""
	}
	for _, r := range reads {
		var w time.Duration
		if r.block != nil {
			pttl, _ := r.block.Int64()
			switch {
			case pttl == -1:
				w = g.cfg.Block
			case pttl > 0:
				w = time.Duration(pttl) * time.Millisecond
			}
		} else if used, err := r.used.Int(); err == nil && used >= r.c.limit {
			pttl, _ := r.ttl.Int64()
			w = g.cfg.Window
			if pttl > 0 {
				w = time.Duration(pttl) * time.Millisecond
			}
		}
		if w > wait {
			wait, reason = w, r.c.scope
		}
	}
	return wait, reason
}

// reserve returns the calls that count one unverified send on each counter of d, to
// join the store step's round trip.
func (g *destGuard) reserve(ctx context.Context, d destination) ([]destCounter, []*redisx.Call) {
	cs := g.counters(d)
	calls := make([]*redisx.Call, len(cs))
	for i, c := range cs {
		calls[i] = countUnverifiedScript.Call(ctx, c.keys, c.limit, g.cfg.Window.Milliseconds(), g.cfg.Block.Milliseconds())
	}
	return cs, calls
}

// knownFor is how long a verified phone stays known; 0 with the guard off.
func (g *destGuard) knownFor() time.Duration {
	if !g.cfg.Enabled {
		return 0
	}
	return g.cfg.KnownFor
}

// release returns the calls that take one send off each counter of d (a verified code,
// or a send taken back).
func (g *destGuard) release(ctx context.Context, cs []destCounter) []redis.Cmder {
	out := make([]redis.Cmder, 0, len(cs))
	for _, c := range cs {
		out = append(out, redisx.Release.Call(ctx, []string{c.key}))
	}
	return out
}

// started reports a block that a send past its limit started: one log line (the range
// masked) and the observer.
func (g *destGuard) started(ctx context.Context, scope string, d destination) {
	g.blocked(scope)
	switch scope {
	case refusedRange:
		g.logger.WarnContext(ctx, "ginsms: number range blocked: too many unverified codes", "range", maskRange(d.rng, g.cfg.RangeDigits),
			"limit", g.cfg.RangeLimit, "window", g.cfg.Window.String(), "block", g.cfg.Block.String())
	case refusedCountry:
		g.logger.WarnContext(ctx, "ginsms: country blocked: too many unverified codes", "country", d.country,
			"limit", g.cfg.CountryLimit, "window", g.cfg.Window.String(), "block", g.cfg.Block.String())
	}
}

// destinationError is a refusal of the destination guard (4008); wait 0 is for good.
func destinationError(wait time.Duration) error {
	if wait <= 0 {
		return ErrDestinationRefused
	}
	return &retryError{err: ErrDestinationRefused, wait: wait}
}

// Unblock lifts the blocks of phone's number range and, for a foreign number, of its
// country, and clears their unverified-send counts, in one round trip. It is the
// operator's undo of a block that hit real users (the keys are in the README).
func (s *Service) Unblock(ctx context.Context, phone string) error {
	if !s.inputs.ValidPhone(phone) {
		return ErrInvalidInput
	}
	g := s.store.dest
	d := g.classify(phone)
	var cmds []redis.Cmder
	if d.rng != "" {
		cmds = append(cmds, redisx.Once(ctx, "del", g.keys.rangeBlock(d.rng)), redisx.Once(ctx, "del", g.keys.rangeCount(d.rng)))
	}
	if d.country != "" {
		cmds = append(cmds, redisx.Once(ctx, "del", g.keys.countryBlock(d.country)), redisx.Once(ctx, "del", g.keys.countryCount(d.country)))
	}
	if len(cmds) == 0 {
		return nil
	}
	if err := redisx.Run(ctx, s.store.rdb, cmds...); err != nil {
		return storageError("unblock", "lift destination block", err)
	}
	s.logger.InfoContext(ctx, "ginsms: destination block lifted", "range", maskRange(d.rng, g.cfg.RangeDigits), "country", d.country)
	return nil
}

// maskRange writes a range for a log line as the masked form of its numbers.
func maskRange(rng string, digits int) string {
	if rng == "" {
		return ""
	}
	return mask.Phone(rng + strings.Repeat("x", digits))
}

// warnTestNumbers says at start-up that test numbers are configured.
func (s *Service) warnTestNumbers() {
	if n := len(s.cfg.Destination.TestNumbers); n > 0 {
		s.logger.Warn(fmt.Sprintf("ginsms: %d test number(s) configured (destination.test_numbers): "+
			"sends to them store a fixed code and never reach the provider; remove them where real users sign up", n))
	}
}
