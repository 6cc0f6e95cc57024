package ginsms_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/middleware"
)

// Mount the whole flow on an application's own Gin engine, then protect its sign-up route.
// This is the README's quick start.
func ExampleRegister() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // the application's Redis
	defer rdb.Close()

	router := gin.New()
	_ = router.SetTrustedProxies(nil) // behind a proxy: its address, so quotas see the real client IP

	cfg := ginsms.DefaultConfig() // or ginsms.LoadConfig("config.yaml")
	cfg.Routes.Prefix = "/api"
	sms, err := ginsms.Register(router, rdb, cfg)
	if err != nil {
		log.Fatal(err)
	}

	router.POST("/api/register", sms.RequireSMSCode(middleware.FieldNames{}), func(c *gin.Context) {
		phone, _ := ginsms.VerifiedPhone(c) // verified and consumed: create the account
		c.JSON(http.StatusOK, gin.H{"registered": phone})
	})

	for _, r := range router.Routes() {
		fmt.Println(r.Method, r.Path)
	}
	// Unordered output:
	// GET /api/image_codes/:uuid
	// GET /api/image_codes/:uuid/
	// GET /api/image_codes/:uuid/audio
	// GET /api/image_codes/:uuid/audio/
	// GET /api/sms_codes/:phone
	// GET /api/sms_codes/:phone/
	// POST /api/sms_codes/:phone
	// POST /api/sms_codes/:phone/
	// POST /api/sms_codes/:phone/verify
	// POST /api/sms_codes/:phone/verify/
	// POST /api/register
}

// An invalid configuration is refused at start-up with the key and the reason.
func ExampleConfig_Validate() {
	cfg := ginsms.DefaultConfig()
	cfg.SMS.CodeLength = 3
	fmt.Println(cfg.Validate())
	// Output:
	// ginsms: invalid configuration: sms.code_length: must be 4 to 10, got 3
}
