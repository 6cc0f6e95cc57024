// Package redistest connects tests to the real redis-server that `make test` starts.
//
// The server's address comes from GINSMS_TEST_REDIS_ADDR. Without it a test is skipped
// with a message saying how to run it, except under CI (CI=true), where it fails: the
// contract's guarantees must be proven against a real Redis there. Tests never flush a
// database: each one gets a random key prefix and builds its key templates from it.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// AddrEnv names the environment variable holding the test server's host:port.
const AddrEnv = "GINSMS_TEST_REDIS_ADDR"

// Addr returns the test server's address, skipping (or, under CI, failing) t without one.
func Addr(tb testing.TB) string {
	tb.Helper()
	addr := os.Getenv(AddrEnv)
	if addr == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: run the suite with `make test`, which starts redis-server", AddrEnv)
		}
		tb.Skipf("%s is not set: run `make test` (it starts a throwaway redis-server) to run this test", AddrEnv)
	}
	return addr
}

// Client returns a client of the test server, closed when the test ends, and a random key
// prefix for this test (such as "t3f9a1c2e_").
func Client(tb testing.TB, opts ...func(*redis.Options)) (*redis.Client, string) {
	tb.Helper()
	o := &redis.Options{Addr: Addr(tb), PoolSize: 64}
	for _, f := range opts {
		f(o)
	}
	rdb := redis.NewClient(o)
	tb.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("redis at %s: %v", o.Addr, err)
	}
	return rdb, Prefix()
}

// Prefix returns a fresh random key prefix.
func Prefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:]) + "_"
}

// DeadAddr is a loopback address where nothing listens, for outage tests.
const DeadAddr = "127.0.0.1:1"

// CommandCounter is a go-redis hook that counts round trips (a pipeline is one) and commands.
type CommandCounter struct {
	roundTrips, commands atomic.Int64
}

// Counts returns the round trips and commands seen so far.
func (h *CommandCounter) Counts() (roundTrips, commands int64) {
	return h.roundTrips.Load(), h.commands.Load()
}

// Reset sets both counts to zero.
func (h *CommandCounter) Reset() { h.roundTrips.Store(0); h.commands.Store(0) }

// DialHook implements redis.Hook.
func (h *CommandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (h *CommandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.roundTrips.Add(1)
		h.commands.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (h *CommandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.roundTrips.Add(1)
		h.commands.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*CommandCounter)(nil)

// DeadClient returns a client of DeadAddr, for tests of a Redis outage: every command
// fails at once with a connection error.
func DeadClient(tb testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: DeadAddr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
