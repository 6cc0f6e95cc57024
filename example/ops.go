package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/contract"
)

// The operations routes, at the root whatever routes.prefix is (docs/operations.md):
//
//	GET /healthz   200 {"status":"ok"} while the process serves: a liveness probe
//	GET /readyz    200 {"code":200,"errormsg":"ok"} when Service.Check passes within
//	               readyTimeout, else 503 {"code":5002,"errormsg":"服务暂不可用"} (the text of
//	               messages[5002] when configured): a readiness probe
//	GET /metrics   the ginsms metrics (package prommetrics) and the Go and process
//	               collectors, in the Prometheus exposition format
//
// /readyz answers 503 even with sms.legacy_status: a probe reads the status, not the
// body, and legacy_status is for the original client of the four ginsms routes.
// Like the demo routes they are served on the public address; behind a proxy, keep
// /metrics to the network Prometheus scrapes from.

// readyTimeout bounds one Service.Check of /readyz; a probe's own timeout should be
// longer (Kubernetes: timeoutSeconds: 2).
const readyTimeout = time.Second

// newMetricsRegistry returns the example's registry: the Go and process collectors;
// newEngine adds the ginsms metrics.
func newMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// mountOps serves /healthz, /readyz (Check of svc) and /metrics (reg).
func mountOps(engine *gin.Engine, svc *ginsms.Service, reg *prometheus.Registry, messages map[int]string) {
	engine.GET("/healthz", func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	ready, unavailable := message(messages, contract.CodeOK), message(messages, contract.CodeStorageDown)
	engine.GET("/readyz", func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
		defer cancel()
		if err := svc.Check(ctx); err != nil {
			slog.WarnContext(ctx, "readyz: not ready", "err", err)
			c.JSON(http.StatusServiceUnavailable, gin.H{"code": 5002, "errormsg": unavailable})
			return
		}
		c.JSON(http.StatusOK, gin.H{"code": 200, "errormsg": ready})
	})
	engine.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
}

// message is the errormsg of code: messages' text when configured, else the contract's.
func message(messages map[int]string, code contract.Code) string {
	if m := messages[int(code)]; m != "" {
		return m
	}
	return code.DefaultText()
}
