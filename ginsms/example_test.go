package ginsms_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/config"
	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/middleware"
	"github.com/ginsms/ginsms/sender"
)

// Mount the whole flow on an application's own Gin engine, then protect its sign-up route.
// This is the README's quick start.
func ExampleRegister() {
	rdb := config.NewRedisClient(ginsms.RedisConfig{Addr: "127.0.0.1:6379"}) // the application's Redis
	defer rdb.Close()

	router := gin.New()
	_ = router.SetTrustedProxies(nil) // behind a proxy: its address, so quotas see the real client IP

	cfg := ginsms.DefaultConfig() // or config.Load("config.yaml", "")
	cfg.Routes.Prefix = "/api"
	sms, err := ginsms.Register(router, rdb, cfg)
	if err != nil {
		log.Fatal(err)
	}
	// At start-up, refuse to serve when Redis does not answer or the set-up would fail every
	// send (the example server exits 1 with the message); also from a readiness probe:
	//	if err := sms.Check(ctx); err != nil { log.Fatal(err) }

	router.POST("/api/register", sms.RequireSMSCode(middleware.FieldNames{}), func(c *gin.Context) {
		// Verified and consumed: create the account. RequireSMSCode stops every other request.
		phone, ok := ginsms.VerifiedPhone(c)
		if !ok {
			return
		}
		var form struct {
			Username string `json:"username" form:"username"` // the body is still whole
		}
		_ = c.ShouldBind(&form)
		c.JSON(http.StatusOK, gin.H{"registered": phone, "username": form.Username})
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

// The send route's guards on a path of the application's choosing, with its own final
// handler: SendGuards carry every setting of the Service, SendCode stores and sends.
func ExampleService_SendCode() {
	rdb := config.NewRedisClient(ginsms.RedisConfig{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	sms, err := ginsms.New(rdb, ginsms.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	router := gin.New()
	router.POST("/signup/otp/:phone", append(sms.SendGuards(), func(c *gin.Context) {
		err := sms.SendCode(c.Request.Context(), middleware.Phone(c), c.ClientIP())
		if wait, ok := ginsms.RetryAfter(err); ok {
			c.Header("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		}
		switch {
		case err == nil:
			c.JSON(http.StatusOK, gin.H{"sent": true})
		case errors.Is(err, ginsms.ErrTooFrequent):
			c.JSON(http.StatusTooManyRequests, gin.H{"sent": false})
		case errors.Is(err, ginsms.ErrDestinationRefused): // a blocked range or country, or a rule
			c.JSON(http.StatusForbidden, gin.H{"sent": false})
		case errors.Is(err, ginsms.ErrSendFailed): // refused (retry now) or unknown (see Retry-After)
			c.JSON(http.StatusBadGateway, gin.H{"sent": false})
		default: // ginsms.ErrStorage: no SMS went out
			c.JSON(http.StatusServiceUnavailable, gin.H{"sent": false})
		}
	})...)
	// Or the whole send route, answering as Register's does:
	router.POST("/signup/code/:phone", sms.SendRoute()...)
}

// The destination guard of an international deployment, and an operator's route that
// lifts a block which hit real users.
func ExampleService_Unblock() {
	rdb := config.NewRedisClient(ginsms.RedisConfig{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	cfg := ginsms.DefaultConfig()
	cfg.SMS.PhonePattern = `^\+[1-9]\d{6,14}$` // E.164: parsed for country and number type
	cfg.Destination.HomeCountry = "GB"         // other countries get a counter of their own
	cfg.Destination.DenyCountries = []string{"KP"}
	cfg.Destination.TestNumbers = map[string]string{"+447700900001": "246810"} // app-store review
	router := gin.New()
	sms, err := ginsms.Register(router, rdb, cfg)
	if err != nil {
		log.Fatal(err)
	}
	admin := router.Group("/admin", gin.BasicAuth(gin.Accounts{"ops": os.Getenv("OPS_PASSWORD")}))
	admin.POST("/unblock/:phone", func(c *gin.Context) {
		// Lifts the block of the phone's range (and of its country, if foreign).
		if err := sms.Unblock(c.Request.Context(), c.Param("phone")); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"unblocked": false})
			return
		}
		c.JSON(http.StatusOK, gin.H{"unblocked": true})
	})
}

// Checking a code from Go, for a flow that is not a Gin route.
func ExampleService_Verify() {
	rdb := config.NewRedisClient(ginsms.RedisConfig{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	sms, err := ginsms.New(rdb, ginsms.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := sms.Check(ctx); err != nil {
		log.Print(err) // Redis down (ErrStorage), or a topology that cannot work (ErrInvalidConfig)
	}
	switch err := sms.Verify(ctx, "13800138000", "123456", "203.0.113.7"); {
	case err == nil: // right: the code is consumed, it will not verify again
	case errors.Is(err, ginsms.ErrCodeWrong): // 4006: one wrong try counted
	case errors.Is(err, ginsms.ErrCodeExpired): // 4007: none live (expired, used, or too many tries)
	case errors.Is(err, ginsms.ErrTooFrequent): // 4004: too many tries from this address
	case errors.Is(err, ginsms.ErrInvalidInput): // 4005: not a phone or not a code; Redis untouched
	default: // ginsms.ErrStorage: Redis unreachable (5002)
	}
}

// An invalid configuration is refused at start-up with the key and the reason.
func ExampleConfig_Validate() {
	cfg := ginsms.DefaultConfig()
	cfg.SMS.CodeLength = 3
	fmt.Println(cfg.Validate())
	// Output:
	// ginsms: invalid configuration: sms.code_length: must be 4 to 10, got 3
}

// gateway stands for an SMS provider's own client library.
type gateway struct{}

// Send hands text to the provider and returns its status.
func (gateway) Send(ctx context.Context, phone, text, id string) (status string, err error) {
	return "QUEUED", ctx.Err()
}

var myGateway gateway

// A provider of one's own: refused only when it definitely did not take the message.
func ExampleConfig_customSender() {
	cfg := ginsms.DefaultConfig()
	cfg.Sender.Custom = sender.Func(func(ctx context.Context, msg sender.Message) error {
		status, err := myGateway.Send(ctx, msg.Phone, "Your code is "+msg.Code, msg.ID) // honour ctx
		if err == nil && status == "REJECTED" {
			return fmt.Errorf("%w: gateway rejected the number", sender.ErrRefused) // take back
		}
		return err // anything else that failed is an unknown outcome: kept
	})
	fmt.Println(cfg.Validate())
	// Output: <nil>
}

// Liveness and readiness probes: Check is one round trip that proves Redis answers and
// holds the scripts.
func ExampleService_Check() {
	rdb := config.NewRedisClient(ginsms.RedisConfig{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	router := gin.New()
	sms, err := ginsms.Register(router, rdb, ginsms.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	router.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	router.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
		defer cancel()
		if err := sms.Check(ctx); err != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"code": 5002, "errormsg": "服务暂不可用"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"code": 200, "errormsg": "ok"})
	})
}

// goRedisLogs writes go-redis's own lines to a slog.Logger.
type goRedisLogs struct{ logger *slog.Logger }

func (l goRedisLogs) Printf(ctx context.Context, format string, v ...any) {
	l.logger.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}

// One logger for every line: Config.Logger gets ginsms's, and go-redis's own (a pool that
// cannot dial, a failed reload of a Cluster's slots), which it writes to the standard
// logger, are routed with redis.SetLogger.
func ExampleConfig_logger() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	redis.SetLogger(goRedisLogs{logger}) // go-redis's lines ("failed to dial after 5 attempts")
	cfg := ginsms.DefaultConfig()
	cfg.Logger = logger // ginsms's lines
	_ = cfg
}
