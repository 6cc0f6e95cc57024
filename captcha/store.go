package captcha

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	dcaptcha "github.com/dchest/captcha"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/keys"
	"github.com/ginsms/ginsms/internal/redisx"
)

// Store keeps captcha answers in Redis: one string key per captcha, img_<uuid> by
// default, holding the answer's ASCII digits, with the configured TTL. It is safe for
// concurrent use. Every step touches one key per command, so it runs unchanged on a
// single Redis, Sentinel or Cluster.
type Store struct {
	rdb    redis.UniversalClient
	cfg    Config
	answer keys.Template // img_%s
	perIP  keys.Template // img_ip_%s
	spent  keys.Template // img_spent_%s: proofs of the other kinds, spent once
}

// NewStore returns a Store on rdb, which the application owns, configured by cfg. It
// validates cfg (the error wraps ErrInvalidConfig) and does not talk to Redis. GETDEL
// needs Redis 6.2 or later.
func NewStore(rdb redis.UniversalClient, cfg Config) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: redis client is nil", ErrInvalidConfig)
	}
	answer, perIP, err := cfg.templates()
	if err != nil {
		return nil, err
	}
	i := strings.Index(cfg.Key, "%s") // a UUID never starts with "spent_" either
	spent := keys.MustParse(cfg.Key[:i] + "spent_" + cfg.Key[i:])
	return &Store{rdb: rdb, cfg: cfg, answer: answer, perIP: perIP, spent: spent}, nil
}

// spend marks the proof of digest (lower-case hex) used for ttl, in one round trip (SET
// NX, never re-sent by the client), and reports whether it was fresh: of concurrent
// requests with one proof, exactly one gets true.
func (s *Store) spend(ctx context.Context, digest string, ttl time.Duration) (fresh bool, err error) {
	if ttl < time.Millisecond {
		ttl = time.Millisecond
	}
	set := redisx.Once(ctx, "set", s.spent.Key(digest), "1", "nx", "px", ttl.Milliseconds())
	err = redisx.Run(ctx, s.rdb, set)
	switch {
	case errors.Is(err, redis.Nil) || errors.Is(set.Err(), redis.Nil):
		return false, nil
	case err != nil:
		return false, storageError("spend proof", err)
	}
	return true, nil
}

// reserveIP returns the step that counts one use of network's hourly quota, nil when the
// quota is off or the network unknown.
func (s *Store) reserveIP(ctx context.Context, network string) *redisx.Call {
	if s.cfg.HourlyLimitPerIP == 0 || network == "" {
		return nil
	}
	return redisx.Reserve.Call(ctx, []string{s.perIP.Key(network)}, s.cfg.HourlyLimitPerIP, redisx.IPWindow.Milliseconds())
}

// create makes a captcha for id asked from network: it draws Length digits from a
// cryptographic source and stores them at img_<id> with the TTL, replacing any earlier
// answer for id, in the same round trip as it counts the captcha against network's
// hourly quota. Past the quota it answers the wait and stores nothing (a refused answer
// that was written is deleted again).
func (s *Store) create(ctx context.Context, id, network string) (answer string, wait time.Duration, err error) {
	digits := dcaptcha.RandomDigits(s.cfg.Length)
	for i := range digits {
		digits[i] += '0'
	}
	answer = string(digits)
	key := s.answer.Key(id)
	set := redisx.Once(ctx, "set", key, answer, "px", s.cfg.TTL.Milliseconds())
	reserve := s.reserveIP(ctx, network)
	if reserve == nil {
		if err := redisx.Run(ctx, s.rdb, set); err != nil {
			return "", 0, storageError("store answer", err)
		}
		return answer, 0, nil
	}
	if err := redisx.Run(ctx, s.rdb, reserve, set); err != nil {
		return "", 0, storageError("count and store answer", err)
	}
	ok, wait, err := redisx.Verdict(reserve)
	if err != nil {
		return "", 0, storageError("count answer", err)
	}
	if !ok {
		if err := redisx.Run(ctx, s.rdb, redisx.Once(ctx, "del", key)); err != nil {
			return "", 0, storageError("delete refused answer", err)
		}
		return "", wait, nil
	}
	return answer, 0, nil
}

// peek returns the answer of captcha id without changing or consuming it, for the audio
// route, in the same round trip as it counts the request against network's hourly
// quota; found is false when there is none (never created, expired or used).
func (s *Store) peek(ctx context.Context, id, network string) (answer string, found bool, wait time.Duration, err error) {
	get := redisx.Once(ctx, "get", s.answer.Key(id))
	cmds := []redis.Cmder{get}
	reserve := s.reserveIP(ctx, network)
	if reserve != nil {
		cmds = append(cmds, reserve)
	}
	if err := redisx.Run(ctx, s.rdb, cmds...); err != nil {
		return "", false, 0, storageError("read answer", err)
	}
	if reserve != nil {
		ok, wait, err := redisx.Verdict(reserve)
		if err != nil {
			return "", false, 0, storageError("count audio", err)
		}
		if !ok {
			return "", false, wait, nil
		}
	}
	answer, err = get.Text()
	if errors.Is(err, redis.Nil) {
		return "", false, 0, nil
	}
	return answer, err == nil, 0, err
}

// Consume deletes captcha id and reports whether it existed and whether answer matched
// it, in one round trip (GETDEL, never re-sent by the client), so a captcha serves at most
// one attempt even under concurrent requests. The comparison ignores case and surrounding
// blanks and takes constant time for answers of equal length. Consume implements
// middleware.CaptchaVerifier; id must be a canonical UUID (CaptchaGuard validates it).
func (s *Store) Consume(ctx context.Context, id, answer string) (found, matched bool, err error) {
	getdel := redisx.Once(ctx, "getdel", s.answer.Key(id))
	err = redisx.Run(ctx, s.rdb, getdel)
	stored, err2 := getdel.Text()
	switch {
	case errors.Is(err2, redis.Nil):
		return false, false, nil
	case err != nil:
		return false, false, storageError("consume answer", err)
	case err2 != nil:
		return false, false, storageError("consume answer", err2)
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
