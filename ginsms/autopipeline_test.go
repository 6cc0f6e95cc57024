package ginsms_test

import (
	"testing"

	"github.com/ginsms/ginsms/ginsms"
)

// The example server hands ginsms go-redis's asynchronous autopipeliner, which batches the
// commands of concurrent requests: the guarantees must hold through it, and through the
// blocking one.
func TestGuaranteesThroughAutoPipeline(t *testing.T) {
	for _, top := range []topology{single, cluster} {
		for _, async := range []bool{true, false} {
			t.Run(top.name+map[bool]string{true: "/async", false: "/blocking"}[async], func(t *testing.T) {
				rdb := top.client(t)
				build := rdb.AutoPipeline
				if async {
					build = rdb.AsyncAutoPipeline
				}
				ap, err := build()
				if err != nil {
					t.Fatal(err)
				}
				testGuarantees(t, newEnvServing(t, top, rdb, ap, func(c *ginsms.Config) { c.SMS.HourlyLimitPerIP = 3 }))
			})
		}
	}
}

func testGuarantees(t *testing.T, e *env) {

	const n = 50
	for i := 0; i < n; i++ {
		e.seedCaptcha(uuidN(100+i), "1234")
	}
	codes := runConcurrently(n, func(i int) int { return e.sendGET(testPhone, uuidN(100+i), "1234").Code })
	if codes[200] != 1 || codes[4004] != n-1 {
		t.Fatalf("concurrent sends for one phone = %v, want one 200", codes)
	}
	u := uuidN(1)
	e.seedCaptcha(u, "1234")
	codes = runConcurrently(20, func(i int) int { return e.sendGET(phoneN(i), u, "1234").Code })
	if codes[200] != 1 || codes[4002] != 19 {
		t.Fatalf("one captcha, 20 phones = %v, want one 200", codes)
	}
	// Per-IP quota 3: two sent so far; of 10 concurrent fresh phones exactly one more passes.
	for i := 0; i < 10; i++ {
		e.seedCaptcha(uuidN(300+i), "1234")
	}
	codes = runConcurrently(10, func(i int) int { return e.sendGET(phoneN(300+i), uuidN(300+i), "1234").Code })
	if codes[200] != 1 {
		t.Fatalf("quota through the autopipeliner = %v, want exactly one 200", codes)
	}
	code := e.sender.all()[0].code
	codes = runConcurrently(20, func(int) int { return e.verify(testPhone, code).Code })
	if codes[200] != 1 || codes[4007] != 19 {
		t.Fatalf("concurrent verifies = %v, want one 200", codes)
	}
}
