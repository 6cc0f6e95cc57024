package captcha

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	dcaptcha "github.com/dchest/captcha"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/keys"
	"github.com/ginsms/ginsms/middleware"
)

var _ middleware.CaptchaVerifier = (*Store)(nil)

// Client is the part of a go-redis client the Store uses. *redis.Client,
// *redis.ClusterClient, *redis.Ring and every redis.UniversalClient implement it.
type Client interface {
	redis.Scripter
	Get(ctx context.Context, key string) *redis.StringCmd
	GetDel(ctx context.Context, key string) *redis.StringCmd
	Set(ctx context.Context, key string, value any, expiration time.Duration) *redis.StatusCmd
}

// ipWindow is the window of Config.HourlyLimitPerIP.
const ipWindow = time.Hour

//go:embed new.lua
var newLua string

// newScript counts a captcha against its address's quota and stores the answer (new.lua).
var newScript = redis.NewScript(newLua)

// Store keeps captcha answers in Redis: one string key per captcha, img_<uuid> by
// default, holding the answer's ASCII digits, with the configured TTL. It is safe for
// concurrent use. The ids it is given must already be validated (middleware.ValidUUID):
// the Store puts them into key names as they are.
type Store struct {
	rdb    Client
	cfg    Config
	answer keys.Template // img_%s
	perIP  keys.Template // img_ip_%s
	// split is true for clients that shard keys over several nodes (Cluster, Ring): an
	// answer key and a per-IP key may then not be touched by one script.
	split bool
}

// NewStore returns a Store on rdb configured by cfg. It validates cfg (the error wraps
// ErrInvalidConfig) and does not talk to Redis. GETDEL needs Redis 6.2 or later.
//
// On a *redis.ClusterClient or *redis.Ring, with a per-IP limit, New costs two round
// trips instead of one: the counter and the answer live in different slots, so they
// cannot share a script. Wrap neither client in a type of your own, or New will run a
// two-key script that a cluster refuses (CROSSSLOT) and a ring runs on the wrong node.
func NewStore(rdb Client, cfg Config) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: redis client is nil", ErrInvalidConfig)
	}
	answer, perIP, err := cfg.templates()
	if err != nil {
		return nil, err
	}
	s := &Store{rdb: rdb, cfg: cfg, answer: answer, perIP: perIP}
	switch rdb.(type) {
	case *redis.ClusterClient, *redis.Ring:
		s.split = true
	}
	return s, nil
}

// Config returns the configuration the Store was built with.
func (s *Store) Config() Config { return s.cfg }

// New creates a captcha for id asked by clientIP: it draws Length digits from a
// cryptographic source and stores them at img_<id> with the TTL, replacing any earlier
// answer for id, and returns them as ASCII digits. With HourlyLimitPerIP set, the same
// round trip counts the captcha against clientIP's hourly quota; once it is used up
// nothing is stored and the error is a *LimitError (errors.Is ErrRateLimited) saying how
// long to wait.
func (s *Store) New(ctx context.Context, id, clientIP string) (string, error) {
	digits := dcaptcha.RandomDigits(s.cfg.Length)
	for i := range digits {
		digits[i] += '0'
	}
	answer := string(digits)
	key := s.answer.Key(id)
	if s.cfg.HourlyLimitPerIP == 0 {
		if err := s.rdb.Set(ctx, key, answer, s.cfg.TTL).Err(); err != nil {
			return "", fmt.Errorf("captcha: store answer: %w", err)
		}
		return answer, nil
	}
	scriptKeys := []string{s.perIP.Key(clientIP), key}
	args := []any{s.cfg.HourlyLimitPerIP, ipWindow.Milliseconds(), answer, s.cfg.TTL.Milliseconds()}
	if s.split {
		scriptKeys, args = scriptKeys[:1], args[:2] // count only; SET below, on the answer's own node
	}
	waitMS, err := newScript.Run(ctx, s.rdb, scriptKeys, args...).Int64()
	if err != nil {
		return "", fmt.Errorf("captcha: count and store answer: %w", err)
	}
	if waitMS > 0 {
		return "", &LimitError{Wait: time.Duration(waitMS) * time.Millisecond}
	}
	if s.split {
		if err := s.rdb.Set(ctx, key, answer, s.cfg.TTL).Err(); err != nil {
			return "", fmt.Errorf("captcha: store answer: %w", err)
		}
	}
	return answer, nil
}

// Answer returns the answer of captcha id without changing or consuming it, for the
// audio route; ErrNotFound if there is none (never created, expired or used).
func (s *Store) Answer(ctx context.Context, id string) (string, error) {
	answer, err := s.rdb.Get(ctx, s.answer.Key(id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("captcha: read answer: %w", err)
	}
	return answer, nil
}

// Consume deletes captcha id and reports whether it existed and whether answer matched
// it, in one round trip (GETDEL), so a captcha serves at most one attempt even under
// concurrent requests. The comparison ignores case and surrounding blanks and takes
// constant time for answers of equal length. Consume implements middleware.CaptchaVerifier.
func (s *Store) Consume(ctx context.Context, id, answer string) (found, matched bool, err error) {
	stored, err := s.rdb.GetDel(ctx, s.answer.Key(id)).Result()
	if errors.Is(err, redis.Nil) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("captcha: consume answer: %w", err)
	}
	return true, equalFold(stored, answer), nil
}

// equalFold compares a and b, case-insensitive and blanks around them ignored, in time
// that depends only on their lengths, so timing tells an attacker nothing about the
// answer beyond its length, which is public anyway (Config.Length).
func equalFold(a, b string) bool {
	a = strings.ToLower(strings.TrimSpace(a))
	b = strings.ToLower(strings.TrimSpace(b))
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
