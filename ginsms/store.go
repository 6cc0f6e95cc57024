package ginsms

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/keys"
)

// Redis scripts, run by EVALSHA (EVAL when a server lacks them). With every quota off, a
// send touches only the phone's keys: store_code and unstore_code. With quotas on a single
// node (or a Sentinel-managed primary), one script sees all of a send's keys: send_wait,
// store_all and unstore_all. A Cluster or Ring client spreads the keys over servers, so
// there each script touches one slot (store_code and unstore_code for the phone, reserve
// and release for each counter) and the scripts of one step are pipelined.
var (
	//go:embed lua/store_code.lua
	storeCodeSrc string
	//go:embed lua/unstore_code.lua
	unstoreCodeSrc string
	//go:embed lua/reserve.lua
	reserveSrc string
	//go:embed lua/release.lua
	releaseSrc string
	//go:embed lua/verify_code.lua
	verifyCodeSrc string
	//go:embed lua/send_wait.lua
	sendWaitSrc string
	//go:embed lua/store_all.lua
	storeAllSrc string
	//go:embed lua/unstore_all.lua
	unstoreAllSrc string

	storeCodeScript   = redis.NewScript(storeCodeSrc)
	unstoreCodeScript = redis.NewScript(unstoreCodeSrc)
	reserveScript     = redis.NewScript(reserveSrc)
	releaseScript     = redis.NewScript(releaseSrc)
	verifyCodeScript  = redis.NewScript(verifyCodeSrc)
	sendWaitScript    = redis.NewScript(sendWaitSrc)
	storeAllScript    = redis.NewScript(storeAllSrc)
	unstoreAllScript  = redis.NewScript(unstoreAllSrc)
)

// Quota windows. Each counter starts its window at its first count and expires with it.
const (
	phoneWindow = 24 * time.Hour
	ipWindow    = time.Hour
	totalWindow = 24 * time.Hour
)

// smsKeys builds every key of the SMS flow from the two configured templates. The keys
// the plugin adds are derived so that, with hash-tagged templates such as "sms_{%s}",
// a phone's keys share one cluster slot:
//
//	sms_<phone>           the code                  (sms.key)
//	is_send_<phone>       the "recently sent" flag  (sms.flag_key)
//	sms_<phone>:tries     wrong verify attempts, expires with the code
//	sms_<phone>:daily     sends in the per-phone window
//	sms_ip:<client ip>    sends from one IP (IPv6: its /64) in the hour
//	sms_total             sends from everyone in the day (spending cap)
type smsKeys struct {
	code, flag, tries, daily, ip keys.Template
	total                        string
}

func newSMSKeys(s SMSConfig) (smsKeys, error) {
	code, err := keys.Parse(s.Key)
	if err != nil {
		return smsKeys{}, configError("sms.key", "%v", err)
	}
	flag, err := keys.Parse(s.FlagKey)
	if err != nil {
		return smsKeys{}, configError("sms.flag_key", "%v", err)
	}
	return smsKeys{
		code:  code,
		flag:  flag,
		tries: code.With(":tries"),
		daily: code.With(":daily"),
		ip:    keys.MustParse("ip:%s"),
		total: code.Key("total"),
	}, nil
}

// ipKey is sms_ip:<ip> under the configured code template (its own slot when hash-tagged).
func (k smsKeys) ipKey(ip string) string { return k.code.Key(k.ip.Key(ip)) }

// quotas holds the limits that are on; a zero limit is off.
type quotas struct {
	perPhone, perIP, total int
}

// codeStore is the Redis side of the send and verify flows.
type codeStore struct {
	rdb         redis.UniversalClient
	split       bool // keys live on several servers (Cluster, Ring): one script per slot
	keys        smsKeys
	quotas      quotas
	codeTTL     time.Duration
	interval    time.Duration
	maxAttempts int
}

func newCodeStore(rdb redis.UniversalClient, s SMSConfig) (*codeStore, error) {
	k, err := newSMSKeys(s)
	if err != nil {
		return nil, err
	}
	split := false
	switch rdb.(type) {
	case *redis.ClusterClient, *redis.Ring:
		split = true
	}
	return &codeStore{
		rdb:         rdb,
		split:       split,
		keys:        k,
		quotas:      quotas{perPhone: s.DailyLimitPerPhone, perIP: s.HourlyLimitPerIP, total: s.DailyLimitTotal},
		codeTTL:     s.CodeTTL,
		interval:    s.SendInterval,
		maxAttempts: s.MaxVerifyAttempts,
	}, nil
}

func storageError(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrStorage, op, err)
}

// SendWait implements middleware.SendLimiter: one round trip that reads the phone's flag
// and every quota that is on, and returns the longest wait among those that refuse.
func (s *codeStore) SendWait(ctx context.Context, phone, clientIP string) (time.Duration, error) {
	if s.quotas == (quotas{}) {
		ttl, err := s.rdb.PTTL(ctx, s.keys.flag.Key(phone)).Result()
		if err != nil {
			return 0, storageError("read send flag", err)
		}
		return flagWait(ttl, s.interval), nil
	}
	if !s.split {
		cmd := sendWaitScript.Run(ctx, s.rdb, s.quotaKeys(phone, clientIP, s.keys.flag.Key(phone)),
			s.interval.Milliseconds(),
			s.quotas.perPhone, phoneWindow.Milliseconds(),
			s.quotas.perIP, ipWindow.Milliseconds(),
			s.quotas.total, totalWindow.Milliseconds())
		ms, err := cmd.Int64()
		if err != nil {
			return 0, storageError("read send flag and quotas", err)
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	pipe := s.rdb.Pipeline()
	flag := pipe.PTTL(ctx, s.keys.flag.Key(phone))
	type counter struct {
		limit  int
		window time.Duration
		used   *redis.StringCmd
		ttl    *redis.DurationCmd
	}
	var counters [3]counter
	n := 0
	add := func(limit int, window time.Duration, key string) {
		if limit > 0 {
			counters[n] = counter{limit: limit, window: window, used: pipe.Get(ctx, key), ttl: pipe.PTTL(ctx, key)}
			n++
		}
	}
	add(s.quotas.perPhone, phoneWindow, s.keys.daily.Key(phone))
	add(s.quotas.perIP, ipWindow, s.keys.ipKey(clientIP))
	add(s.quotas.total, totalWindow, s.keys.total)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, storageError("read send flag and quotas", err)
	}
	wait := flagWait(flag.Val(), s.interval)
	for _, c := range counters[:n] {
		used, err := c.used.Int()
		if err != nil || used < c.limit {
			continue // absent (redis.Nil) or below the limit
		}
		w := c.ttl.Val()
		if w == -1 {
			w = c.window
		}
		wait = max(wait, w)
	}
	return wait, nil
}

// quotaKeys returns first followed by the phone's daily, the IP's and the total counter keys.
func (s *codeStore) quotaKeys(phone, clientIP string, first ...string) []string {
	return append(first, s.keys.daily.Key(phone), s.keys.ipKey(clientIP), s.keys.total)
}

// flagWait turns the flag's PTTL into a wait: -2 (absent) is none, -1 (set without expiry,
// by some other program) is a whole interval.
func flagWait(ttl, interval time.Duration) time.Duration {
	switch {
	case ttl == -1:
		return interval
	case ttl <= 0:
		return 0
	}
	return ttl
}

// reservation is what store took for one send, so that unstore can give it back exactly.
type reservation struct {
	phone, clientIP, code string
	ip, total             bool // which counter quotas were counted
}

// scriptCall is one script run, for runScripts.
type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
}

// runScripts runs calls in one pipeline (one round trip), by EVALSHA; a call that met a
// server without the script (NOSCRIPT: it did not run at all) is run again by EVAL.
func runScripts(ctx context.Context, rdb redis.UniversalClient, calls []scriptCall) ([]*redis.Cmd, error) {
	if len(calls) == 1 {
		c := calls[0]
		cmd := c.script.Run(ctx, rdb, c.keys, c.args...)
		return []*redis.Cmd{cmd}, cmdError(cmd)
	}
	cmds := make([]*redis.Cmd, len(calls))
	pipe := rdb.Pipeline()
	for i, c := range calls {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below
	var missing []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		pipe = rdb.Pipeline()
		for _, i := range missing {
			c := calls[i]
			cmds[i] = c.script.Eval(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	var errs []error
	for _, cmd := range cmds {
		if err := cmdError(cmd); err != nil {
			errs = append(errs, err)
		}
	}
	return cmds, errors.Join(errs...)
}

func cmdError(cmd *redis.Cmd) error {
	if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	return nil
}

// verdict reads a {1, 0} / {0, wait_ms} script answer.
func verdict(cmd *redis.Cmd) (ok bool, wait time.Duration) {
	vals, err := cmd.Int64Slice()
	if err != nil || len(vals) != 2 {
		return false, 0
	}
	return vals[0] == 1, time.Duration(vals[1]) * time.Millisecond
}

// store stores code for the phone and counts every quota that is on, in one round trip:
// the phone's script (flag, code, tries, per-phone count; one slot) and, when on, one
// reservation each for the per-IP and total counters (their own slots), pipelined. If any
// of them refuses, the others are given back and store reports the longest wait.
func (s *codeStore) store(ctx context.Context, phone, clientIP, code string) (reservation, time.Duration, error) {
	r := reservation{phone: phone, clientIP: clientIP, code: code,
		ip: s.quotas.perIP > 0, total: s.quotas.total > 0}
	if !s.split && s.quotas != (quotas{}) {
		cmd := storeAllScript.Run(ctx, s.rdb,
			s.quotaKeys(phone, clientIP, s.keys.flag.Key(phone), s.keys.code.Key(phone), s.keys.tries.Key(phone)),
			code, s.codeTTL.Milliseconds(), s.interval.Milliseconds(),
			s.quotas.perPhone, phoneWindow.Milliseconds(),
			s.quotas.perIP, ipWindow.Milliseconds(),
			s.quotas.total, totalWindow.Milliseconds())
		if err := cmdError(cmd); err != nil {
			return r, 0, storageError("store code", err)
		}
		if ok, wait := verdict(cmd); !ok {
			return r, max(wait, time.Millisecond), nil
		}
		return r, 0, nil
	}
	calls := make([]scriptCall, 1, 3)
	calls[0] = scriptCall{storeCodeScript,
		[]string{s.keys.flag.Key(phone), s.keys.code.Key(phone), s.keys.tries.Key(phone), s.keys.daily.Key(phone)},
		[]any{code, s.codeTTL.Milliseconds(), s.interval.Milliseconds(), s.quotas.perPhone, phoneWindow.Milliseconds()}}
	if r.ip {
		calls = append(calls, scriptCall{reserveScript, []string{s.keys.ipKey(clientIP)},
			[]any{s.quotas.perIP, ipWindow.Milliseconds()}})
	}
	if r.total {
		calls = append(calls, scriptCall{reserveScript, []string{s.keys.total},
			[]any{s.quotas.total, totalWindow.Milliseconds()}})
	}
	cmds, err := runScripts(ctx, s.rdb, calls)
	if err != nil {
		// Some steps may have run: give back whatever did, best effort.
		s.giveBack(context.WithoutCancel(ctx), r, cmds)
		return r, 0, storageError("store code", err)
	}
	var wait time.Duration
	refused := false
	for _, cmd := range cmds {
		if ok, w := verdict(cmd); !ok {
			refused = true
			wait = max(wait, w)
		}
	}
	if refused {
		s.giveBack(ctx, r, cmds)
		return r, max(wait, time.Millisecond), nil
	}
	return r, 0, nil
}

// giveBack undoes the steps of store that succeeded (cmds in store's order).
func (s *codeStore) giveBack(ctx context.Context, r reservation, cmds []*redis.Cmd) {
	took := func(i int) bool {
		if i >= len(cmds) || cmds[i] == nil {
			return false
		}
		ok, _ := verdict(cmds[i])
		return ok
	}
	i := 1
	ip := r.ip && took(i)
	if r.ip {
		i++
	}
	total := r.total && took(i)
	_ = s.unstore(ctx, reservation{phone: r.phone, clientIP: r.clientIP, code: r.code, ip: ip, total: total}, took(0))
}

// unstore takes back a send: the phone's flag and code (if still ours) and each counted
// quota, in one round trip.
func (s *codeStore) unstore(ctx context.Context, r reservation, phoneStored bool) error {
	if !s.split && s.quotas != (quotas{}) {
		cmd := unstoreAllScript.Run(ctx, s.rdb,
			s.quotaKeys(r.phone, r.clientIP, s.keys.flag.Key(r.phone), s.keys.code.Key(r.phone)),
			r.code, flagArg(s.quotas.perPhone > 0), flagArg(r.ip), flagArg(r.total))
		if err := cmdError(cmd); err != nil {
			return storageError("take back send", err)
		}
		return nil
	}
	calls := make([]scriptCall, 0, 3)
	if phoneStored {
		calls = append(calls, scriptCall{unstoreCodeScript,
			[]string{s.keys.flag.Key(r.phone), s.keys.code.Key(r.phone), s.keys.daily.Key(r.phone)},
			[]any{r.code, flagArg(s.quotas.perPhone > 0)}})
	}
	if r.ip {
		calls = append(calls, scriptCall{releaseScript, []string{s.keys.ipKey(r.clientIP)}, nil})
	}
	if r.total {
		calls = append(calls, scriptCall{releaseScript, []string{s.keys.total}, nil})
	}
	if len(calls) == 0 {
		return nil
	}
	if _, err := runScripts(ctx, s.rdb, calls); err != nil {
		return storageError("take back send", err)
	}
	return nil
}

// verify checks code for phone in one round trip.
func (s *codeStore) verify(ctx context.Context, phone, code string) error {
	cmd := verifyCodeScript.Run(ctx, s.rdb,
		[]string{s.keys.code.Key(phone), s.keys.tries.Key(phone)}, code, s.maxAttempts)
	n, err := cmd.Int()
	if err != nil {
		return storageError("verify code", err)
	}
	switch n {
	case 1:
		return nil
	case 0:
		return ErrCodeWrong
	}
	return ErrCodeExpired
}

// flagArg is a script's "1" / "0" argument.
func flagArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
