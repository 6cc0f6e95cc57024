package ginsms_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/sender"
)

// TestMain lets the test binary serve as one of several app servers (see
// TestSeveralAppServers) when GINSMS_TEST_APP_SERVER names a topology, or as the
// siteverify stub of BenchmarkHumanCheck when GINSMS_TEST_SITEVERIFY_STUB is set.
func TestMain(m *testing.M) {
	if os.Getenv(siteVerifyStubEnv) != "" {
		serveSiteVerifyStub()
		return
	}
	if name := os.Getenv("GINSMS_TEST_APP_SERVER"); name != "" {
		if err := serveApp(name); err != nil {
			fmt.Fprintln(os.Stderr, "app server:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// startChild runs this test binary again with env, as the server TestMain picks by it,
// and returns the address it prints first; the child serves until the test ends (its
// standard input closes).
func startChild(tb testing.TB, what string, env ...string) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("%s did not start: %v", what, err)
	}
	return strings.TrimSpace(line)
}

// serveApp mounts ginsms on the named topology's Redis, keys under
// GINSMS_TEST_APP_PREFIX, codes to the webhook at GINSMS_TEST_APP_WEBHOOK; prints its
// address and serves until its standard input closes.
func serveApp(name string) error {
	top, rc := single, ginsms.RedisConfig{Addr: os.Getenv(redistest.AddrEnv)}
	if name == "cluster" {
		top, rc = cluster, ginsms.RedisConfig{Addrs: strings.Split(os.Getenv(redistest.ClusterAddrsEnv), ",")}
	}
	rdb := config.NewRedisClient(rc)
	defer rdb.Close()
	cfg := testConfig(os.Getenv("GINSMS_TEST_APP_PREFIX"), top)
	cfg.SMS.HourlyLimitPerIP = 0
	// 600 concurrent sends with distinct captchas, 12 per phone: the 11 of each phone that
	// the interval refuses hold an overall count for one round trip each, enough to fill
	// destination.total_limit for an instant. The interval is what is measured here.
	cfg.Destination.TotalLimit = 0
	cfg.Sender = sender.DefaultConfig()
	cfg.Sender.Kind = "webhook"
	cfg.Sender.Webhook.URL = os.Getenv("GINSMS_TEST_APP_WEBHOOK")
	cfg.Sender.Webhook.Secret = "a-long-enough-shared-secret-0123456789"
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	if _, err := ginsms.Register(router, rdb, cfg); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); _ = ln.Close() }()
	_ = http.Serve(ln, router)
	return nil
}

// Several app servers (processes) on one Redis: however the requests for one phone are
// spread over them, one SMS per phone.
func TestSeveralAppServers(t *testing.T) {
	for _, top := range []topology{single, cluster} {
		t.Run(top.name, func(t *testing.T) {
			rdb := top.client(t)
			prefix := redistest.Prefix()
			e := &env{t: t, rdb: rdb, prefix: prefix, top: top}
			t.Cleanup(e.deleteKeys)
			var mu sync.Mutex
			delivered := map[string]int{}
			provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var m struct{ Phone string }
				_ = json.NewDecoder(r.Body).Decode(&m)
				mu.Lock()
				delivered[m.Phone]++
				mu.Unlock()
			}))
			defer provider.Close()

			var addrs []string
			for range 3 {
				addrs = append(addrs, startChild(t, "app server", "GINSMS_TEST_APP_SERVER="+top.name,
					"GINSMS_TEST_APP_PREFIX="+prefix, "GINSMS_TEST_APP_WEBHOOK="+provider.URL))
			}

			const phones, perPhone = 50, 12
			for i := range phones * perPhone {
				e.seedCaptcha(uuidN(i), "1234")
			}
			codes := runConcurrently(phones*perPhone, func(i int) int {
				target := fmt.Sprintf("http://%s/sms_codes/%s?imgcode=1234&uuid=%s", addrs[i%3], phoneN(i%phones), uuidN(i))
				resp, err := http.Get(target)
				if err != nil {
					return -1
				}
				defer resp.Body.Close()
				var b struct{ Code int }
				_ = json.NewDecoder(resp.Body).Decode(&b)
				return b.Code
			})
			if codes[200] != phones || codes[4004] != phones*(perPhone-1) {
				t.Fatalf("answers over 3 app servers = %v, want %d × 200 and the rest 4004", codes, phones)
			}
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			for i := range phones {
				if n := delivered[phoneN(i)]; n != 1 {
					t.Errorf("%s got %d SMS from 3 app servers, want 1", phoneN(i), n)
				}
			}
		})
	}
}
