package config_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ginsms/ginsms/config"
)

// The ginsms settings in a section of the application's own file; the application's
// other keys are its own business.
func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "app")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.yaml")
	_ = os.WriteFile(path, []byte(`
app:
  name: shop
sms_verification:
  sms:
    phone_pattern: '^\+[1-9]\d{6,14}$'   # E.164
    send_interval: 90s
  messages:
    4004: "Too many requests, try again later"
`), 0o600)
	cfg, err := config.Load(path, "sms_verification")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.SMS.PhonePattern, cfg.SMS.SendInterval, cfg.Messages[4004])

	_ = os.WriteFile(path, []byte("sms_verification:\n  sms:\n    code_ttl: 60\n    code_length: 3\n"), 0o600)
	_, err = config.Load(path, "sms_verification")
	fmt.Println(err)
	// Output:
	// ^\+[1-9]\d{6,14}$ 1m30s Too many requests, try again later
	// ginsms: invalid configuration:
	// 	sms_verification.sms.code_ttl: 60 is a bare number: add a unit, e.g. 60s
	// 	sms_verification.sms.code_length: must be 4 to 10, got 3
}
