package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
)

func TestPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, ms(i))
	}
	for _, tt := range []struct {
		in   []time.Duration
		p    int
		want time.Duration
	}{
		{nil, 99, 0},
		{[]time.Duration{ms(7)}, 50, ms(7)},
		{lat, 50, ms(50)},
		{lat, 99, ms(99)},
		{lat, 100, ms(100)},
	} {
		if got := percentile(tt.in, tt.p); got != tt.want {
			t.Errorf("percentile(%d values, %d) = %v, want %v", len(tt.in), tt.p, got, tt.want)
		}
	}
}

// The success scenario sends each seeded captcha once, for a phone of its own, and stops
// when they are used up; a server that sees a captcha twice answers 4002 and shows here.
func TestRunSuccessUsesEachCaptchaOnce(t *testing.T) {
	mr := miniredis.RunT(t)
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		phone := strings.TrimPrefix(r.URL.Path, "/sms_codes/")
		key := "img_" + r.URL.Query().Get("uuid")
		answer, err := mr.Get(key)
		mr.Del(key)
		code := 200
		if err != nil || answer != r.URL.Query().Get("imgcode") || seen[phone] {
			code = 4002
		}
		seen[phone] = true
		_, _ = w.Write([]byte(`{"code":` + map[bool]string{true: "200", false: "4002"}[code == 200] + `}`))
	}))
	defer srv.Close()
	r, err := run(context.Background(), options{url: srv.URL, redis: mr.Addr(), captchaKey: "img_%s", scenario: "success",
		conns: 1, seed: 300, duration: 20 * time.Second, warmup: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.codes["http200:200"]; got < 290 || len(r.codes) != 1 {
		t.Fatalf("codes %v, want about 300 answers of 200 and nothing else", r.codes)
	}
	if r.took > 15*time.Second {
		t.Errorf("the run took %v: it did not stop when the captchas were used up", r.took)
	}
}

// With -kind altcha the proofs are the server's own challenges, solved: each passes the
// real check once, and the reject scenario's repeated proof is never checked.
func TestRunAltcha(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	cfg := captcha.DefaultConfig()
	cfg.Kind, cfg.Altcha.HMACKey, cfg.Altcha.MaxNumber = captcha.KindAltcha, "loadgen-test-hmac-key-of-32-bytes!!", 1000
	store, err := captcha.NewStore(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := captcha.NewAltcha(store)
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	router := gin.New()
	router.GET("/altcha_challenges", a.Challenge)
	var mu sync.Mutex
	sent := map[string]bool{}
	router.GET("/sms_codes/:phone", func(c *gin.Context) {
		mu.Lock()
		defer mu.Unlock()
		if sent[c.Param("phone")] {
			c.JSON(429, gin.H{"code": 4004})
			return
		}
		if err := a.Check(c, c.Query("altcha"), ""); err != nil {
			c.JSON(400, gin.H{"code": 4003})
			return
		}
		sent[c.Param("phone")] = true
		c.JSON(200, gin.H{"code": 200})
	})
	srv := httptest.NewServer(router)
	defer srv.Close()
	for _, tt := range []struct {
		scenario, want string
	}{{"success", "http200:200"}, {"reject", "http429:4004"}} {
		r, err := run(context.Background(), options{url: srv.URL, redis: mr.Addr(), captchaKey: "img_%s", scenario: tt.scenario,
			kind: "altcha", conns: 2, seed: 100, duration: 300 * time.Millisecond, warmup: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		if r.codes[tt.want] == 0 || len(r.codes) != 1 || r.errors != 0 {
			t.Errorf("%s: codes %v, %d transport errors; want only %s", tt.scenario, r.codes, r.errors, tt.want)
		}
	}
}
