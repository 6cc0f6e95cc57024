// Command loadgen is the load harness of `make bench`: it drives the send route of a
// running ginsms server with concurrent clients for a fixed time and reports requests a
// second, latency percentiles and the answer codes seen.
//
//	go run ./internal/loadgen -url http://127.0.0.1:8080 -redis 127.0.0.1:6379 -scenario success
//
// Scenarios:
//
//	success  every request a new phone with a fresh, right captcha: 200 (three Redis steps)
//	reject   one phone already sent a code, asked again and again: 4004 (one Redis step)
//
// For success, the captcha answers are written to Redis beforehand (img_<uuid>, or
// -captcha-key), one per request, so the server does the work of a real send and the
// harness none during the measured run. The server should run with the quotas off (or
// high) and sender.kind log, as `make bench` starts it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/keys"
)

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of the ginsms server (with routes.prefix)")
	flag.StringVar(&o.redis, "redis", "127.0.0.1:6379", "the server's Redis, to seed the captchas")
	flag.StringVar(&o.captchaKey, "captcha-key", "img_%s", "the server's captcha.key")
	flag.StringVar(&o.scenario, "scenario", "success", "success or reject")
	flag.IntVar(&o.conns, "c", 64, "concurrent clients")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "measured time")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before")
	flag.IntVar(&o.seed, "captchas", 200000, "captchas seeded for the success scenario (the run stops when they are used up)")
	flag.Parse()
	r, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	fmt.Println(r)
}

type options struct {
	url, redis, captchaKey, scenario string
	conns, seed                      int
	duration, warmup                 time.Duration
}

// result is one measured run.
type result struct {
	scenario string
	conns    int
	took     time.Duration
	lat      []time.Duration // sorted
	codes    map[string]int  // "http<status>:<code>"
	errors   int
}

func (r result) String() string {
	n := len(r.lat)
	var codes []string
	for k, v := range r.codes {
		codes = append(codes, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(codes)
	return fmt.Sprintf("%-8s c=%d %s: %9.1f req/s  p50 %7.2f ms  p99 %7.2f ms  codes %s  transport errors %d",
		r.scenario, r.conns, r.took.Round(time.Millisecond), float64(n)/r.took.Seconds(),
		ms(percentile(r.lat, 50)), ms(percentile(r.lat, 99)), strings.Join(codes, " "), r.errors)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile is the p-th percentile of sorted (nearest rank), 0 when empty.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

// request is one send: a phone, and the uuid of a right captcha "1234".
type request struct{ phone, uuid string }

func run(ctx context.Context, o options) (result, error) {
	if o.conns < 1 || o.duration <= 0 {
		return result{}, errors.New("-c must be at least 1 and -d positive")
	}
	key, err := keys.Parse(o.captchaKey)
	if err != nil {
		return result{}, fmt.Errorf("-captcha-key: %w", err)
	}
	var next func(i int64) (request, bool)
	switch o.scenario {
	case "success":
		rdb := redis.NewClient(&redis.Options{Addr: o.redis})
		defer rdb.Close()
		if err := seedCaptchas(ctx, rdb, key, o.seed); err != nil {
			return result{}, err
		}
		next = func(i int64) (request, bool) {
			return request{phone: fmt.Sprintf("139%08d", i), uuid: uuidOf(i)}, i <= int64(o.seed)
		}
	case "reject":
		next = func(int64) (request, bool) { return request{phone: "13800000000", uuid: uuidOf(0)}, true }
	default:
		return result{}, fmt.Errorf("unknown scenario %q", o.scenario)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns}, Timeout: 30 * time.Second}
	if o.scenario == "reject" { // the phone's flag: one send with a seeded captcha
		rdb := redis.NewClient(&redis.Options{Addr: o.redis})
		err := rdb.Set(ctx, key.Key(uuidOf(0)), "1234", time.Hour).Err()
		_ = rdb.Close()
		if err != nil {
			return result{}, fmt.Errorf("seed: %w", err)
		}
		if _, _, err := send(client, o.url, request{"13800000000", uuidOf(0)}); err != nil {
			return result{}, err
		}
	}

	var counter atomic.Int64
	var measuring atomic.Bool
	var mu sync.Mutex
	r := result{scenario: o.scenario, conns: o.conns, codes: map[string]int{}}
	start := time.Now()
	deadline := start.Add(o.warmup + o.duration)
	var measuredFrom time.Time
	time.AfterFunc(o.warmup, func() { mu.Lock(); measuredFrom = time.Now(); mu.Unlock(); measuring.Store(true) })
	var wg sync.WaitGroup
	for range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			codes := map[string]int{}
			errs := 0
			for time.Now().Before(deadline) {
				req, ok := next(counter.Add(1))
				if !ok {
					break // captchas used up
				}
				t0 := time.Now()
				status, code, err := send(client, o.url, req)
				took := time.Since(t0)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					errs++
					continue
				}
				lat = append(lat, took)
				codes[fmt.Sprintf("http%d:%d", status, code)]++
			}
			mu.Lock()
			r.lat = append(r.lat, lat...)
			for k, v := range codes {
				r.codes[k] += v
			}
			r.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if measuredFrom.IsZero() {
		return result{}, errors.New("the run ended before the warm-up did (too few captchas?)")
	}
	r.took = time.Since(measuredFrom)
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	return r, nil
}

// send asks for a code and returns the HTTP status and the contract code of the answer.
func send(client *http.Client, base string, req request) (status, code int, err error) {
	resp, err := client.Get(base + "/sms_codes/" + req.phone + "?imgcode=1234&uuid=" + req.uuid)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	var answer struct {
		Code int `json:"code"`
	}
	_ = json.Unmarshal(body, &answer)
	return resp.StatusCode, answer.Code, nil
}

// uuidOf is the canonical UUID of the i-th request.
func uuidOf(i int64) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }

// seedCaptchas stores the answer "1234" for the uuids of requests 1 to n, in pipelines.
func seedCaptchas(ctx context.Context, rdb *redis.Client, key keys.Template, n int) error {
	const batch = 1000
	for from := 1; from <= n; from += batch {
		pipe := rdb.Pipeline()
		for i := from; i < from+batch && i <= n; i++ {
			pipe.Set(ctx, key.Key(uuidOf(int64(i))), "1234", time.Hour)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("seed captchas: %w", err)
		}
	}
	return nil
}
