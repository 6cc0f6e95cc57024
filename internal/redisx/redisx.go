// Package redisx runs the Redis steps of ginsms: Lua scripts and single commands that the
// client must never re-send, several of them in one round trip on any topology.
//
// A command whose reply was lost (a timeout, a connection dropped after the request went
// out) may have run. go-redis re-sends such a command on its own: a plain client up to
// MaxRetries times, a Cluster client up to MaxRedirects times even with retries off, an
// autopipeliner with its whole batch. Re-sending a script that stores a code or counts a
// quota, or a GETDEL that consumes a captcha, would run it twice. Every command built here
// reports NoRetry, which every go-redis client honours, whatever the application's
// options; a lost reply surfaces as an error (5002) instead. Redirects (MOVED, ASK) are
// still followed: a redirected command did not run.
package redisx

import (
	"context"
	"crypto/sha1"
	_ "embed"
	"encoding/hex"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Script is a Lua script run by EVALSHA, and by EVAL on a server that lacks it.
type Script struct {
	src, hash string
}

// NewScript returns the script of src.
func NewScript(src string) *Script {
	sum := sha1.Sum([]byte(src))
	return &Script{src: src, hash: hex.EncodeToString(sum[:])}
}

// Hash is the script's SHA-1, as EVALSHA and SCRIPT EXISTS name it.
func (s *Script) Hash() string { return s.hash }

// Source is the script's text, for SCRIPT LOAD.
func (s *Script) Source() string { return s.src }

// Call is one command that the client never re-sends (see the package doc): a script run,
// or a single command such as GETDEL. Read its result with the methods of redis.Cmd once
// Run returned.
type Call struct {
	*redis.Cmd
	script  *Script
	keys    []string
	args    []any
	trailer bool          // re-sent after any script of its step that was re-sent (WAIT)
	blocks  time.Duration // how long the server may hold the reply (WAIT's timeout)
}

// NoRetry tells go-redis never to re-send the command.
func (*Call) NoRetry() bool { return true }

var _ redis.Cmder = (*Call)(nil)

// Call returns a run of s on keys (every key the script touches, all in one cluster slot)
// with args.
func (s *Script) Call(ctx context.Context, keys []string, args ...any) *Call {
	return &Call{Cmd: redis.NewCmd(ctx, evalArgs("evalsha", s.hash, keys, args)...), script: s, keys: keys, args: args}
}

// Once returns a single command that the client never re-sends, e.g. Once(ctx, "getdel",
// key). ginsms sends even its reads this way: an autopipeliner dispatches a batch that
// mixes commands that may be re-sent with commands that may not as several pipelines,
// one after the other, so one kind throughout keeps a batch one round trip.
func Once(ctx context.Context, args ...any) *Call {
	return &Call{Cmd: redis.NewCmd(ctx, args...)}
}

// Wait returns a WAIT for n replicas (at most timeout): run last in a step on one
// connection, it tells how many replicas acknowledged the step's writes. When a script
// of the step is re-sent by EVAL (NOSCRIPT), so is the WAIT, after it.
func Wait(ctx context.Context, n int, timeout time.Duration) *Call {
	return &Call{Cmd: redis.NewCmd(ctx, "wait", n, timeout.Milliseconds()), trailer: true, blocks: timeout}
}

func evalArgs(verb, script string, keys []string, args []any) []any {
	out := make([]any, 0, 3+len(keys)+len(args))
	out = append(out, verb, script, len(keys))
	for _, k := range keys {
		out = append(out, k)
	}
	return append(out, args...)
}

// Run executes cmds in one round trip per server and returns the first error that is not
// redis.Nil (each command keeps its own result and error). On an asynchronous
// autopipeliner (Client.AsyncAutoPipeline) the commands join the batches of concurrent
// requests; otherwise several commands are one pipeline, and a Cluster client sends each
// node its part at once. A script a server lacks (NOSCRIPT: it did not run) is run again
// by EVAL, which also loads it.
func Run(ctx context.Context, rdb redis.UniversalClient, cmds ...redis.Cmder) error {
	_, piped := rdb.(*redis.AutoPipeliner)
	return run(ctx, !piped, func(ctx context.Context, cmds []redis.Cmder) { exec(ctx, rdb, cmds) }, cmds)
}

// RunPipelined executes cmds as one pipeline of newPipe, such as a single node's: the
// way to keep a step and its WAIT on one connection.
func RunPipelined(ctx context.Context, newPipe func() redis.Pipeliner, cmds ...redis.Cmder) error {
	return run(ctx, true, func(ctx context.Context, cmds []redis.Cmder) {
		pipe := newPipe()
		for _, cmd := range cmds {
			_ = pipe.Process(ctx, cmd)
		}
		_, _ = pipe.Exec(ctx)
	}, cmds)
}

// StepTimeout bounds one step (Run, RunPipelined), beyond the time its WAITs may block:
// a Cluster client tries a command that never went out again and again (a dial or a
// pooled connection that does not come: a hung node), each try bounded by the client's
// own timeouts; the step's deadline ends them all, so a request answers 5002 within
// seconds whatever the client's options (a client with ContextTimeoutEnabled, as
// config.NewRedisClient builds, also ends a read at the deadline). A command whose reply the deadline cuts off
// may have run, as any lost reply: it is not re-sent.
//
// An autopipeliner runs its batches under a context of its own (go-redis drops the
// caller's deadline once a command is queued) and bounds them by the client's own
// timeouts, so a step through one sets no deadline: a timer per step would bound nothing.
const StepTimeout = 3 * time.Second

// run executes cmds with exec, within StepTimeout (plus what its WAITs may block) when
// bounded, and re-sends by EVAL the scripts a server lacked.
func run(ctx context.Context, bounded bool, exec func(context.Context, []redis.Cmder), cmds []redis.Cmder) error {
	if bounded {
		limit := StepTimeout
		for _, cmd := range cmds {
			if c, ok := cmd.(*Call); ok {
				limit += c.blocks
			}
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	exec(ctx, cmds)
	var again []redis.Cmder
	for _, cmd := range cmds {
		c, ok := cmd.(*Call)
		switch {
		case !ok:
		case c.script != nil && redis.HasErrorPrefix(c.Err(), "NOSCRIPT"):
			c.Cmd = redis.NewCmd(ctx, evalArgs("eval", c.script.src, c.keys, c.args)...)
			again = append(again, c)
		case c.trailer && len(again) > 0:
			c.Cmd = redis.NewCmd(ctx, c.Args()...)
			again = append(again, c)
		}
	}
	if len(again) > 0 {
		exec(ctx, again)
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

func exec(ctx context.Context, rdb redis.UniversalClient, cmds []redis.Cmder) {
	if len(cmds) == 1 {
		_ = rdb.Process(ctx, cmds[0])
		return
	}
	if ap, ok := rdb.(*redis.AutoPipeliner); ok && !ap.IsBlocking() {
		for _, cmd := range cmds {
			_ = ap.Process(ctx, cmd) // queued: returns at once
		}
		for _, cmd := range cmds {
			_ = cmd.Err() // waits for the batch
		}
		return
	}
	pipe := rdb.Pipeline()
	for _, cmd := range cmds {
		_ = pipe.Process(ctx, cmd)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command
}

// IPWindow is the window of every per-IP counter (captcha images, sends, verify tries):
// an hour from the address's first count.
const IPWindow = time.Hour

// Counter scripts shared by every quota of ginsms.
var (
	//go:embed reserve.lua
	reserveSrc string
	//go:embed release.lua
	releaseSrc string

	// Reserve counts one use of a quota: KEYS[1] the counter, ARGV[1] the limit,
	// ARGV[2] the window in ms. Read the answer with Verdict.
	Reserve = NewScript(reserveSrc)
	// Release gives back one use counted by Reserve: KEYS[1] the counter.
	Release = NewScript(releaseSrc)
)

// Verdict reads a {1, 0} (done) or {0, wait_ms, ...} (refused) script answer. A refusal
// always waits at least a millisecond.
func Verdict(c *Call) (ok bool, wait time.Duration, err error) {
	vals, err := c.Int64Slice()
	if err != nil {
		return false, 0, err
	}
	if len(vals) < 2 {
		return false, 0, errors.New("redisx: malformed script answer")
	}
	if vals[0] == 1 {
		return true, 0, nil
	}
	return false, max(time.Duration(vals[1])*time.Millisecond, time.Millisecond), nil
}
