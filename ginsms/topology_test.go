package ginsms_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
)

// A Cluster with the default templates would answer every send and verify CROSSSLOT after
// consuming the captcha: New refuses it when it sees a cluster client, Check when the
// cluster hides behind an autopipeliner or a plain client of one node.
func TestClusterTemplatesRefused(t *testing.T) {
	cc := redistest.ClusterClient(t)
	cfg := ginsms.DefaultConfig()
	cfg.Sender.Custom = &recordingSender{}
	_, err := ginsms.New(cc, cfg)
	if !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), "sms.key") || !strings.Contains(err.Error(), `"sms_{%s}"`) {
		t.Fatalf("New on a cluster with the default templates = %v, want an error naming sms.key and the fix", err)
	}
	ctx := context.Background()
	ap, err := cc.AsyncAutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := ginsms.New(ap, cfg)
	if err != nil {
		t.Fatalf("New cannot see the cluster behind an autopipeliner: %v", err)
	}
	if err := svc.Check(ctx); !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), "sms.key") {
		t.Fatalf("Check through an autopipeliner = %v, want the templates refused", err)
	}
	cfg.SMS.Key, cfg.SMS.FlagKey = "sms_{%s}", "is_send_{%s}"
	svc, err = ginsms.New(ap, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Check(ctx); err != nil {
		t.Fatalf("Check with hash-tagged templates through an autopipeliner = %v", err)
	}
	// One node's address in a plain client: redirects are not followed.
	plain := redis.NewClient(&redis.Options{Addr: redistest.ClusterAddrs(t)[0]})
	defer plain.Close()
	svc, err = ginsms.New(plain, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Check(ctx); !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), "cluster client") {
		t.Fatalf("Check with a plain client of a cluster node = %v, want a refusal naming the fix", err)
	}
	// And the library's own client for one seed address, told it is a cluster, works.
	seed := config.NewRedisClient(ginsms.RedisConfig{Addr: redistest.ClusterAddrs(t)[0], Cluster: true})
	defer seed.Close()
	if svc, err = ginsms.New(seed, cfg); err != nil {
		t.Fatal(err)
	}
	if err := svc.Check(ctx); err != nil {
		t.Fatalf("Check with NewRedisClient(cluster: true) = %v", err)
	}
}

// Check loads what a server lacks, and reports an unreachable Redis as a storage error.
func TestCheck(t *testing.T) {
	onTopologies(t, func(t *testing.T, top topology) {
		e := newEnvOn(t, top, nil)
		ctx := context.Background()
		if err := e.service.Check(ctx); err != nil {
			t.Fatalf("Check = %v", err)
		}
		check := func(ctx context.Context, rdb redis.UniversalClient) error {
			exists, err := rdb.ScriptExists(ctx, ginsms.ScriptHash("store_code"), ginsms.ScriptHash("verify_code")).Result()
			if err != nil || !exists[0] || !exists[1] {
				t.Errorf("scripts after Check: %v %v", exists, err)
			}
			return nil
		}
		if cc, ok := e.rdb.(*redis.ClusterClient); ok { // on every master (the cluster's own SCRIPT EXISTS misreports)
			_ = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return check(ctx, n) })
		} else {
			_ = check(ctx, e.rdb)
		}
	})
	svc, err := ginsms.New(redistest.DeadClient(t), ginsms.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Check(context.Background()); !errors.Is(err, ginsms.ErrStorage) {
		t.Fatalf("Check with Redis down = %v, want ErrStorage", err)
	}
}

// A node that cannot be reached is an error, never a quota skipped: the read of the
// per-IP counter on a dead node answers 5002, and the captcha is left alone.
func TestClusterNodeDownIsAnError(t *testing.T) {
	ctx := context.Background()
	healthy := redistest.ClusterClient(t)
	e := newEnvOn(t, cluster, nil)
	// Pick a client IP whose counter lives on another master than the phone's keys.
	phoneNode, err := healthy.MasterForKey(ctx, e.key("sms_"+testPhone))
	if err != nil {
		t.Fatal(err)
	}
	var ip, blocked string
	for i := 1; i < 255 && blocked == ""; i++ {
		candidate := fmt.Sprintf("198.51.100.%d", i)
		node, err := healthy.MasterForKey(ctx, e.key("sms_ip:"+candidate))
		if err != nil {
			t.Fatal(err)
		}
		if addr := node.Options().Addr; addr != phoneNode.Options().Addr {
			ip, blocked = candidate, addr
		}
	}
	cut := redis.NewClusterClient(&redis.ClusterOptions{Addrs: redistest.ClusterAddrs(t),
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == blocked {
				return nil, errors.New("connect: connection refused (node down in the test)")
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}})
	defer cut.Close()
	e2 := newEnvServing(t, cluster, healthy, cut, nil)
	e2.seedCaptcha(uuidN(1), "1234")
	got := performRequest(e2.router, "GET", "/sms_codes/"+testPhone+"?imgcode=1234&uuid="+uuidN(1), "", "", "RemoteAddr", ip+":1")
	if got.Code != 5002 {
		t.Fatalf("send whose IP counter is on a dead node = %+v, want 5002", got)
	}
	if _, ok := e2.get("img_" + uuidN(1)); !ok {
		t.Error("the captcha was consumed although the limiter failed")
	}
	if n := len(e2.sender.all()); n != 0 {
		t.Fatalf("sent %d", n)
	}
}

// With sms.replica_acks, a code goes out only once replicas hold it; when they do not
// acknowledge in time, the send is taken back and answered 5002, no SMS sent.
func TestReplicaAcks(t *testing.T) {
	for _, top := range []topology{sentinel, cluster} {
		t.Run(top.name, func(t *testing.T) {
			e := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.ReplicaAcks = 1; c.SMS.DailyLimitTotal = 100 })
			if got := e.sendGET(testPhone, "", ""); got.Code != 4001 {
				t.Fatal(got)
			}
			e.seedCaptcha(uuidN(1), "1234")
			if got := e.sendGET(testPhone, uuidN(1), "1234"); got.Code != 200 {
				t.Fatalf("send with one replica acknowledging = %+v, want 200", got)
			}
			// More replicas are asked for than exist (the Sentinel set has two, each
			// cluster master one): nothing is sent; the flag and the code are taken back,
			// so the phone may try again at once, but the counts are kept: a failover may
			// have lost the write, and a give-back on the promoted replica would then
			// credit a count it never held.
			more := 2
			if top.name == "sentinel" {
				more = 3
			}
			e2 := newEnvOn(t, top, func(c *ginsms.Config) { c.SMS.ReplicaAcks = more; c.SMS.DailyLimitTotal = 100 })
			e2.seedCaptcha(uuidN(2), "1234")
			if got := e2.sendGET(testPhone, uuidN(2), "1234"); got.Code != 5002 {
				t.Fatalf("send without enough replicas = %+v, want 5002", got)
			}
			for _, name := range []string{"is_send_" + testPhone, "sms_" + testPhone} {
				if _, ok := e2.get(name); ok {
					t.Fatalf("%s left by an unreplicated send: %v", name, e2.keys())
				}
			}
			if total, _ := e2.get("sms_total"); total != "1" {
				t.Fatalf("sms_total after an unreplicated send = %q, want the count kept (1)", total)
			}
			if n := len(e2.sender.all()); n != 0 {
				t.Fatalf("sent %d SMS for an unreplicated code", n)
			}
		})
	}
}
