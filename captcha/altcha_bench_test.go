package captcha_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/altchasolve"
)

// BenchmarkAltchaSolve is what one SMS costs a bot that solves the "altcha" kind's
// challenges natively (Go's SHA-256, one core), at the default max_number: ns/op is the
// CPU time of one proof of work, averaged over fresh challenges (their secret numbers are
// uniform, so the mean is about max_number/2 hashes). `go test -bench AltchaSolve
// -benchtime 200x ./captcha`.
func BenchmarkAltchaSolve(b *testing.B) {
	for _, max := range []int{captcha.DefaultAltchaMaxNumber} {
		b.Run("max_number="+itoa(max), func(b *testing.B) {
			cfg := captcha.DefaultConfig()
			cfg.Kind, cfg.Altcha.HMACKey, cfg.Altcha.MaxNumber = captcha.KindAltcha, testHMACKey, max
			// The client is never used: handing out a challenge touches no Redis.
			s, err := captcha.NewStore(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), cfg)
			if err != nil {
				b.Fatal(err)
			}
			a, err := captcha.NewAltcha(s)
			if err != nil {
				b.Fatal(err)
			}
			r := gin.New()
			r.GET("/c", a.Challenge)
			challenges := make([]altchasolve.Challenge, b.N)
			for i := range challenges {
				w := httptest.NewRecorder()
				r.ServeHTTP(w, httptest.NewRequest("GET", "/c", nil))
				if err := json.Unmarshal(w.Body.Bytes(), &challenges[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := altchasolve.Number(challenges[i]); !ok {
					b.Fatal("unsolved")
				}
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
