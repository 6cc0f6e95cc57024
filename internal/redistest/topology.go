package redistest

// Besides the single server, `make test` starts with servers.sh a Redis Cluster (6 nodes: 3
// masters, 3 replicas, cluster-node-timeout 1000 ms) and a Sentinel set (a primary, its two
// replicas and 3 sentinels monitoring it as GINSMS_TEST_SENTINEL_MASTER, down-after 1000 ms),
// all on loopback ports. The helpers below connect tests to them, skipping a test (failing
// it under CI=true) when `make test` did not start them, like Addr.
//
// A failover test can kill a server with Server.Kill9 and bring it back with Server.Restart.
// That disturbs every test using the same cluster or Sentinel set meanwhile, whichever its
// package: such a test should only kill a master when nothing else uses that set.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Environment variables set by `make test` (internal/redistest/servers.sh).
const (
	// ClusterAddrsEnv holds the cluster nodes' host:port, comma-separated (all 6).
	ClusterAddrsEnv = "GINSMS_TEST_CLUSTER_ADDRS"
	// SentinelAddrsEnv holds the sentinels' host:port, comma-separated.
	SentinelAddrsEnv = "GINSMS_TEST_SENTINEL_ADDRS"
	// SentinelMasterEnv holds the name under which the sentinels monitor the primary.
	SentinelMasterEnv = "GINSMS_TEST_SENTINEL_MASTER"
	// ServersDirEnv holds the folder with one subfolder per server (see Server).
	ServersDirEnv = "GINSMS_TEST_SERVERS_DIR"
)

// env returns the value of the environment variable name, skipping (or, under CI, failing)
// tb without it; what says what `make test` starts for it.
func env(tb testing.TB, name, what string) string {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: run the suite with `make test`, which starts %s", name, what)
		}
		tb.Skipf("%s is not set: run `make test` (it starts %s) to run this test", name, what)
	}
	return v
}

// ClusterAddrs returns the addresses of the test cluster's 6 nodes.
func ClusterAddrs(tb testing.TB) []string {
	tb.Helper()
	return strings.Split(env(tb, ClusterAddrsEnv, "a throwaway Redis Cluster"), ",")
}

// ClusterClient returns a client of the test cluster, closed when the test ends. It has
// pinged the cluster.
func ClusterClient(tb testing.TB, opts ...func(*redis.ClusterOptions)) *redis.ClusterClient {
	tb.Helper()
	o := &redis.ClusterOptions{Addrs: ClusterAddrs(tb), PoolSize: 64}
	for _, f := range opts {
		f(o)
	}
	rdb := redis.NewClusterClient(o)
	tb.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("redis cluster at %v: %v", o.Addrs, err)
	}
	return rdb
}

// SentinelAddrs returns the addresses of the test sentinels and the name under which they
// monitor the primary.
func SentinelAddrs(tb testing.TB) (addrs []string, master string) {
	tb.Helper()
	addrs = strings.Split(env(tb, SentinelAddrsEnv, "a throwaway Sentinel set"), ",")
	return addrs, env(tb, SentinelMasterEnv, "a throwaway Sentinel set")
}

// FailoverClient returns a Sentinel-backed client of the test primary, closed when the test
// ends. It has pinged the primary.
func FailoverClient(tb testing.TB, opts ...func(*redis.FailoverOptions)) *redis.Client {
	tb.Helper()
	addrs, master := SentinelAddrs(tb)
	o := &redis.FailoverOptions{MasterName: master, SentinelAddrs: addrs, PoolSize: 64}
	for _, f := range opts {
		f(o)
	}
	rdb := redis.NewFailoverClient(o)
	tb.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("redis primary %q of sentinels %v: %v", o.MasterName, o.SentinelAddrs, err)
	}
	return rdb
}

// ServersDir returns the folder under which `make test` started its servers.
func ServersDir(tb testing.TB) string {
	tb.Helper()
	return env(tb, ServersDirEnv, "throwaway Redis servers")
}

// Server is one of the servers that `make test` started. Its folder holds its redis.conf,
// port, pid (while it runs), log and start.sh, which starts it again with the same config (a
// cluster node keeps its nodes.conf, so it rejoins the cluster).
type Server struct {
	Name string // its folder's name: "cluster-1" to "cluster-6", "primary", "replica", "replica2"
	Dir  string // its folder
	Port int
}

// Addr returns the server's host:port.
func (s Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// PIDFile returns the path of the file holding the server's process id.
func (s Server) PIDFile() string { return filepath.Join(s.Dir, "pid") }

// StartScript returns the path of the script that starts the server again.
func (s Server) StartScript() string { return filepath.Join(s.Dir, "start.sh") }

// ClusterNodes returns the 6 nodes of the test cluster, as started: ask Role which are
// masters now.
func ClusterNodes(tb testing.TB) []Server {
	tb.Helper()
	dir := ServersDir(tb)
	folders, _ := filepath.Glob(filepath.Join(dir, "cluster-*"))
	var nodes []Server
	for _, f := range folders {
		if info, err := os.Stat(f); err == nil && info.IsDir() {
			nodes = append(nodes, server(tb, dir, filepath.Base(f)))
		}
	}
	if len(nodes) == 0 {
		tb.Fatalf("no cluster node under %s", dir)
	}
	sort.Slice(nodes, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(nodes[i].Name, "cluster-"))
		b, _ := strconv.Atoi(strings.TrimPrefix(nodes[j].Name, "cluster-"))
		return a < b
	})
	return nodes
}

// SentinelNodes returns the three redis-servers that the sentinels monitor, as started:
// after a failover their roles change (ask Role, or the sentinels, which is the primary now).
func SentinelNodes(tb testing.TB) (primary Server, replicas []Server) {
	tb.Helper()
	dir := ServersDir(tb)
	return server(tb, dir, "primary"), []Server{server(tb, dir, "replica"), server(tb, dir, "replica2")}
}

func server(tb testing.TB, dir, name string) Server {
	tb.Helper()
	d := filepath.Join(dir, name)
	b, err := os.ReadFile(filepath.Join(d, "port"))
	if err != nil {
		tb.Fatalf("server %s: %v", name, err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		tb.Fatalf("server %s: bad port file: %v", name, err)
	}
	return Server{Name: name, Dir: d, Port: port}
}

// Client returns a client of this very server (no cluster or Sentinel routing), closed when
// the test ends.
func (s Server) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Role returns the server's current role, as ROLE answers it: "master" or "slave".
func (s Server) Role(tb testing.TB) string {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	v, err := rdb.Do(context.Background(), "ROLE").Slice()
	if err != nil || len(v) == 0 {
		tb.Fatalf("ROLE of %s (%s): %v", s.Name, s.Addr(), err)
	}
	role, _ := v[0].(string)
	return role
}

// Kill9 kills the server with SIGKILL, as a crash would, and returns once its port refuses
// connections. Its pid file is removed, so a second Kill9 fails rather than kill another
// process.
func (s Server) Kill9(tb testing.TB) {
	tb.Helper()
	b, err := os.ReadFile(s.PIDFile())
	if err != nil {
		tb.Fatalf("kill %s: not running? %v", s.Name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		tb.Fatalf("kill %s: bad pid file: %v", s.Name, err)
	}
	p, err := os.FindProcess(pid)
	if err == nil {
		err = p.Kill()
	}
	if err != nil {
		tb.Fatalf("kill %s (pid %d): %v", s.Name, pid, err)
	}
	_ = os.Remove(s.PIDFile())
	waitFor(tb, 10*time.Second, fmt.Sprintf("%s (%s) to refuse connections", s.Name, s.Addr()), func() bool {
		c, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err != nil {
			return true
		}
		_ = c.Close()
		return false
	})
}

// Freeze stops the server with SIGSTOP, as a hung host or a network partition would: its
// port still accepts connections (the kernel's backlog) but nothing is answered, so only
// the client's timeouts end a request. It returns a function that resumes it (SIGCONT).
func (s Server) Freeze(tb testing.TB) (thaw func()) {
	tb.Helper()
	b, err := os.ReadFile(s.PIDFile())
	if err != nil {
		tb.Fatalf("freeze %s: not running? %v", s.Name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		tb.Fatalf("freeze %s: bad pid file: %v", s.Name, err)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		tb.Fatalf("freeze %s (pid %d): %v", s.Name, pid, err)
	}
	var once sync.Once
	thaw = func() { once.Do(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) }
	tb.Cleanup(thaw)
	return thaw
}

// Restart starts the server again with its start.sh and returns once it answers PING. A
// cluster node or a replica may still be syncing then: wait for what the test needs (such as
// master_link_status:up).
func (s Server) Restart(tb testing.TB) {
	tb.Helper()
	if out, err := exec.Command(s.StartScript()).CombinedOutput(); err != nil {
		tb.Fatalf("restart %s: %v\n%s", s.Name, err, out)
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	waitFor(tb, 10*time.Second, fmt.Sprintf("%s (%s) to answer PING", s.Name, s.Addr()), func() bool {
		_, err := os.Stat(s.PIDFile())
		return err == nil && rdb.Ping(context.Background()).Err() == nil
	})
}

// waitFor polls ok every 50 ms until it holds, failing tb after timeout.
func waitFor(tb testing.TB, timeout time.Duration, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
