package captcha_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/middleware"
)

var _ middleware.CaptchaVerifier = (*captcha.Store)(nil)

const (
	testID  = "6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b"
	testID2 = "7a2d3c4b-5e6f-4071-9bac-1d2e3f405b6c"
)

// testStore returns a Store on the test Redis whose keys all start with a random prefix,
// the client, and the answer and per-IP key templates' prefix.
func testStore(t *testing.T, edit func(*captcha.Config)) (*captcha.Store, *redis.Client, string) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	cfg := captcha.DefaultConfig()
	cfg.Key = prefix + "img_%s"
	if edit != nil {
		edit(&cfg)
	}
	s, err := captcha.NewStore(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, rdb, prefix
}

// deadClient returns a client of an address where nothing listens, failing fast.
func deadClient(t *testing.T) *redis.Client {
	rdb := redis.NewClient(&redis.Options{
		Addr:               redistest.DeadAddr,
		MaxRetries:         -1,
		DialTimeout:        time.Second,
		DialerRetries:      1,
		DialerRetryTimeout: time.Millisecond,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func TestConsume(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, stored, answer string
		found, matched       bool
	}{
		{name: "match", stored: "1234", answer: "1234", found: true, matched: true},
		{name: "mismatch", stored: "1234", answer: "1235", found: true},
		{name: "shorter", stored: "1234", answer: "123", found: true},
		{name: "longer", stored: "1234", answer: "12345", found: true},
		{name: "empty answer", stored: "1234", answer: "", found: true},
		{name: "blanks trimmed", stored: "1234", answer: " \t1234\n ", found: true, matched: true},
		{name: "case ignored", stored: "AbCd", answer: "aBcD", found: true, matched: true},
		{name: "case and blanks", stored: "x7Yz", answer: " X7YZ ", found: true, matched: true},
		{name: "unknown", answer: "1234"},
	}
	s, rdb, prefix := testStore(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := prefix + "img_" + testID
			if tt.stored != "" {
				rdb.Set(ctx, key, tt.stored, time.Minute)
			}
			found, matched, err := s.Consume(ctx, testID, tt.answer)
			if err != nil {
				t.Fatal(err)
			}
			if found != tt.found || matched != tt.matched {
				t.Errorf("Consume = found %v matched %v, want %v %v", found, matched, tt.found, tt.matched)
			}
			if n := rdb.Exists(ctx, key).Val(); n != 0 {
				t.Errorf("key still exists after Consume")
			}
		})
	}
}

func TestConsumeSingleUse(t *testing.T) {
	ctx := context.Background()
	s, _, _ := testStore(t, nil)
	answer, _, err := s.Create(ctx, testID, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if found, matched, err := s.Consume(ctx, testID, answer); err != nil || !found || !matched {
		t.Fatalf("first Consume = %v %v %v, want found and matched", found, matched, err)
	}
	if found, matched, err := s.Consume(ctx, testID, answer); err != nil || found || matched {
		t.Fatalf("second Consume = %v %v %v, want not found", found, matched, err)
	}
}

func TestConsumeConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _, _ := testStore(t, nil)
	answer, _, err := s.Create(ctx, testID, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	var found, matched atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			<-start
			f, m, err := s.Consume(ctx, testID, answer)
			if err != nil {
				t.Error(err)
			}
			if f {
				found.Add(1)
			}
			if m {
				matched.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if found.Load() != 1 || matched.Load() != 1 {
		t.Fatalf("%d found, %d matched among 20 concurrent Consume, want exactly 1", found.Load(), matched.Load())
	}
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		length int
		ttl    time.Duration
		limit  int
	}{
		{name: "defaults", length: 4, ttl: 300 * time.Second, limit: 300},
		{name: "no limit", length: 6, ttl: 90 * time.Second, limit: 0},
		{name: "sub-second ttl", length: 10, ttl: 1500 * time.Millisecond, limit: 5},
		{name: "one digit", length: 1, ttl: time.Minute, limit: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rdb, prefix := testStore(t, func(c *captcha.Config) {
				c.Length, c.TTL, c.HourlyLimitPerIP = tt.length, tt.ttl, tt.limit
			})
			answer, wait, err := s.Create(ctx, testID, "192.0.2.1")
			if err != nil || wait != 0 {
				t.Fatal(wait, err)
			}
			if len(answer) != tt.length || !isDigits(answer) {
				t.Errorf("answer %q: want %d ASCII digits", answer, tt.length)
			}
			key := prefix + "img_" + testID
			if got := rdb.Get(ctx, key).Val(); got != answer {
				t.Errorf("stored %q, Create returned %q", got, answer)
			}
			if pttl := rdb.PTTL(ctx, key).Val(); pttl <= tt.ttl-time.Second || pttl > tt.ttl {
				t.Errorf("PTTL %v, want about %v", pttl, tt.ttl)
			}
			ipKey := prefix + "img_ip_192.0.2.1"
			wantIP := int64(0)
			if tt.limit > 0 {
				wantIP = 1
			}
			if n := rdb.Exists(ctx, ipKey).Val(); n != wantIP {
				t.Errorf("per-IP counter exists = %d, want %d", n, wantIP)
			}
			// A second image for the same uuid replaces the answer.
			again, _, err := s.Create(ctx, testID, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			if got := rdb.Get(ctx, key).Val(); got != again {
				t.Errorf("after a second Create stored %q, want %q", got, again)
			}
		})
	}
}

func TestCreatePerIPLimit(t *testing.T) {
	ctx := context.Background()
	s, rdb, prefix := testStore(t, func(c *captcha.Config) { c.HourlyLimitPerIP = 3 })
	ids := []string{
		"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002",
		"00000000-0000-4000-8000-000000000003", "00000000-0000-4000-8000-000000000004",
	}
	for _, id := range ids[:3] {
		if _, wait, err := s.Create(ctx, id, "192.0.2.7"); err != nil || wait != 0 {
			t.Fatalf("Create within the limit: %v %v", wait, err)
		}
	}
	answer, wait, err := s.Create(ctx, ids[3], "192.0.2.7")
	if err != nil || answer != "" || wait <= 0 || wait > time.Hour {
		t.Fatalf("4th Create = %q, %v, %v; want a wait in (0, 1h]", answer, wait, err)
	}
	if n := rdb.Exists(ctx, prefix+"img_"+ids[3]).Val(); n != 0 {
		t.Errorf("a rate-limited Create left an answer")
	}
	if got := rdb.Get(ctx, prefix+"img_ip_192.0.2.7").Val(); got != "3" {
		t.Errorf("counter = %s after a refusal, want 3: a refusal counts nothing", got)
	}
	if ttl := rdb.TTL(ctx, prefix+"img_ip_192.0.2.7").Val(); ttl < 3599*time.Second || ttl > time.Hour {
		t.Errorf("counter TTL %v, want 3600s", ttl)
	}
	// The audio route counts against the same quota.
	if _, found, wait, err := s.Peek(ctx, ids[0], "192.0.2.7"); err != nil || found || wait <= 0 {
		t.Errorf("Peek past the quota = found %v wait %v err %v, want a wait", found, wait, err)
	}
	// Another address has its own quota.
	if _, wait, err := s.Create(ctx, ids[3], "192.0.2.8"); err != nil || wait != 0 {
		t.Errorf("Create from another address: %v %v", wait, err)
	}
}

// A counter left without expiry (by another program, or a restore) must not lock its
// address out for good: the script gives it the window's TTL.
func TestCreateCounterWithoutTTL(t *testing.T) {
	ctx := context.Background()
	s, rdb, prefix := testStore(t, func(c *captcha.Config) { c.HourlyLimitPerIP = 3 })
	ipKey := prefix + "img_ip_192.0.2.9"
	rdb.Set(ctx, ipKey, 10, 0)
	_, wait, err := s.Create(ctx, testID, "192.0.2.9")
	if err != nil || wait != time.Hour {
		t.Fatalf("Create = %v, %v; want a wait of 1h", wait, err)
	}
	if ttl := rdb.TTL(ctx, ipKey).Val(); ttl < 3599*time.Second {
		t.Errorf("counter TTL %v, want 3600s", ttl)
	}
}

func TestPeek(t *testing.T) {
	ctx := context.Background()
	s, rdb, prefix := testStore(t, nil)
	if _, found, _, err := s.Peek(ctx, testID, "192.0.2.1"); found || err != nil {
		t.Fatalf("Peek of an unknown id: %v %v, want not found", found, err)
	}
	answer, _, err := s.Create(ctx, testID, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	key := prefix + "img_" + testID
	before := rdb.PTTL(ctx, key).Val()
	got, found, _, err := s.Peek(ctx, testID, "192.0.2.1")
	if err != nil || !found || got != answer {
		t.Fatalf("Peek = %q, %v, %v; want %q", got, found, err, answer)
	}
	if after := rdb.PTTL(ctx, key).Val(); after > before || after < before-time.Second {
		t.Errorf("PTTL went from %v to %v: Peek must not touch the key", before, after)
	}
	if found, matched, err := s.Consume(ctx, testID, answer); !found || !matched || err != nil {
		t.Errorf("Consume after Peek = %v %v %v, want found and matched", found, matched, err)
	}
}

// TestRoundTrips counts what each operation costs: one round trip each, the quota
// included.
func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		limit int
		op    func(s *captcha.Store) error
	}{
		{name: "Create", limit: 300, op: func(s *captcha.Store) error {
			_, _, err := s.Create(ctx, testID, "192.0.2.1")
			return err
		}},
		{name: "Create without limit", limit: 0, op: func(s *captcha.Store) error {
			_, _, err := s.Create(ctx, testID, "192.0.2.1")
			return err
		}},
		{name: "Consume", limit: 300, op: func(s *captcha.Store) error {
			_, _, err := s.Consume(ctx, testID, "1234")
			return err
		}},
		{name: "Peek", limit: 300, op: func(s *captcha.Store) error {
			_, _, _, err := s.Peek(ctx, testID, "192.0.2.1")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rdb, _ := testStore(t, func(c *captcha.Config) { c.HourlyLimitPerIP = tt.limit })
			// The first run of a script on a fresh server costs an extra EVAL (EVALSHA
			// answers NOSCRIPT); count the steady state.
			if _, _, err := s.Create(ctx, testID2, "192.0.2.2"); err != nil {
				t.Fatal(err)
			}
			counter := new(redistest.CommandCounter)
			rdb.AddHook(counter)
			if err := tt.op(s); err != nil {
				t.Fatal(err)
			}
			if trips, _ := counter.Counts(); trips != 1 {
				t.Errorf("%d round trips, want 1", trips)
			}
		})
	}
}

func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	cfg := captcha.DefaultConfig()
	s, err := captcha.NewStore(deadClient(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create(ctx, testID, "192.0.2.1"); err == nil {
		t.Errorf("Create: %v, want a connection error", err)
	}
	if _, _, _, err := s.Peek(ctx, testID, "192.0.2.1"); err == nil {
		t.Errorf("Peek: %v, want a connection error", err)
	}
	if found, matched, err := s.Consume(ctx, testID, "1234"); err == nil || found || matched {
		t.Errorf("Consume = %v %v %v, want a connection error", found, matched, err)
	}
}

func TestNewStoreValidates(t *testing.T) {
	if _, err := captcha.NewStore(nil, captcha.DefaultConfig()); !errors.Is(err, captcha.ErrInvalidConfig) {
		t.Errorf("nil client: %v, want ErrInvalidConfig", err)
	}
	cfg := captcha.DefaultConfig()
	cfg.Length = 0
	if _, err := captcha.NewStore(deadClient(t), cfg); !errors.Is(err, captcha.ErrInvalidConfig) {
		t.Errorf("length 0: %v, want ErrInvalidConfig", err)
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
