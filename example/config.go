package main

import (
	"fmt"
	"strings"

	"github.com/spf13/viper"
)

// appConfig holds the example server's own settings, read from the top level of the
// same config.yaml as ginsms's (config.Load ignores keys it does not own), with the
// same GINSMS_ environment overrides, e.g. GINSMS_SERVER_ADDR=127.0.0.1:9000.
type appConfig struct {
	// Addr is where the server listens. Default: ":8080".
	Addr string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed when the client IP
	// is taken for per-IP quotas. Default: none, so a forged header changes nothing.
	TrustedProxies []string
	// Demo shows the SMS of the log sender in the page (always on with the embedded Redis).
	Demo bool
}

func loadAppConfig(path string) (appConfig, error) {
	v := viper.New()
	v.SetEnvPrefix("GINSMS")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	v.SetDefault("server.addr", ":8080")
	v.SetDefault("server.trusted_proxies", []string{})
	v.SetDefault("demo", false)
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return appConfig{}, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	var proxies []string
	for _, p := range v.GetStringSlice("server.trusted_proxies") { // "a,b" from the environment
		for _, q := range strings.Split(p, ",") {
			if q = strings.TrimSpace(q); q != "" {
				proxies = append(proxies, q)
			}
		}
	}
	return appConfig{Addr: v.GetString("server.addr"), TrustedProxies: proxies, Demo: v.GetBool("demo")}, nil
}
