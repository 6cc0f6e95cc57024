package redisx_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/internal/redisx"
)

// incrScript counts its runs in KEYS[1], so a test sees whether a lost reply was re-sent.
var incrScript = redisx.NewScript(`return redis.call("INCR", KEYS[1])`)

// A script or single command whose reply was lost ran once and is never re-sent, however
// many retries the client allows: Run answers an error instead. A plain command (no Call)
// on the same client is re-sent, which shows the dropper really lost a reply.
func TestLostReplyNotResent(t *testing.T) {
	for _, tt := range []struct {
		name string
		cmd  func(ctx context.Context, key string) redis.Cmder
		runs int64 // how many times the command ran on the server
	}{
		{"script", func(ctx context.Context, key string) redis.Cmder { return incrScript.Call(ctx, []string{key}) }, 1},
		{"once", func(ctx context.Context, key string) redis.Cmder { return redisx.Once(ctx, "incr", key) }, 1},
		{"plain command, for contrast", func(ctx context.Context, key string) redis.Cmder { return redis.NewIntCmd(ctx, "incr", key) }, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dropper := &redistest.ReplyDropper{}
			rdb, prefix := redistest.Client(t, func(o *redis.Options) {
				o.Dialer = dropper.Dial
				o.MaxRetries = 5
				o.MinRetryBackoff, o.MaxRetryBackoff = time.Millisecond, time.Millisecond
			})
			ctx := context.Background()
			key := prefix + "runs"
			defer rdb.Del(ctx, key)
			// Load the script first, so that the lost request is the EVALSHA itself.
			if err := rdb.ScriptLoad(ctx, incrScript.Source()).Err(); err != nil {
				t.Fatal(err)
			}
			dropper.Arm(key)
			err := redisx.Run(ctx, rdb, tt.cmd(ctx, key))
			if dropper.Dropped() != 1 {
				t.Fatalf("%d replies dropped, want 1", dropper.Dropped())
			}
			runs, _ := rdb.Get(ctx, key).Int64()
			if runs != tt.runs {
				t.Fatalf("the command ran %d times after its reply was lost, want %d", runs, tt.runs)
			}
			if tt.runs == 1 && err == nil {
				t.Fatal("Run hid a lost reply")
			}
		})
	}
}

// A server that lacks a script (NOSCRIPT: it did not run) runs it by EVAL, once, in the
// same Run; with several commands in one step, each keeps its own result, and a WAIT after
// a re-run script is re-sent after it.
func TestNoScriptRunAgain(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	script := redisx.NewScript(`return redis.call("INCR", KEYS[1]) -- ` + prefix) // new to the server
	a, b := prefix+"a", prefix+"b"
	defer rdb.Del(ctx, a, b)
	// A first pipeline dials the connection (HELLO, CLIENT SETINFO) before counting starts.
	if err := redisx.Run(ctx, rdb, redisx.Once(ctx, "ping"), redisx.Once(ctx, "ping")); err != nil {
		t.Fatal(err)
	}
	counter := &redistest.CommandCounter{}
	rdb.AddHook(counter)
	first, second := script.Call(ctx, []string{a}), script.Call(ctx, []string{b})
	get := redisx.Once(ctx, "get", prefix+"absent")
	wait := redisx.Wait(ctx, 0, time.Millisecond)
	if err := redisx.Run(ctx, rdb, first, get, second, wait); err != nil {
		t.Fatalf("Run = %v", err)
	}
	for _, c := range []*redisx.Call{first, second} {
		if n, err := c.Int(); n != 1 || err != nil {
			t.Errorf("script result = %d %v, want 1 (run once)", n, err)
		}
	}
	if !errors.Is(get.Err(), redis.Nil) {
		t.Errorf("GET of an absent key = %v, want redis.Nil", get.Err())
	}
	if _, err := wait.Int(); err != nil {
		t.Errorf("WAIT = %v", err)
	}
	if trips, _ := counter.Counts(); trips != 2 {
		t.Errorf("%d round trips, want 2 (EVALSHA, then EVAL of the missing script with its WAIT)", trips)
	}
	for _, k := range []string{a, b} {
		if v, _ := rdb.Get(ctx, k).Int(); v != 1 {
			t.Errorf("%s = %d, want 1: the script ran twice or never", k, v)
		}
	}
	// Loaded now: one round trip.
	counter.Reset()
	if err := redisx.Run(ctx, rdb, script.Call(ctx, []string{a})); err != nil {
		t.Fatal(err)
	}
	if trips, _ := counter.Counts(); trips != 1 {
		t.Errorf("%d round trips with the script loaded, want 1", trips)
	}
}

// WAIT run after a write on one connection tells how many replicas hold it: on the
// Sentinel set's primary (one replica at least) it is acknowledged; on the single server,
// which has none, it answers 0 at its timeout.
func TestWait(t *testing.T) {
	ctx := context.Background()
	primary := redistest.FailoverClient(t)
	prefix := redistest.Prefix()
	key := prefix + "w"
	defer primary.Del(ctx, key)
	call := incrScript.Call(ctx, []string{key})
	wait := redisx.Wait(ctx, 1, 2*time.Second)
	if err := redisx.RunPipelined(ctx, primary.Pipeline, call, wait); err != nil {
		t.Fatal(err)
	}
	if n, _ := wait.Int(); n < 1 {
		t.Fatalf("WAIT on the primary = %d, want at least 1 replica", n)
	}
	single, prefix2 := redistest.Client(t)
	defer single.Del(ctx, prefix2+"w")
	call = incrScript.Call(ctx, []string{prefix2 + "w"})
	wait = redisx.Wait(ctx, 1, 50*time.Millisecond)
	if err := redisx.RunPipelined(ctx, single.Pipeline, call, wait); err != nil {
		t.Fatal(err)
	}
	if n, _ := wait.Int(); n != 0 {
		t.Fatalf("WAIT on a server without replicas = %d, want 0", n)
	}
}

// Reserve counts up to the limit and refuses after it with the window's remaining time;
// Release gives one back. Under concurrency the counter never passes the limit.
func TestReserveRelease(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	key := prefix + "q"
	defer rdb.Del(ctx, key)
	const limit, n = 5, 40
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redisx.Reserve.Call(ctx, []string{key}, limit, time.Hour.Milliseconds())
			if err := redisx.Run(ctx, rdb, c); err != nil {
				t.Error(err)
				return
			}
			took, wait, err := redisx.Verdict(c)
			switch {
			case err != nil:
				t.Error(err)
			case took:
				ok.Add(1)
			case wait <= 0 || wait > time.Hour:
				t.Errorf("refusal waits %v, want the window's rest", wait)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != limit {
		t.Fatalf("%d of %d reservations taken with limit %d", ok.Load(), n, limit)
	}
	if err := redisx.Run(ctx, rdb, redisx.Release.Call(ctx, []string{key})); err != nil {
		t.Fatal(err)
	}
	c := redisx.Reserve.Call(ctx, []string{key}, limit, time.Hour.Milliseconds())
	if err := redisx.Run(ctx, rdb, c); err != nil {
		t.Fatal(err)
	}
	if took, _, _ := redisx.Verdict(c); !took {
		t.Fatal("a released use could not be taken again")
	}
}
