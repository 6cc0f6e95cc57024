// Command example serves ginsms on a Gin engine: the captcha, send and verify routes of the
// contract, a /register demo route protected by RequireSMSCode, at / a sign-up page that
// runs the whole flow in a browser (see demo.go), and /healthz, /readyz and /metrics for
// operations (see ops.go).
//
// It reads config.yaml (or the file named by -config) and GINSMS_* environment variables:
// ginsms's settings through config.Load, its own (server, demo) in config.go. With
// redis.addr empty it starts an embedded in-process Redis (miniredis) whose clock follows
// real time, so that it runs on a machine with no Redis installed; that is for demos only:
// the data is lost on exit, and demo mode is switched on (the page shows the SMS the log
// sender "delivered").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/middleware"
	"github.com/ginsms/ginsms/prommetrics"
	"github.com/ginsms/ginsms/sender"
)

func main() {
	configPath := flag.String("config", "config.yaml", "configuration file (YAML); GINSMS_* variables override it")
	flag.Parse()
	logOut := newBufferedLog(os.Stderr)
	slog.SetDefault(slog.New(slog.NewTextHandler(logOut, nil)))
	err := run(*configPath, nil)
	if err != nil {
		slog.Error("example: " + err.Error())
	}
	logOut.Close()
	if err != nil {
		os.Exit(1)
	}
}

// run serves until SIGINT or SIGTERM, then shuts down gracefully. ready, when not nil,
// receives the listening address.
func run(configPath string, ready chan<- string) error {
	app, err := loadAppConfig(configPath)
	if err != nil {
		return err
	}
	cfg, err := config.Load(configPath, "")
	if err != nil {
		return err
	}
	rdb, describe, closeRedis, err := connectRedis(cfg.Redis)
	if err != nil {
		return err
	}
	defer closeRedis()
	if cfg.Redis.Addr == "" && len(cfg.Redis.Addrs) == 0 {
		app.Demo = true // embedded Redis: a demo anyway
	}

	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
	engine, svc, err := buildEngine(app, cfg, rdb)
	if err != nil {
		return err
	}
	// Refuse to serve a set-up that would answer 5002 to every send after spending the
	// user's captcha (a Cluster behind the autopipeliner with templates that split a
	// phone's keys, a Cluster node reached without a cluster client, sms.replica_acks
	// through the autopipeliner over a Cluster): main exits non-zero with the reason.
	checkCtx, cancelCheck := context.WithTimeout(context.Background(), 5*time.Second)
	err = svc.Check(checkCtx)
	cancelCheck()
	if err != nil {
		return fmt.Errorf("start-up check: %w", err)
	}
	ln, err := net.Listen("tcp", app.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (server.addr; GINSMS_SERVER_ADDR=127.0.0.1:9000 moves it): %w", app.Addr, err)
	}
	timeout := cfg.Sender.Timeout
	if timeout == 0 {
		timeout = sender.DefaultConfig().Timeout
	}
	srv := &http.Server{
		Handler:           engine,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      timeout + 10*time.Second,
		IdleTimeout:       60 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	base := "http://" + ln.Addr().String()
	slog.Info("ginsms example listening", "addr", base, "metrics", base+"/metrics", "readyz", base+"/readyz",
		"redis", describe, "sender", cfg.Sender.Kind, "demo_phone", demoPhoneOn(app, cfg))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newEngine builds the Gin engine: recovery, trusted proxies from config (none by default,
// so a forged X-Forwarded-For cannot change the client IP that quotas count), the ginsms
// routes with their Prometheus metrics, /healthz, /readyz and /metrics (ops.go), the demo
// /register route and the sign-up page. When the demo phone is on (see demoPhoneOn) codes
// go through it to the log sender.
func newEngine(app appConfig, cfg ginsms.Config, rdb redis.UniversalClient) (*gin.Engine, error) {
	engine, _, err := buildEngine(app, cfg, rdb)
	return engine, err
}

// buildEngine is newEngine, and also returns the Service, for the start-up check.
func buildEngine(app appConfig, cfg ginsms.Config, rdb redis.UniversalClient) (*gin.Engine, *ginsms.Service, error) {
	engine := gin.New()
	engine.Use(gin.Recovery())
	if err := engine.SetTrustedProxies(app.TrustedProxies); err != nil {
		return nil, nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	var inbox *demoInbox
	if demoPhoneOn(app, cfg) {
		logSender, err := sender.New(sender.Config{Kind: "log", Logger: cfg.Logger})
		if err != nil {
			return nil, nil, err
		}
		inbox = newDemoInbox(logSender, demoInboxSize, cfg.SMS.CodeTTL)
		cfg.Sender.Custom = inbox
	}
	reg := newMetricsRegistry()
	obs, err := prommetrics.New(reg)
	if err != nil {
		return nil, nil, err
	}
	cfg.Observer = obs
	svc, err := ginsms.Register(engine, rdb, cfg)
	if err != nil {
		return nil, nil, err
	}
	mountOps(engine, svc, reg, cfg.Messages)
	engine.POST(cfg.Routes.Prefix+"/register", svc.RequireSMSCode(middleware.FieldNames{}), registerHandler)
	if err := mountDemo(engine, cfg, rdb, inbox); err != nil {
		return nil, nil, err
	}
	return engine, svc, nil
}

// connectRedis returns the configured Redis, or an embedded one when none is configured.
func connectRedis(cfg ginsms.RedisConfig) (rdb redis.UniversalClient, describe string, closeFn func(), err error) {
	if cfg.Addr == "" && len(cfg.Addrs) == 0 {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, "", nil, fmt.Errorf("embedded redis: %w", err)
		}
		stopClock := followRealTime(mr)
		cfg.Addr = mr.Addr()
		rdb = config.NewRedisClient(cfg)
		return rdb, "embedded in-process Redis at " + mr.Addr() + " (demo only, data lost on exit; set redis.addr for a real one)",
			func() { _ = rdb.Close(); stopClock(); mr.Close() }, nil
	}
	base := config.NewRedisClient(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := base.Ping(ctx).Err(); err != nil {
		_ = base.Close()
		return nil, "", nil, fmt.Errorf("redis at %s%v: %w", cfg.Addr, cfg.Addrs, err)
	}
	// Coalesce the commands of concurrent requests into shared pipelines: under load Redis
	// reads and answers many commands per system call (docs/performance.md). The
	// asynchronous face lets the several commands of one ginsms step join one batch.
	// Atomicity is unchanged, it lives in each command and script, and ginsms marks its
	// scripts so that no client, this one included, ever re-sends one.
	ap, err := base.AsyncAutoPipeline()
	if err != nil {
		_ = base.Close()
		return nil, "", nil, fmt.Errorf("redis autopipeline: %w", err)
	}
	return ap, fmt.Sprintf("redis at %s%v, autopipelined", cfg.Addr, cfg.Addrs), func() { _ = base.Close() }, nil
}

// clockTick is how often the embedded Redis's clock catches up with real time.
const clockTick = 100 * time.Millisecond

// followRealTime moves the clock of mr with real time, so that keys expire on schedule:
// miniredis otherwise never lets time pass. It returns a function that stops it.
func followRealTime(mr *miniredis.Miniredis) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(clockTick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case now := <-t.C:
				mr.FastForward(now.Sub(last))
				last = now
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}
