package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/config"
)

// The human-check kinds' settings load from config.yaml and the environment, and a kind
// without its secret stops start-up naming the key.
func TestLoadKinds(t *testing.T) {
	t.Setenv("GINSMS_CAPTCHA_KIND", "turnstile")
	t.Setenv("GINSMS_CAPTCHA_TURNSTILE_SECRET", "1x0000000000000000000000000000000AA")
	t.Setenv("GINSMS_CAPTCHA_TURNSTILE_TIMEOUT", "2s")
	cfg, err := config.Load("../config.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Captcha.Kind != "turnstile" || cfg.Captcha.Turnstile.Secret != "1x0000000000000000000000000000000AA" ||
		cfg.Captcha.Turnstile.Timeout != 2*time.Second || cfg.Captcha.Altcha.MaxNumber != captcha.DefaultAltchaMaxNumber {
		t.Fatalf("loaded %+v", cfg.Captcha)
	}
	t.Setenv("GINSMS_CAPTCHA_KIND", "altcha")
	_, err = config.Load("../config.yaml", "")
	if err == nil || !strings.Contains(err.Error(), "captcha.altcha.hmac_key: must be at least 32 bytes") {
		t.Fatalf("altcha without its key: %v", err)
	}
}
