package ginsms_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
)

// Failover tests kill and promote servers of the Cluster and the Sentinel set, which
// would disturb any other test using them: `make test` runs them in a step of their own,
// after the suite, with GINSMS_TEST_FAILOVER=1.
func failoverOnly(t *testing.T) {
	if os.Getenv("GINSMS_TEST_FAILOVER") != "1" {
		t.Skip("failover test: run by `make test` in its own step (GINSMS_TEST_FAILOVER=1)")
	}
	redis.SetLogger(quiet{}) // thousands of refused dials during a failover: keep the log readable
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// load is what a load run saw.
type load struct {
	mu      sync.Mutex
	start   time.Time
	answers map[int]int
	ok      map[string]int  // phone -> 200s
	errAt   []time.Duration // when each 5002 was answered, since start
	okAt    []time.Duration // when each 200 was answered
	slowest time.Duration   // the longest a request took
	failed  map[string]int  // phone -> 5002s
}

// drive sends, from 32 goroutines for dur, each request with a fresh captcha and one of
// many client addresses; event runs once, at eventAt. New phones join at 200 per second,
// and each is asked for again and again for the next half second: a send the failover
// forgot would let one of them through a second time.
func drive(t *testing.T, e *env, phones []string, dur time.Duration, event func(), eventAt time.Duration) *load {
	t.Helper()
	l := &load{start: time.Now(), answers: map[int]int{}, ok: map[string]int{}, failed: map[string]int{}}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Since(l.start) < dur {
				newest := min(int(time.Since(l.start)/(5*time.Millisecond)), len(phones)-1)
				phone := phones[max(0, newest-r.IntN(100))]
				u := uuidN(int(next.Add(1)))
				if err := e.rdb.Set(context.Background(), e.key("img_"+u), "1234", time.Minute).Err(); err != nil {
					time.Sleep(20 * time.Millisecond) // the captcha's node is failing over
					continue
				}
				ip := fmt.Sprintf("10.%d.%d.1:1", r.IntN(200), r.IntN(200))
				sent := time.Now()
				got := performRequest(e.router, "GET", "/sms_codes/"+phone+"?imgcode=1234&uuid="+u, "", "", "RemoteAddr", ip)
				at := time.Since(l.start)
				l.mu.Lock()
				l.slowest = max(l.slowest, time.Since(sent))
				l.answers[got.Code]++
				switch got.Code {
				case 200:
					l.ok[phone]++
					l.okAt = append(l.okAt, at)
				case 5002:
					l.errAt = append(l.errAt, at)
					l.failed[phone]++
				}
				l.mu.Unlock()
			}
		})
	}
	time.Sleep(eventAt)
	event()
	wg.Wait()
	return l
}

// window describes the 5002s relative to an event at eventAt.
func (l *load) window(eventAt time.Duration) string {
	if len(l.errAt) == 0 {
		return "no 5002"
	}
	first, last := l.errAt[0], l.errAt[len(l.errAt)-1]
	for _, at := range l.errAt {
		first, last = min(first, at), max(last, at)
	}
	recovered := "never"
	for _, at := range l.okAt {
		if at > last {
			recovered = (at - eventAt).Round(10 * time.Millisecond).String()
			break
		}
	}
	return fmt.Sprintf("%d × 5002 from %v to %v after the event, first 200 after them at +%s; slowest request %v",
		len(l.errAt), (first - eventAt).Round(10*time.Millisecond), (last - eventAt).Round(10*time.Millisecond), recovered,
		l.slowest.Round(10*time.Millisecond))
}

// exactlyOnce checks what a load did: each SMS answered 200, and, when writes survive
// the failover (replicated), the total counter equals the 200s (plus at most the stores
// whose reply was lost, which ran and answered 5002). It returns how many phones got a
// second SMS: a send the failover forgot.
func exactlyOnce(t *testing.T, e *env, l *load, replicated bool) (twice int) {
	t.Helper()
	delivered := map[string]int{}
	for _, s := range e.sender.all() {
		delivered[s.phone]++
	}
	oks := 0
	for phone, n := range delivered {
		if n > 1 {
			twice++
		}
		if n != l.ok[phone] {
			t.Errorf("%s: %d SMS, %d answers 200", phone, n, l.ok[phone])
		}
		oks += l.ok[phone]
	}
	total, _ := e.get("sms_total")
	n, _ := strconv.Atoi(total)
	if replicated && (n < oks || n > oks+l.answers[5002]) {
		t.Errorf("sms_total = %d, 200s = %d, 5002s = %d: the counter must count every SMS and nothing else", n, oks, l.answers[5002])
	}
	return twice
}

func phonesN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("137%08d", i)
	}
	return out
}

// failoverEnv mounts ginsms on the client the library builds for the topology.
func failoverEnv(t *testing.T, top topology, rc ginsms.RedisConfig, replicaAcks int) *env {
	t.Helper()
	rdb := config.NewRedisClient(rc)
	t.Cleanup(func() { _ = rdb.Close() })
	return newEnvServing(t, top, rdb, rdb, func(c *ginsms.Config) {
		c.SMS.DailyLimitTotal, c.SMS.HourlyLimitPerIP = 1_000_000, 0
		c.SMS.ReplicaAcks = replicaAcks
		// Hundreds of phones of one range, never verified: what the destination guard
		// refuses (its counters on the Cluster: TestDestinationConcurrent). Here only the
		// interval and quotas across a failover are measured.
		c.Destination.Enabled = false
		c.Logger = slog.New(slog.DiscardHandler) // the 5002s are counted, not logged
	})
}

// clusterMasterOf returns the node serving key's slot now, and one of its replicas.
func clusterMasterOf(t *testing.T, key string) (master, replica redistest.Server) {
	t.Helper()
	nodes := redistest.ClusterNodes(t)
	any := nodes[0].Client(t)
	slot, err := any.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	shards, err := any.ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range shards {
		if int64(s.Start) <= slot && slot <= int64(s.End) {
			for _, n := range nodes {
				if n.Addr() == s.Nodes[0].Addr {
					master = n
				}
				if len(s.Nodes) > 1 && n.Addr() == s.Nodes[1].Addr {
					replica = n
				}
			}
		}
	}
	if master.Name == "" || replica.Name == "" {
		t.Fatalf("no master and replica for slot %d in %v", slot, shards)
	}
	return master, replica
}

// waitHealthy waits until every cluster node says the cluster is ok and every replica's
// link is up, so the next test starts from a healthy cluster.
func waitClusterHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range redistest.ClusterNodes(t) {
		c := n.Client(t)
		for {
			info, _ := c.ClusterInfo(context.Background()).Result()
			repl, _ := c.Info(context.Background(), "replication").Result()
			if strings.Contains(info, "cluster_state:ok") && (strings.Contains(repl, "role:master") || strings.Contains(repl, "master_link_status:up")) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not healthy after a failover test: %s: %s", n.Name, info)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func clusterConfig(t *testing.T) ginsms.RedisConfig {
	return ginsms.RedisConfig{Addrs: redistest.ClusterAddrs(t)}
}

// CLUSTER FAILOVER on the shard holding the total counter, mid-load.
func TestFailoverClusterManual(t *testing.T) {
	failoverOnly(t)
	defer waitClusterHealthy(t)
	e := failoverEnv(t, cluster, clusterConfig(t), 1)
	_, replica := clusterMasterOf(t, e.key("sms_total"))
	const at = time.Second
	l := drive(t, e, phonesN(4000), 6*time.Second, func() {
		if err := replica.Client(t).Do(context.Background(), "cluster", "failover").Err(); err != nil {
			t.Errorf("CLUSTER FAILOVER: %v", err)
		}
	}, at)
	twice := exactlyOnce(t, e, l, true)
	t.Logf("CLUSTER FAILOVER: answers %v; %s; %d phones with a second SMS", l.answers, l.window(at), twice)
	if twice != 0 {
		t.Errorf("%d phones got two SMS", twice)
	}
}

// kill -9 of the master holding the total counter, mid-load: every send needs that node.
// Without replica acknowledgements the 5002 window is the time until the client serves
// from the promoted replica; with them the shard also needs a replica again, so the test
// restarts the killed node 3 s after the kill (it rejoins as the new master's replica).
func TestFailoverClusterKill(t *testing.T) {
	failoverOnly(t)
	for _, acks := range []int{0, 1} {
		t.Run(fmt.Sprintf("replica_acks=%d", acks), func(t *testing.T) {
			defer waitClusterHealthy(t)
			e := failoverEnv(t, cluster, clusterConfig(t), acks)
			master, _ := clusterMasterOf(t, e.key("sms_total"))
			const at = time.Second
			restarted := make(chan struct{})
			l := drive(t, e, phonesN(4000), 10*time.Second, func() {
				master.Kill9(t)
				go func() {
					defer close(restarted)
					if acks > 0 {
						time.Sleep(3 * time.Second)
					}
					master.Restart(t)
				}()
			}, at)
			<-restarted
			twice := exactlyOnce(t, e, l, acks > 0)
			t.Logf("kill -9 of a master, replica_acks=%d: answers %v; %s; %d phones with a second SMS", acks, l.answers, l.window(at), twice)
			if acks > 0 && twice != 0 {
				t.Errorf("%d phones got two SMS with replica acknowledgements", twice)
			}
			if last := l.errAt[len(l.errAt)-1] - at; len(l.errAt) > 0 && acks == 0 && last > 6*time.Second {
				t.Errorf("5002 until %v after the kill: the client must find the promoted replica within seconds", last)
			}
		})
	}
}

// A Cluster master that hangs (SIGSTOP: its port accepts, nothing answers, as a hung host
// or a partition) must not hold requests for go-redis's defaults (a 5 s dial tried five
// times, a 3 s read, a command that never went out tried again up to three times): each
// Redis step ends within redisx.StepTimeout (3 s; NewRedisClient lets the context end
// reads and dials once), so a request fails fast with 5002 (measured 5.3 s before). Each send
// here touches only its phone's shard (the per-IP and total quotas are off), so the note
// also says what the phones of the healthy shards saw until the replica took over.
func TestFailoverClusterStall(t *testing.T) {
	failoverOnly(t)
	defer waitClusterHealthy(t)
	rdb := config.NewRedisClient(clusterConfig(t))
	t.Cleanup(func() { _ = rdb.Close() })
	e := newEnvServing(t, cluster, rdb, rdb, func(c *ginsms.Config) {
		c.SMS.DailyLimitTotal, c.SMS.HourlyLimitPerIP = 0, 0
		c.Destination.Enabled = false // the interval and quotas alone, as in failoverEnv
		c.Logger = slog.New(slog.DiscardHandler)
	})
	phones := phonesN(4000)
	master, _ := clusterMasterOf(t, e.key("sms_{"+phones[0]+"}"))
	cc := rdb.(*redis.ClusterClient)
	onFrozen := map[string]bool{}
	for _, p := range phones {
		node, err := cc.MasterForKey(context.Background(), e.key("sms_{"+p+"}"))
		if err != nil {
			t.Fatal(err)
		}
		onFrozen[p] = node.Options().Addr == master.Addr()
	}
	const at = time.Second
	l := drive(t, e, phones, 9*time.Second, func() {
		thaw := master.Freeze(t)
		time.AfterFunc(5*time.Second, thaw) // it comes back as the promoted replica's replica
	}, at)
	healthy := 0
	for p, n := range l.failed {
		if !onFrozen[p] {
			healthy += n
		}
	}
	t.Logf("SIGSTOP of a master for 5 s: answers %v; %s; %d of the 5002s were phones of the healthy shards",
		l.answers, l.window(at), healthy)
	if l.slowest > 4*time.Second {
		t.Errorf("a request took %v with a master hung: each Redis step must end within about 3 s", l.slowest)
	}
}

// SENTINEL FAILOVER mid-load on the Sentinel set's two replicas. With replica_acks equal
// to the number of replicas (the README's recommendation) no acknowledged send is lost and
// no phone gets a second SMS. With replica_acks 1 the note counts what is lost: the
// replica that is not promoted keeps acknowledging the old primary's writes for a moment,
// then resyncs from the new primary and drops them.
func TestFailoverSentinel(t *testing.T) {
	failoverOnly(t)
	addrs, master := redistest.SentinelAddrs(t)
	for _, acks := range []int{2, 1} {
		t.Run(fmt.Sprintf("replica_acks=%d", acks), func(t *testing.T) {
			e := failoverEnv(t, sentinel, ginsms.RedisConfig{Addrs: addrs, MasterName: master}, acks)
			sentinelClient := redis.NewSentinelClient(&redis.Options{Addr: addrs[0]})
			defer sentinelClient.Close()
			const at = time.Second
			dur := 10 * time.Second
			if acks >= 2 {
				dur = 16 * time.Second // long enough to see the sends come back
			}
			l := drive(t, e, phonesN(4000), dur, func() {
				if err := sentinelClient.Failover(context.Background(), master).Err(); err != nil {
					t.Errorf("SENTINEL FAILOVER: %v", err)
				}
			}, at)
			twice := exactlyOnce(t, e, l, acks >= 2)
			lost := lostSends(t, e, l)
			t.Logf("SENTINEL FAILOVER, 2 replicas, replica_acks=%d: answers %v; %s; %d phones answered 200 whose flag and code are gone; %d phones with a second SMS",
				acks, l.answers, l.window(at), lost, twice)
			if acks >= 2 && (twice != 0 || lost != 0) {
				t.Errorf("replica_acks=%d: %d acknowledged sends lost, %d phones got two SMS", acks, lost, twice)
			}
			waitSentinelHealthy(t, sentinelClient, master)
		})
	}
}

// lostSends counts the phones answered 200 whose send the failover forgot: neither their
// flag nor their code is left (the interval and the code's life outlast the run), or they
// were sent a second SMS (whose flag then stands in for the lost one).
func lostSends(t *testing.T, e *env, l *load) int {
	t.Helper()
	delivered := map[string]int{}
	for _, s := range e.sender.all() {
		delivered[s.phone]++
	}
	lost := 0
	for phone, n := range l.ok {
		if n == 0 {
			continue
		}
		_, flag := e.get("is_send_" + phone)
		_, code := e.get("sms_" + phone)
		if delivered[phone] > 1 || (!flag && !code) {
			lost++
		}
	}
	return lost
}

// waitSentinelHealthy waits until the sentinels see the primary with both replicas in sync.
func waitSentinelHealthy(t *testing.T, s *redis.SentinelClient, master string) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		addr, err := s.GetMasterAddrByName(context.Background(), master).Result()
		if err == nil && len(addr) == 2 {
			c := redis.NewClient(&redis.Options{Addr: addr[0] + ":" + addr[1]})
			repl, _ := c.Info(context.Background(), "replication").Result()
			_ = c.Close()
			if strings.Contains(repl, "role:master") && strings.Contains(repl, "connected_slaves:2") && strings.Count(repl, "state=online") == 2 {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the Sentinel set did not recover a primary with a replica in sync")
}
