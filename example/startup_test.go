package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ginsms/ginsms/internal/redistest"
)

// The example refuses to start, with the reason, on a set-up where every send would
// answer 5002 after spending the captcha (main then exits 1 with that message); with
// hash-tagged templates the same cluster starts.
func TestStartUpCheckRefuses(t *testing.T) {
	nodes := redistest.ClusterAddrs(t)
	all := strings.Join(nodes, ",")
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string // "" = starts
	}{
		{"cluster, default templates", map[string]string{"GINSMS_REDIS_ADDRS": all},
			`sms.key: "sms_%s" and sms.flag_key "is_send_%s" put one phone's keys in different Redis Cluster slots`},
		{"one cluster node without redis.cluster", map[string]string{"GINSMS_REDIS_ADDR": nodes[0],
			"GINSMS_SMS_KEY": "sms_{%s}", "GINSMS_SMS_FLAG_KEY": "is_send_{%s}"},
			"the server is a Cluster node, and the client does not follow its redirects"},
		{"replica_acks through the autopipeliner over a cluster", map[string]string{"GINSMS_REDIS_ADDRS": all,
			"GINSMS_SMS_KEY": "sms_{%s}", "GINSMS_SMS_FLAG_KEY": "is_send_{%s}", "GINSMS_SMS_REPLICA_ACKS": "1"},
			"sms.replica_acks: on a Cluster it needs a *redis.ClusterClient"},
		{"cluster, hash-tagged templates", map[string]string{"GINSMS_REDIS_ADDRS": all,
			"GINSMS_SMS_KEY": "sms_{%s}", "GINSMS_SMS_FLAG_KEY": "is_send_{%s}"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GINSMS_SERVER_ADDR", "127.0.0.1:0")
			t.Setenv("GINSMS_REDIS_ADDR", "")
			t.Setenv("GINSMS_REDIS_ADDRS", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.want == "" {
				_, stop := startRun(t)
				stop()
				return
			}
			done := make(chan error, 1)
			ready := make(chan string, 1)
			go func() { done <- run("../config.yaml", ready) }()
			select {
			case addr := <-ready:
				t.Fatalf("the example serves on %s a set-up Check refuses", addr)
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "start-up check: ") || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("run = %v, want a start-up check error saying %q", err, tt.want)
				}
				t.Logf("example: %v", err)
			case <-time.After(20 * time.Second):
				t.Fatal("run neither started nor failed")
			}
		})
	}
}
