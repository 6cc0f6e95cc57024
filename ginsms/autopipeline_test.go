package ginsms_test

import (
	"fmt"
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
				testGuarantees(t, newEnvServing(t, top, rdb, ap, func(c *ginsms.Config) {
					c.SMS.HourlyLimitPerIP = 3
					// On a Cluster the counters of other slots are reserved beside the phone's
					// script and given back by the requests it refused, so 50 requests for one
					// phone can hold a range counter of 20 full for a round trip and refuse
					// the one that won the phone (fail closed). This test is about the phone.
					c.Destination.RangeLimit = 100
				}))
			})
		}
	}
}

func testGuarantees(t *testing.T, e *env) {

	const n = 50
	for i := 0; i < n; i++ {
		e.seedCaptcha(uuidN(100+i), "1234")
	}
	// Each from an address of its own: for the same reason, requests the phone refused
	// would otherwise hold the per-IP quota of 3 full and could refuse the winner too.
	codes := runConcurrently(n, func(i int) int {
		return performRequest(e.router, "GET", "/sms_codes/"+testPhone+"?imgcode=1234&uuid="+uuidN(100+i), "", "",
			"RemoteAddr", fmt.Sprintf("198.51.100.%d:1234", i+1)).Code
	})
	if codes[200] != 1 || codes[4004] != n-1 {
		t.Fatalf("concurrent sends for one phone = %v, want one 200", codes)
	}
	u := uuidN(1)
	e.seedCaptcha(u, "1234")
	codes = runConcurrently(20, func(i int) int { return e.sendGET(phoneN(i), u, "1234").Code })
	if codes[200] != 1 || codes[4002] != 19 {
		t.Fatalf("one captcha, 20 phones = %v, want one 200", codes)
	}
	// Per-IP quota 3: one sent so far from this address; of 10 concurrent fresh phones
	// exactly two more pass.
	for i := 0; i < 10; i++ {
		e.seedCaptcha(uuidN(300+i), "1234")
	}
	codes = runConcurrently(10, func(i int) int { return e.sendGET(phoneN(300+i), uuidN(300+i), "1234").Code })
	if codes[200] != 2 {
		t.Fatalf("quota through the autopipeliner = %v, want exactly two 200s", codes)
	}
	code := e.sender.all()[0].code
	codes = runConcurrently(20, func(int) int { return e.verify(testPhone, code).Code })
	if codes[200] != 1 || codes[4007] != 19 {
		t.Fatalf("concurrent verifies = %v, want one 200", codes)
	}
}
