package ginsms

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
	"github.com/ginsms/ginsms/internal/keys"
	"github.com/ginsms/ginsms/internal/redisx"
)

// Scripts of the phone's slot; the counters of other slots use redisx.Reserve and
// redisx.Release. Every script touches the keys of one cluster slot, so one code path
// serves a single Redis, Sentinel and Cluster alike; the scripts of one step run
// in one round trip (redisx.Run).
var (
	//go:embed lua/store_code.lua
	storeCodeSrc string
	//go:embed lua/unstore_code.lua
	unstoreCodeSrc string
	//go:embed lua/verify_code.lua
	verifyCodeSrc string
	//go:embed lua/count_unverified.lua
	countUnverifiedSrc string

	storeCodeScript   = redisx.NewScript(storeCodeSrc)
	unstoreCodeScript = redisx.NewScript(unstoreCodeSrc)
	verifyCodeScript  = redisx.NewScript(verifyCodeSrc)
	// countUnverifiedScript counts the destination guard's unverified sends (destination.go).
	countUnverifiedScript = redisx.NewScript(countUnverifiedSrc)

	// scripts lists every script, for Check.
	scripts = []*redisx.Script{storeCodeScript, unstoreCodeScript, verifyCodeScript, countUnverifiedScript, redisx.Reserve, redisx.Release}
)

// Quota windows. Each counter starts its window at its first count and expires with it.
const (
	phoneWindow = 24 * time.Hour
	ipWindow    = redisx.IPWindow
	totalWindow = 24 * time.Hour
)

// Quota names, as the observer and the logs call them.
const (
	quotaInterval   = "interval"
	quotaPhoneDaily = "phone_daily"
	quotaIPHourly   = "ip_hourly"
	quotaTotalDaily = "total_daily"
	quotaVerifyIP   = "verify_ip"
)

// smsKeys builds every key of the SMS flow from the two configured templates. The keys
// the plugin adds are derived from sms.key, so that with hash-tagged templates such as
// "sms_{%s}" a phone's keys share one cluster slot:
//
//	sms_<phone>            the code                  (sms.key)
//	is_send_<phone>        the "recently sent" flag  (sms.flag_key)
//	sms_<phone>:tries      wrong verify attempts, expires with the code
//	sms_<phone>:daily      sends in the per-phone window
//	sms_ip:<ip>            sends from one IP (IPv6: its /64) in the hour
//	sms_verify_ip:<ip>     verify attempts from one IP in the hour
//	sms_total              sends from everyone in the day (spending cap)
//	sms_<phone>:known      the phone verified a code (destination.known_for)
//	sms_range:<range>      unverified sends to a number range in the window
//	sms_range:<range>:blocked    the range is refused (destination.block)
//	sms_country:<cc>       unverified sends to a foreign country in the window
//	sms_country:<cc>:blocked     the country is refused
//	sms_unverified         unverified sends to every destination in the window
type smsKeys struct {
	code, flag, tries, daily, known keys.Template
	total, unverified               string
}

func newSMSKeys(s SMSConfig) (smsKeys, error) {
	code, err := keys.Parse(s.Key)
	if err != nil {
		return smsKeys{}, configError("sms.key", "%v, got %q", err, s.Key)
	}
	flag, err := keys.Parse(s.FlagKey)
	if err != nil {
		return smsKeys{}, configError("sms.flag_key", "%v, got %q", err, s.FlagKey)
	}
	return smsKeys{code: code, flag: flag, tries: code.With(":tries"), daily: code.With(":daily"),
		known: code.With(":known"), total: code.Key("total"), unverified: code.Key("unverified")}, nil
}

// keyFamilies lists every key the Service builds: its template (sms.key, sms.flag_key,
// captcha.key and what derives from them) and the characters of its ids, so that Validate
// refuses templates under which two of them could name one key (a flag that overwrites a
// counter would switch a quota off). A new derived key is one more line here.
func keyFamilies(s SMSConfig, captchaKey string) ([]keys.Family, error) {
	k, err := newSMSKeys(s)
	if err != nil {
		return nil, err
	}
	img, err := keys.Parse(captchaKey)
	if err != nil {
		return nil, err
	}
	return []keys.Family{
		k.code.Family("sms.key", input.PhoneChars),
		k.flag.Family("sms.flag_key", input.PhoneChars),
		k.tries.Family(`sms.key + ":tries"`, input.PhoneChars),
		k.daily.Family(`sms.key + ":daily"`, input.PhoneChars),
		k.code.Inner("ip:").Family(`sms.key with "ip:<ip>"`, input.NetworkChars),
		k.code.Inner("verify_ip:").Family(`sms.key with "verify_ip:<ip>"`, input.NetworkChars),
		k.code.Fixed(`sms.key with "total"`, "total"),
		k.known.Family(`sms.key + ":known"`, input.PhoneChars),
		k.code.Inner("range:").Family(`sms.key with "range:<range>"`, input.PhoneChars),
		k.code.With(":blocked").Inner("range:").Family(`sms.key with "range:<range>" + ":blocked"`, input.PhoneChars),
		k.code.Inner("country:").Family(`sms.key with "country:<cc>"`, countryChars),
		k.code.With(":blocked").Inner("country:").Family(`sms.key with "country:<cc>" + ":blocked"`, countryChars),
		k.code.Fixed(`sms.key with "unverified"`, "unverified"),
		img.Family("captcha.key", input.UUIDChars),
		img.Inner("ip_").Family(`captcha.key with "ip_<ip>"`, input.NetworkChars),
	}, nil
}

// countryChars are the characters of a region code (phonenumbers' "CN", "ZZ").
const countryChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func (k smsKeys) ip(network string) string       { return k.code.Key("ip:" + network) }
func (k smsKeys) verifyIP(network string) string { return k.code.Key("verify_ip:" + network) }

// A block key is its counter's key with a suffix, so that both share a cluster slot.
func (k smsKeys) rangeCount(rng string) string  { return k.code.Key("range:" + rng) }
func (k smsKeys) rangeBlock(rng string) string  { return k.code.With(":blocked").Key("range:" + rng) }
func (k smsKeys) countryCount(cc string) string { return k.code.Key("country:" + cc) }
func (k smsKeys) countryBlock(cc string) string { return k.code.With(":blocked").Key("country:" + cc) }

// quotas holds the limits; a zero limit is off.
type quotas struct {
	perPhone, perIP, total, verifyPerIP int
}

// codeStore is the Redis side of the send and verify flows.
type codeStore struct {
	rdb         redis.UniversalClient
	keys        smsKeys
	quotas      quotas
	codeTTL     time.Duration
	interval    time.Duration
	maxAttempts int
	replicas    int                // sms.replica_acks
	ackTimeout  time.Duration      // sms.replica_ack_timeout
	refused     func(quota string) // tells the observer which quota refused
	exhausted   func()             // tells the observer a code died of wrong tries
	dest        *destGuard         // the destination guard (destination.go)
	unknown     func()             // tells the Service a client address was not an IP
	waitRoute   atomic.Int32       // for an autopipeliner: routeUnknown, routeOK or routeRefused
}

// What replicasReachable found behind an autopipeliner.
const (
	routeUnknown int32 = iota
	routeOK
	routeRefused
)

func newCodeStore(rdb redis.UniversalClient, s SMSConfig, d DestinationConfig) (*codeStore, error) {
	k, err := newSMSKeys(s)
	if err != nil {
		return nil, err
	}
	return &codeStore{
		dest: newDestGuard(d, k),
		rdb:  rdb,
		keys: k,
		quotas: quotas{perPhone: s.DailyLimitPerPhone, perIP: s.HourlyLimitPerIP, total: s.DailyLimitTotal,
			verifyPerIP: s.HourlyVerifyLimitPerIP},
		codeTTL:     s.CodeTTL,
		interval:    s.SendInterval,
		maxAttempts: s.MaxVerifyAttempts,
		replicas:    s.ReplicaAcks,
		ackTimeout:  s.ReplicaAckTimeout,
		refused:     func(string) {},
		exhausted:   func() {},
		unknown:     func() {},
	}, nil
}

// network is the per-IP quotas' bucket of clientIP (input.Network); an address that is
// not an IP shares the one bucket input.UnknownNetwork, and is reported.
func (s *codeStore) network(clientIP string) string {
	n := input.Network(clientIP)
	if n == input.UnknownNetwork {
		s.unknown()
	}
	return n
}

func storageError(op, step string, err error) error {
	return fmt.Errorf("%w: %w", ErrStorage, &contract.StorageError{Op: op, Step: step, Err: err})
}

// counterRead is the reading of one quota counter: GET and PTTL, in the same round trip.
type counterRead struct {
	quota     string
	limit     int
	window    time.Duration
	used, ttl *redisx.Call
}

// SendWait implements middleware.SendLimiter: one round trip that reads the phone's flag,
// every quota that is on and the destination's blocks, and returns the longest wait among
// the quotas that refuse. A refused destination is an error wrapping
// ErrDestinationRefused (4008), with RetryAfter when the block is temporary; a country or
// number-type rule refuses without reaching Redis.
func (s *codeStore) SendWait(ctx context.Context, phone, clientIP string) (time.Duration, error) {
	network := s.network(clientIP)
	dest := s.dest.classify(phone)
	if dest.refused != "" {
		s.dest.refusedBy(dest.refused)
		return 0, destinationError(0)
	}
	flag := redisx.Once(ctx, "pttl", s.keys.flag.Key(phone))
	destReads := s.dest.reads(ctx, dest)
	cmds := make([]redis.Cmder, 1, 8+2*len(destReads)) // flag, known, the guard's and the quotas' reads
	cmds[0] = flag
	var known *redisx.Call
	if len(destReads) > 0 {
		known = redisx.Once(ctx, "exists", s.keys.known.Key(phone))
		cmds = append(cmds, known)
		for _, r := range destReads {
			if r.block != nil {
				cmds = append(cmds, r.block)
			} else {
				cmds = append(cmds, r.used, r.ttl)
			}
		}
	}
	var counters [3]counterRead
	n := 0
	read := func(quota string, limit int, window time.Duration, key string) {
		if limit <= 0 {
			return
		}
		c := counterRead{quota: quota, limit: limit, window: window,
			used: redisx.Once(ctx, "get", key), ttl: redisx.Once(ctx, "pttl", key)}
		counters[n] = c
		n++
		cmds = append(cmds, c.used, c.ttl)
	}
	read(quotaPhoneDaily, s.quotas.perPhone, phoneWindow, s.keys.daily.Key(phone))
	read(quotaIPHourly, s.quotas.perIP, ipWindow, s.keys.ip(network))
	read(quotaTotalDaily, s.quotas.total, totalWindow, s.keys.total)
	// Every command's own error counts: a node that cannot be reached must not pass for
	// a counter that does not exist (redis.Nil).
	if err := redisx.Run(ctx, s.rdb, cmds...); err != nil {
		return 0, storageError("send_wait", "read send flag and quotas", err)
	}
	flagTTL, _ := flag.Int64()
	wait, quota := flagWait(flagTTL, s.interval), quotaInterval
	if wait == 0 && known != nil {
		isKnown, _ := known.Int()
		if w, reason := s.dest.verdict(destReads, isKnown == 1); w > 0 {
			s.dest.refusedBy(reason)
			return 0, destinationError(w)
		}
	}
	for _, c := range counters[:n] {
		used, err := c.used.Int()
		if err != nil || used < c.limit {
			continue // absent (redis.Nil) or below the limit
		}
		ttl, _ := c.ttl.Int64()
		w := time.Duration(ttl) * time.Millisecond
		if ttl < 0 {
			w = c.window // without TTL: the next store arms it
		}
		if w > wait {
			wait, quota = w, c.quota
		}
	}
	if wait > 0 {
		s.refused(quota)
	}
	return wait, nil
}

// flagWait turns the flag's PTTL in ms into a wait: -2 (absent) is none, -1 (set without
// expiry, by some other program) is a whole interval.
func flagWait(pttl int64, interval time.Duration) time.Duration {
	switch {
	case pttl == -1:
		return interval
	case pttl <= 0:
		return 0
	}
	return time.Duration(pttl) * time.Millisecond
}

// sendRecord is what store took for one send, so that unstore can give it back exactly.
type sendRecord struct {
	phone, network, code string
	phone1, ip, total    bool          // which steps counted: the phone's script, the IP and total counters
	dest                 []destCounter // the destination counters that counted
	blocks               []string      // block keys to set as this send is taken back
	// keepCounts takes back the flag and the code only. After a write the replicas did not
	// acknowledge, a failover may have lost it: a DECR on the promoted replica would then
	// give back a count it never held (measured: sms_total below the SMS sent). A count
	// kept for a send that did not go out errs on the safe side.
	keepCounts bool
}

// store stores code for the phone and counts every quota that is on, in one round trip:
// the phone's script (flag, code, tries, per-phone count; one slot) and, when on, one
// reservation each for the per-IP and total counters and the destination's unverified-send
// counters (their own slots). If any of them refuses, what the others took is given back
// and store reports the longest wait and its quota; a destination refusal is an error
// wrapping ErrDestinationRefused. If Redis fails, only the steps known to have run are
// given back: a step whose reply was lost may have run, and keeps the phone locked rather
// than risk a second SMS.
func (s *codeStore) store(ctx context.Context, phone, network, code string) (rec sendRecord, wait time.Duration, err error) {
	rec = sendRecord{phone: phone, network: network, code: code}
	dest := s.dest.classify(phone)
	if dest.refused != "" {
		s.dest.refusedBy(dest.refused)
		return sendRecord{}, 0, destinationError(0)
	}
	phoneCall := storeCodeScript.Call(ctx,
		[]string{s.keys.flag.Key(phone), s.keys.code.Key(phone), s.keys.tries.Key(phone), s.keys.daily.Key(phone), s.keys.known.Key(phone)},
		code, s.codeTTL.Milliseconds(), s.interval.Milliseconds(), s.quotas.perPhone, phoneWindow.Milliseconds(),
		flagArg(len(dest.counters) > 0)) // the script reads known only for the destination's counters
	cmds := make([]redis.Cmder, 1, 3+len(dest.counters))
	cmds[0] = phoneCall
	var ipCall, totalCall *redisx.Call
	if s.quotas.perIP > 0 {
		ipCall = redisx.Reserve.Call(ctx, []string{s.keys.ip(network)}, s.quotas.perIP, ipWindow.Milliseconds())
		cmds = append(cmds, ipCall)
	}
	if s.quotas.total > 0 {
		totalCall = redisx.Reserve.Call(ctx, []string{s.keys.total}, s.quotas.total, totalWindow.Milliseconds())
		cmds = append(cmds, totalCall)
	}
	destCounters, destCalls := s.dest.reserve(ctx, dest)
	for _, c := range destCalls {
		cmds = append(cmds, c)
	}
	var runErr error
	if s.replicas > 0 {
		runErr = s.runReplicated(ctx, phoneCall, cmds[1:])
	} else {
		runErr = redisx.Run(ctx, s.rdb, cmds...)
	}
	refusedBy := ""
	took := func(c *redisx.Call, quota string) bool {
		if c == nil {
			return false
		}
		ok, w, err := redisx.Verdict(c)
		if err == nil && !ok && w > wait {
			wait, refusedBy = w, quota
		}
		return ok
	}
	phoneQuota := quotaInterval
	if vals, _ := phoneCall.Int64Slice(); len(vals) == 3 && vals[2] == 2 {
		phoneQuota = quotaPhoneDaily
	}
	rec.phone1 = took(phoneCall, phoneQuota)
	rec.ip = took(ipCall, quotaIPHourly)
	rec.total = took(totalCall, quotaTotalDaily)
	// A phone that verified a code before (its :known key, read by its own script) passes
	// the destination counters: they stop pumping, not the users they have seen verify.
	known := false
	if vals, _ := phoneCall.Int64Slice(); rec.phone1 && len(vals) == 3 && vals[2] == 1 {
		known = true
	}
	var destWait time.Duration
	destReason := ""
	for i, c := range destCalls {
		ok, w, err := redisx.Verdict(c)
		if err != nil {
			continue // runErr holds it
		}
		if ok {
			rec.dest = append(rec.dest, destCounters[i])
			continue
		}
		if vals, _ := c.Int64Slice(); len(vals) == 3 && vals[2] == 2 && rec.phone1 && !known {
			// Full, and this send would have gone out: the block starts, in the round
			// trip that takes the send back.
			rec.blocks = append(rec.blocks, destCounters[i].block)
			s.dest.started(ctx, destCounters[i].scope, dest)
		}
		if !known && w > destWait {
			destWait, destReason = w, destCounters[i].scope
		}
	}
	if runErr == nil && wait == 0 && destWait > 0 && rec.phone1 {
		wait = destWait // taken back below, answered 4008
	}
	if runErr != nil || wait > 0 {
		if errors.Is(runErr, errNotReplicated) {
			rec.ip, rec.total, rec.dest, rec.keepCounts = false, false, nil, true
		}
		if rec.phone1 || rec.ip || rec.total || len(rec.dest) > 0 || len(rec.blocks) > 0 {
			if err := s.unstore(context.WithoutCancel(ctx), rec); err != nil && runErr == nil {
				runErr = err
			}
		}
		if runErr != nil {
			return sendRecord{}, 0, storageError("store", "store code and count quotas", runErr)
		}
		if destWait > 0 && wait == destWait && rec.phone1 && refusedBy == "" {
			s.dest.refusedBy(destReason)
			return sendRecord{}, 0, destinationError(destWait)
		}
		s.refused(refusedBy)
		return sendRecord{}, wait, nil
	}
	return rec, 0, nil
}

// errNotReplicated reports a stored code that fewer replicas than sms.replica_acks
// acknowledged in time: a failover now could forget it, so no SMS goes out for it.
var errNotReplicated = errors.New("replicas did not acknowledge the stored code in time")

// runReplicated runs the phone's script followed by WAIT on one connection to the
// phone's primary, and the counters' reservations (on their own slots) beside it.
func (s *codeStore) runReplicated(ctx context.Context, phoneCall *redisx.Call, counters []redis.Cmder) error {
	wait := redisx.Wait(ctx, s.replicas, s.ackTimeout)
	newPipe := s.rdb.Pipeline
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		// A cluster pipeline would send the keyless WAIT to any master: use the node of
		// the phone's slot, and reserve the counters first, through the cluster.
		if len(counters) > 0 {
			if err := redisx.Run(ctx, s.rdb, counters...); err != nil {
				return err
			}
		}
		counters = nil
		node, err := cc.MasterForKey(ctx, phoneCall.Args()[3].(string))
		if err != nil {
			return err
		}
		newPipe = node.Pipeline
	}
	if ap, ok := s.rdb.(*redis.AutoPipeliner); ok {
		if err := s.replicasReachable(ctx, ap); err != nil {
			return err
		}
	}
	cmds := append(append([]redis.Cmder{phoneCall}, counters...), wait)
	if err := redisx.RunPipelined(ctx, newPipe, cmds...); err != nil {
		return err
	}
	if ok, _, _ := redisx.Verdict(phoneCall); !ok {
		return nil // refused: nothing written to wait for
	}
	if n, err := wait.Int(); err != nil || n < s.replicas {
		// Not replicated: store gives back what was taken, as for a refusal, and
		// answers a storage failure; no SMS goes out for this code.
		return errNotReplicated
	}
	return nil
}

// errWaitRoute refuses sms.replica_acks through an autopipeliner over a Cluster: its
// pipeline would send the keyless WAIT to any master, which would acknowledge writes it
// never saw.
var errWaitRoute = errors.New("sms.replica_acks through an autopipeliner over a Redis Cluster: WAIT cannot follow " +
	"the write to the phone's primary; hand ginsms the *redis.ClusterClient itself")

// replicasReachable tells, once per Service, whether WAIT through the autopipeliner ap
// reaches the server that ran the write: yes for one server (single or Sentinel), no for
// a Cluster, which is then refused on every send (5002, nothing sent), as Check refuses
// it. A probe that fails is tried again on the next send.
func (s *codeStore) replicasReachable(ctx context.Context, ap *redis.AutoPipeliner) error {
	switch s.waitRoute.Load() {
	case routeOK:
		return nil
	case routeRefused:
		return errWaitRoute
	}
	info := redisx.Once(ctx, "info", "cluster")
	// An error reply (no such section: a proxy, an ACL) answered, and is no Cluster.
	if err := redisx.Run(ctx, ap, info); err != nil && !isReply(err) {
		return err
	}
	if text, _ := info.Text(); strings.Contains(text, "cluster_enabled:1") {
		s.waitRoute.Store(routeRefused)
		return errWaitRoute
	}
	s.waitRoute.Store(routeOK)
	return nil
}

// unstore takes back what rec took, in one round trip: the phone's flag and code (if
// still this send's) and per-phone count, and the IP and total counts.
func (s *codeStore) unstore(ctx context.Context, rec sendRecord) error {
	var cmds []redis.Cmder
	if rec.phone1 {
		cmds = append(cmds, unstoreCodeScript.Call(ctx,
			[]string{s.keys.flag.Key(rec.phone), s.keys.code.Key(rec.phone), s.keys.daily.Key(rec.phone)},
			rec.code, flagArg(s.quotas.perPhone > 0 && !rec.keepCounts)))
	}
	if rec.ip {
		cmds = append(cmds, redisx.Release.Call(ctx, []string{s.keys.ip(rec.network)}))
	}
	if rec.total {
		cmds = append(cmds, redisx.Release.Call(ctx, []string{s.keys.total}))
	}
	cmds = append(cmds, s.dest.release(ctx, rec.dest)...)
	for _, b := range rec.blocks {
		cmds = append(cmds, redisx.Once(ctx, "set", b, "1", "px", s.dest.cfg.Block.Milliseconds()))
	}
	if len(cmds) == 0 {
		return nil
	}
	if err := redisx.Run(ctx, s.rdb, cmds...); err != nil {
		return storageError("take_back", "take back send", err)
	}
	return nil
}

// verify checks code for phone: first, when on, the per-IP verify quota counts this try
// (a refusal is ErrTooFrequent, and the code is not touched); then the verify script.
// Two round trips with the quota on, one without: the counter and the phone's keys live
// in different slots, and a try refused by the quota must not reach the code.
func (s *codeStore) verify(ctx context.Context, phone, code, network string) error {
	if s.quotas.verifyPerIP > 0 {
		reserve := redisx.Reserve.Call(ctx, []string{s.keys.verifyIP(network)}, s.quotas.verifyPerIP, ipWindow.Milliseconds())
		if err := redisx.Run(ctx, s.rdb, reserve); err != nil {
			return storageError("verify", "count verify try", err)
		}
		ok, wait, err := redisx.Verdict(reserve)
		if err != nil {
			return storageError("verify", "count verify try", err)
		}
		if !ok {
			s.refused(quotaVerifyIP)
			return &retryError{err: ErrTooFrequent, wait: wait}
		}
	}
	call := verifyCodeScript.Call(ctx, []string{s.keys.code.Key(phone), s.keys.tries.Key(phone), s.keys.known.Key(phone)},
		code, s.maxAttempts, s.dest.knownFor().Milliseconds())
	if err := redisx.Run(ctx, s.rdb, call); err != nil {
		return storageError("verify", "verify code", err)
	}
	n, err := call.Int()
	if err != nil {
		return storageError("verify", "verify code", err)
	}
	switch n {
	case 1:
		// The verified send leaves the destination's unverified counts: one more round
		// trip, on success only (the counters live in other slots than the phone's).
		if release := s.dest.release(ctx, s.dest.counters(s.dest.classify(phone))); len(release) > 0 {
			if err := redisx.Run(context.WithoutCancel(ctx), s.rdb, release...); err != nil {
				// The code is consumed and the user verified: answer success, and let
				// the counts expire with their window.
				s.dest.logger.ErrorContext(ctx, "ginsms: taking a verified send off the unverified counts", "err", err)
			}
		}
		return nil
	case 0:
		return ErrCodeWrong
	case 2:
		s.exhausted()
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
