package redistest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/redistest"
)

// The cluster `make test` started is healthy on every node, and a ClusterClient reads back
// what it wrote in each master's slots, from that very master.
func TestClusterServesEveryMaster(t *testing.T) {
	ctx := context.Background()
	nodes := redistest.ClusterNodes(t)
	if len(nodes) != 6 {
		t.Fatalf("%d cluster nodes, want 6", len(nodes))
	}
	for _, n := range nodes {
		info, err := n.Client(t).ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatalf("CLUSTER INFO on %s: %v", n.Name, err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			t.Errorf("CLUSTER INFO on %s:\n%s", n.Name, info)
		}
	}

	rdb := redistest.ClusterClient(t)
	prefix := redistest.Prefix()
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	masters := map[string]bool{}
	for _, r := range slots {
		master := r.Nodes[0].Addr
		masters[master] = true
		key := ""
		for i := 0; key == ""; i++ {
			if i == 10000 {
				t.Fatalf("no key found for slots %d-%d", r.Start, r.End)
			}
			k := fmt.Sprintf("%s%d", prefix, i)
			slot, err := rdb.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if int(slot) >= r.Start && int(slot) <= r.End {
				key = k
			}
		}
		t.Cleanup(func() { rdb.Del(context.Background(), key) })
		want := "on " + master
		if err := rdb.Set(ctx, key, want, time.Minute).Err(); err != nil {
			t.Fatalf("SET %s (slots %d-%d of %s): %v", key, r.Start, r.End, master, err)
		}
		if got, err := rdb.Get(ctx, key).Result(); err != nil || got != want {
			t.Fatalf("GET %s = %q, %v; want %q", key, got, err, want)
		}
		direct := redis.NewClient(&redis.Options{Addr: master})
		got, err := direct.Get(ctx, key).Result()
		_ = direct.Close()
		if err != nil || got != want {
			t.Fatalf("GET %s on %s itself = %q, %v; want %q", key, master, got, err, want)
		}
	}
	if len(masters) != 3 {
		t.Fatalf("slots served by %d masters, want 3: %v", len(masters), slots)
	}
}

// The FailoverClient writes to the primary, and both replicas the sentinels know have the
// write once WAIT 2 returns.
func TestFailoverClientWritesReachTheReplica(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.FailoverClient(t)
	key := redistest.Prefix() + "k"
	t.Cleanup(func() { rdb.Del(context.Background(), key) })

	conn := rdb.Conn() // WAIT counts the writes of its own connection
	defer conn.Close()
	if err := conn.Set(ctx, key, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := conn.Wait(ctx, 2, 5*time.Second).Result(); err != nil || n < 2 {
		t.Fatalf("WAIT 2 = %d, %v", n, err)
	}

	addrs, master := redistest.SentinelAddrs(t)
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: addrs[0]})
	defer sentinel.Close()
	replicas, err := sentinel.Replicas(ctx, master).Result()
	if err != nil || len(replicas) != 2 {
		t.Fatalf("SENTINEL REPLICAS %s = %v, %v; want two", master, replicas, err)
	}
	for _, r := range replicas {
		replica := redis.NewClient(&redis.Options{Addr: r["ip"] + ":" + r["port"]})
		defer replica.Close()
		role, err := replica.Do(ctx, "ROLE").Slice()
		if err != nil || len(role) == 0 || role[0] != "slave" {
			t.Fatalf("ROLE of the replica = %v, %v", role, err)
		}
		if got, err := replica.Get(ctx, key).Result(); err != nil || got != "v" {
			t.Fatalf("GET %s on the replica = %q, %v", key, got, err)
		}
	}
}

// A cluster replica killed with kill -9 comes back with Restart, synced with its master
// again. (A replica, not a master: tests using the cluster meanwhile are not disturbed.)
func TestKilledClusterReplicaRestarts(t *testing.T) {
	ctx := context.Background()
	var replica redistest.Server
	for _, n := range redistest.ClusterNodes(t) {
		if n.Role(t) == "slave" {
			replica = n
			break
		}
	}
	if replica.Name == "" {
		t.Fatal("no cluster replica")
	}

	replica.Kill9(t)
	if err := replica.Client(t).Ping(ctx).Err(); err == nil {
		t.Fatalf("%s still answers after Kill9", replica.Name)
	}
	replica.Restart(t)

	rdb := replica.Client(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := rdb.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not synced 30 s after its restart: %v\n%s", replica.Name, err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Leave the cluster as found: no node still flags the replica as failing.
	for _, n := range redistest.ClusterNodes(t) {
		c := n.Client(t)
		for {
			nodes, err := c.ClusterNodes(ctx).Result()
			if err == nil && !flagged(nodes, replica.Addr()) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still sees %s failing: %v\n%s", n.Name, replica.Name, err, nodes)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// flagged tells whether CLUSTER NODES shows the node at addr as failing or disconnected.
func flagged(nodes, addr string) bool {
	for _, line := range strings.Split(nodes, "\n") {
		f := strings.Fields(line)
		if len(f) >= 8 && strings.HasPrefix(f[1], addr+"@") {
			return strings.Contains(f[2], "fail") || f[7] != "connected"
		}
	}
	return true
}
