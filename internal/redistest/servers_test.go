package redistest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// GINSMS_TEST_PORTS moves the servers' ports; a range that cannot hold them all is refused
// before any server starts, saying what it wants.
func TestServersPortRange(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	for _, bad := range []string{"41000-41005", "80-2000", "41000", "41000-70000"} {
		dir := t.TempDir()
		cmd := exec.Command("bash", "servers.sh", "start", dir)
		cmd.Env = append(os.Environ(), "GINSMS_TEST_PORTS="+bad)
		out, err := cmd.CombinedOutput()
		_ = exec.Command("bash", "servers.sh", "stop", dir).Run()
		if err == nil || !strings.Contains(string(out), "GINSMS_TEST_PORTS="+bad+": want FIRST-LAST") {
			t.Errorf("GINSMS_TEST_PORTS=%s: err %v, output %q; want a refusal naming the setting", bad, err, out)
		}
		if strings.Contains(string(out), "servers up") {
			t.Errorf("GINSMS_TEST_PORTS=%s: servers started", bad)
		}
	}
}
