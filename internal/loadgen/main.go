// Command loadgen is the load harness of `make bench`: it drives the send route of a
// running ginsms server with concurrent clients for a fixed time and reports requests a
// second, latency percentiles and the answer codes seen.
//
//	go run ./internal/loadgen -url http://127.0.0.1:8080 -redis 127.0.0.1:6379 -scenario success
//
// Scenarios:
//
//	success  every request a new phone with a fresh, right proof: 200 (three Redis steps)
//	reject   one phone already sent a code, asked again and again: 4004 (one Redis step)
//
// The proofs are made beforehand, one per request, so the server does the work of a real
// send and the harness none during the measured run. With -kind image (the server's
// captcha.kind) the captcha answers are written to Redis (img_<uuid>, or -captcha-key);
// with -kind altcha the challenges are fetched from the server's GET /altcha_challenges
// and solved (run the server with a small captcha.altcha.max_number: the solving is the
// client's work, and the server checks one hash whatever it is). The server should run
// with the quotas off (or high) and sender.kind log, as `make bench` starts it.
//
// With -server-pid, the server's CPU (Linux /proc) and the Redis server's (INFO cpu) over
// the measured run are reported per measured request.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/altchasolve"
	"github.com/ginsms/ginsms/internal/keys"
)

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of the ginsms server (with routes.prefix)")
	flag.StringVar(&o.redis, "redis", "127.0.0.1:6379", "the server's Redis, to seed the captchas")
	flag.StringVar(&o.captchaKey, "captcha-key", "img_%s", "the server's captcha.key")
	flag.StringVar(&o.scenario, "scenario", "success", "success or reject")
	flag.StringVar(&o.kind, "kind", "image", "the server's captcha.kind: image or altcha")
	flag.IntVar(&o.serverPID, "server-pid", 0, "the server's process id, to report its CPU and Redis's per request (Linux)")
	flag.IntVar(&o.conns, "c", 64, "concurrent clients")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "measured time")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before")
	flag.IntVar(&o.seed, "captchas", 200000, "proofs made for the success scenario (the run stops when they are used up)")
	flag.Parse()
	r, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	fmt.Println(r)
}

type options struct {
	url, redis, captchaKey, scenario, kind string
	conns, seed, serverPID                 int
	duration, warmup                       time.Duration
}

// result is one measured run.
type result struct {
	scenario string
	conns    int
	took     time.Duration
	lat      []time.Duration // sorted
	codes    map[string]int  // "http<status>:<code>"
	errors   int
	// CPU over the measured run of the server and of Redis, with -server-pid.
	serverCPU, redisCPU time.Duration
}

func (r result) String() string {
	n := len(r.lat)
	var codes []string
	for k, v := range r.codes {
		codes = append(codes, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(codes)
	line := fmt.Sprintf("%-8s c=%d %s: %9.1f req/s  p50 %7.2f ms  p99 %7.2f ms  codes %s  transport errors %d",
		r.scenario, r.conns, r.took.Round(time.Millisecond), float64(n)/r.took.Seconds(),
		ms(percentile(r.lat, 50)), ms(percentile(r.lat, 99)), strings.Join(codes, " "), r.errors)
	if r.serverCPU > 0 && n > 0 {
		line += fmt.Sprintf("  server_cpu_us/req %.1f  redis_cpu_us/req %.1f",
			float64(r.serverCPU.Microseconds())/float64(n), float64(r.redisCPU.Microseconds())/float64(n))
	}
	return line
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

// request is one send: a phone, and the query string that carries a right proof.
type request struct{ phone, proof string }

func run(ctx context.Context, o options) (result, error) {
	if o.conns < 1 || o.duration <= 0 {
		return result{}, errors.New("-c must be at least 1 and -d positive")
	}
	key, err := keys.Parse(o.captchaKey)
	if err != nil {
		return result{}, fmt.Errorf("-captcha-key: %w", err)
	}
	if o.scenario != "success" && o.scenario != "reject" {
		return result{}, fmt.Errorf("unknown scenario %q", o.scenario)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns}, Timeout: 30 * time.Second}
	rdb := redis.NewClient(&redis.Options{Addr: o.redis})
	defer rdb.Close()
	// The success scenario spends one proof per request; the reject one, a proof for the
	// send that sets the phone's flag and one it carries again and again (the rate limit
	// refuses first, so it is never spent).
	n := 2
	if o.scenario == "success" {
		n = o.seed
	}
	var proofs []string
	switch o.kind {
	case "image", "": // the flag's default
		proofs, err = seedCaptchas(ctx, rdb, key, n)
	case "altcha":
		proofs, err = solveAltchas(client, o.url, n)
	default:
		return result{}, fmt.Errorf("unknown kind %q", o.kind)
	}
	if err != nil {
		return result{}, err
	}
	var next func(i int64) (request, bool)
	if o.scenario == "success" {
		next = func(i int64) (request, bool) {
			if i > int64(len(proofs)) {
				return request{}, false
			}
			return request{phone: fmt.Sprintf("139%08d", i), proof: proofs[i-1]}, true
		}
	} else {
		if _, _, err := send(client, o.url, request{"13800000000", proofs[0]}); err != nil {
			return result{}, err
		}
		next = func(int64) (request, bool) { return request{phone: "13800000000", proof: proofs[1]}, true }
	}

	var counter atomic.Int64
	var measuring atomic.Bool
	var mu sync.Mutex
	r := result{scenario: o.scenario, conns: o.conns, codes: map[string]int{}}
	if o.kind == "altcha" {
		r.scenario += "/altcha" // the image's lines stay as they were
	}
	start := time.Now()
	deadline := start.Add(o.warmup + o.duration)
	var measuredFrom time.Time
	var cpu0 cpuTimes
	time.AfterFunc(o.warmup, func() {
		c := readCPU(ctx, o.serverPID, rdb)
		mu.Lock()
		measuredFrom, cpu0 = time.Now(), c
		mu.Unlock()
		measuring.Store(true)
	})
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
	cpu1 := readCPU(ctx, o.serverPID, rdb)
	mu.Lock()
	defer mu.Unlock()
	if measuredFrom.IsZero() {
		return result{}, errors.New("the run ended before the warm-up did (too few captchas?)")
	}
	r.took = time.Since(measuredFrom)
	if cpu0.ok && cpu1.ok {
		r.serverCPU, r.redisCPU = cpu1.server-cpu0.server, cpu1.redis-cpu0.redis
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	return r, nil
}

// send asks for a code and returns the HTTP status and the contract code of the answer.
func send(client *http.Client, base string, req request) (status, code int, err error) {
	resp, err := client.Get(base + "/sms_codes/" + req.phone + "?" + req.proof)
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

// seedCaptchas stores the answer "1234" for the uuids of requests 1 to n, in pipelines,
// and returns their query strings.
func seedCaptchas(ctx context.Context, rdb *redis.Client, key keys.Template, n int) ([]string, error) {
	const batch = 1000
	proofs := make([]string, 0, n)
	for from := 1; from <= n; from += batch {
		pipe := rdb.Pipeline()
		for i := from; i < from+batch && i <= n; i++ {
			pipe.Set(ctx, key.Key(uuidOf(int64(i))), "1234", time.Hour)
			proofs = append(proofs, "imgcode=1234&uuid="+uuidOf(int64(i)))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("seed captchas: %w", err)
		}
	}
	return proofs, nil
}

// solveAltchas fetches n challenges from the server and solves them on every core, and
// returns their query strings.
func solveAltchas(client *http.Client, base string, n int) ([]string, error) {
	return altchasolve.SolveMany(n, func() ([]byte, error) {
		resp, err := client.Get(base + "/altcha_challenges")
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET /altcha_challenges: HTTP %d (is the server's captcha.kind altcha?)", resp.StatusCode)
		}
		return body, nil
	})
}

// cpuTimes is what the server and the Redis server had used of the CPU at one moment.
type cpuTimes struct {
	server, redis time.Duration
	ok            bool
}

// readCPU reads the server's CPU time from /proc/<pid>/stat (utime and stime, in ticks of
// 1/100 s, Linux's USER_HZ) and Redis's from INFO cpu; ok is false without a pid or when
// either cannot be read.
func readCPU(ctx context.Context, pid int, rdb *redis.Client) cpuTimes {
	if pid == 0 {
		return cpuTimes{}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTimes{}
	}
	// The fields after the command name, which is in parentheses and may hold spaces:
	// utime and stime are the 12th and 13th.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 13 {
		return cpuTimes{}
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	info, err3 := rdb.Info(ctx, "cpu").Result()
	if err1 != nil || err2 != nil || err3 != nil {
		return cpuTimes{}
	}
	var redisSeconds float64
	for _, line := range strings.Split(info, "\r\n") {
		name, value, _ := strings.Cut(line, ":")
		if name == "used_cpu_sys" || name == "used_cpu_user" {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return cpuTimes{}
			}
			redisSeconds += v
		}
	}
	return cpuTimes{server: time.Duration(utime+stime) * 10 * time.Millisecond,
		redis: time.Duration(redisSeconds * float64(time.Second)), ok: true}
}
