package captcha_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/middleware"
)

func ExampleDefaultConfig() {
	cfg := captcha.DefaultConfig()
	fmt.Println(cfg.Length, cfg.TTL, cfg.Width, cfg.Height, cfg.Key, cfg.HourlyLimitPerIP)
	// Output: 4 5m0s 240 80 img_%s 300
}

func ExampleConfig_Validate() {
	cfg := captcha.DefaultConfig()
	cfg.Length = 0
	err := cfg.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, captcha.ErrInvalidConfig))
	// Output:
	// ginsms: invalid configuration: captcha.length: must be 1 to 10, got 0
	// true
}

// ExampleNewHandler mounts the captcha routes and guards a route with the captcha, as
// ginsms.Register does. It needs a Redis, so it is compiled but not run.
func ExampleNewHandler() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := captcha.NewStore(rdb, captcha.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	h, err := captcha.NewHandler(store, middleware.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	guard, err := middleware.CaptchaGuard(store, middleware.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.GET("/image_codes/:uuid", h.Image)
	r.GET("/image_codes/:uuid/audio", h.Audio)
	r.POST("/register", guard, func(c *gin.Context) { c.String(200, "captcha solved") })
	_ = r.Run(":8080")
}
