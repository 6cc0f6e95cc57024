package captcha_test

import (
	"log"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/middleware"
)

// ExampleNewAltcha mounts the ALTCHA challenges and guards a send route with the
// widget's proof of work, as ginsms.Register does for captcha.kind altcha. It needs a
// Redis, so it is compiled but not run.
func ExampleNewAltcha() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	cfg := captcha.DefaultConfig()
	cfg.Kind = captcha.KindAltcha
	cfg.Altcha.HMACKey = os.Getenv("ALTCHA_HMAC_KEY") // at least 32 bytes
	store, err := captcha.NewStore(rdb, cfg)
	if err != nil {
		log.Fatal(err)
	}
	altcha, err := captcha.NewAltcha(store)
	if err != nil {
		log.Fatal(err)
	}
	mw := middleware.DefaultConfig()
	mw.ProofFields = cfg.ProofFields() // ["altcha"], the widget's field
	guard, err := middleware.HumanCheck(altcha, mw)
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.GET("/altcha_challenges", altcha.Challenge) // <altcha-widget challenge="/altcha_challenges">
	r.POST("/signup/otp/:phone", guard, func(c *gin.Context) { /* send the code */ })
}

// ExampleNewSiteVerifier guards a send route with Cloudflare Turnstile: the token from
// field captcha_token or cf-turnstile-response is checked with siteverify, spent once in
// Redis, and a provider that cannot answer makes the route answer 5003. Compiled, not run.
func ExampleNewSiteVerifier() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	cfg := captcha.DefaultConfig()
	cfg.Kind = captcha.KindTurnstile
	cfg.Turnstile.Secret = os.Getenv("TURNSTILE_SECRET")
	cfg.Turnstile.Hostname = "shop.example.com"
	store, err := captcha.NewStore(rdb, cfg)
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := captcha.NewSiteVerifier(store)
	if err != nil {
		log.Fatal(err)
	}
	mw := middleware.DefaultConfig()
	mw.ProofFields = cfg.ProofFields()
	guard, err := middleware.HumanCheck(verifier, mw)
	if err != nil {
		log.Fatal(err)
	}
	gin.New().POST("/signup/otp/:phone", guard, func(c *gin.Context) { /* send the code */ })
}
