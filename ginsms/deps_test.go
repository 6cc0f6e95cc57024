package ginsms_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The core imports what every application needs and no more: the file loader (viper and
// what it pulls in) lives in package config, the metrics library in prommetrics, so an
// application that configures ginsms in Go does not compile them.
func TestCoreDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/ginsms/ginsms/ginsms").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/spf13/", "github.com/go-viper/", "github.com/fsnotify/", "github.com/sagikazarmark/",
			"github.com/prometheus/", "github.com/ginsms/ginsms/config"} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("the core package depends on %s", pkg)
			}
		}
	}
}
