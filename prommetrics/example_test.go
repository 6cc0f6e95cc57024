package prommetrics_test

import (
	"bufio"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/prommetrics"
)

// The ginsms metrics on a registry of the application's own, served at /metrics beside
// the ginsms routes. (The Redis here is an in-process miniredis, to keep the example
// self-contained.)
func Example() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	rdb := config.NewRedisClient(ginsms.RedisConfig{Addr: mr.Addr()})
	defer rdb.Close()

	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	reg := prometheus.NewRegistry()
	obs, err := prommetrics.New(reg)
	if err != nil {
		log.Fatal(err)
	}
	cfg := ginsms.DefaultConfig()
	cfg.Observer = obs
	if _, err := ginsms.Register(router, rdb, cfg); err != nil {
		log.Fatal(err)
	}
	router.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))

	get := func(path string) string {
		w := httptest.NewRecorder()
		router.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Body.String()
	}
	get("/image_codes/1b4e28ba-2fa1-41d2-883f-0016d3cca427") // a captcha: 200
	get("/sms_codes/13800138000")                            // no captcha answer: 4001
	scanner := bufio.NewScanner(strings.NewReader(get("/metrics")))
	for scanner.Scan() {
		if line := scanner.Text(); strings.HasPrefix(line, "ginsms_requests_total") && !strings.HasSuffix(line, " 0") {
			fmt.Println(line)
		}
	}
	// Output:
	// ginsms_requests_total{code="200",route="image"} 1
	// ginsms_requests_total{code="4001",route="send"} 1
}
