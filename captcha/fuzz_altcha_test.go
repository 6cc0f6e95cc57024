package captcha_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/middleware"
)

// FuzzAltchaCheck: whatever a client sends as the altcha field, Check refuses it
// without panicking and without asking Redis (whose client here points nowhere: a
// payload that got that far would fail with a storage error, not a refusal).
func FuzzAltchaCheck(f *testing.F) {
	cfg := captcha.DefaultConfig()
	cfg.Kind, cfg.Altcha.HMACKey = captcha.KindAltcha, testHMACKey
	s, err := captcha.NewStore(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), cfg)
	if err != nil {
		f.Fatal(err)
	}
	a, err := captcha.NewAltcha(s)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		`{"algorithm":"SHA-256","challenge":"00","number":1,"salt":"0123456789abcdef01234567?expires=1&","signature":"00"}`,
		`{"number":1e400}`, `{"number":"12"}`, `[]`, `null`, ``,
	} {
		f.Add(base64.StdEncoding.EncodeToString([]byte(seed)))
	}
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, proof string) {
		if err := a.Check(context.Background(), proof, ""); !errors.Is(err, middleware.ErrProofRefused) {
			t.Fatalf("Check(%q) = %v, want refused", proof, err)
		}
	})
}
