package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/redistest"
)

// pumpClient drives the example server over HTTP as browsers behind a trusted proxy do:
// each request carries the client's address in X-Forwarded-For. It solves captchas by
// reading their answers from Redis, and reads codes from there to verify them.
type pumpClient struct {
	t      *testing.T
	base   string
	rdb    *redis.Client
	prefix string
	n      atomic.Int64 // captchas asked for
}

func (p *pumpClient) do(method, path, client, form string) int {
	p.t.Helper()
	req, err := http.NewRequest(method, p.base+path, strings.NewReader(form))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", client)
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		return resp.StatusCode
	}
	var b struct{ Code int }
	if err := json.Unmarshal(body, &b); err != nil {
		p.t.Fatalf("%s %s: %d %q", method, path, resp.StatusCode, body)
	}
	return b.Code
}

// send asks for a captcha, solves it and asks for a code for phone from client.
func (p *pumpClient) send(phone, client string) int {
	p.t.Helper()
	u := fmt.Sprintf("1b4e28ba-2fa1-41d2-883f-%012d", p.n.Add(1))
	if status := p.do("GET", "/image_codes/"+u, client, ""); status != 200 {
		p.t.Fatalf("image: HTTP %d", status)
	}
	answer, err := p.rdb.Get(context.Background(), p.prefix+"img_"+u).Result()
	if err != nil {
		p.t.Fatalf("captcha answer: %v", err)
	}
	return p.do("GET", "/sms_codes/"+phone+"?"+url.Values{"imgcode": {answer}, "uuid": {u}}.Encode(), client, "")
}

// verify checks the code phone was sent, as its owner would.
func (p *pumpClient) verify(phone, client string) int {
	p.t.Helper()
	code, err := p.rdb.Get(context.Background(), p.prefix+"sms_"+phone).Result()
	if err != nil {
		p.t.Fatalf("code of %s: %v", phone, err)
	}
	return p.do("POST", "/sms_codes/"+phone+"/verify", client, url.Values{"sms_code": {code}}.Encode())
}

// startPumpServer runs the example on the shipped config.yaml against the real Redis,
// trusting 127.0.0.1 as its proxy, with the key templates under a prefix of this test's
// (the server is shared); every other setting is the default.
func startPumpServer(t *testing.T) *pumpClient {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	t.Cleanup(func() { deleteKeys(t, rdb, prefix) })
	t.Setenv("GINSMS_SERVER_ADDR", "127.0.0.1:0")
	t.Setenv("GINSMS_SERVER_TRUSTED_PROXIES", "127.0.0.1")
	t.Setenv("GINSMS_REDIS_ADDR", redistest.Addr(t))
	t.Setenv("GINSMS_CAPTCHA_KEY", prefix+"img_%s")
	t.Setenv("GINSMS_SMS_KEY", prefix+"sms_%s")
	t.Setenv("GINSMS_SMS_FLAG_KEY", prefix+"is_send_%s")
	logger := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler)) // the log sender writes every code
	t.Cleanup(func() { slog.SetDefault(logger) })
	addr, stop := startRun(t)
	t.Cleanup(stop)
	return &pumpClient{t: t, base: "http://" + addr, rdb: rdb, prefix: prefix}
}

// tally counts answers by code.
type tally map[int]int

func (c tally) String() string { return fmt.Sprintf("%v", map[int]int(c)) }

// client is a distinct address per i, for the attacker's many addresses and real users.
func client(block, i int) string { return fmt.Sprintf("10.%d.%d.%d", block, i>>8&255, i&255) }

// The pumping scenarios on the example server with default config: real traffic goes
// out before and after an attack on one range, the attack is cut at the range limit, and
// a busy range whose users verify is never blocked.
func TestPumpingScenarios(t *testing.T) {
	p := startPumpServer(t)
	realTraffic := func(what string, block int) {
		t.Helper()
		sent := 0
		for i := range 50 {
			phone, ip := randomPhone(t), client(block, i)
			if p.send(phone, ip) == 200 && p.verify(phone, ip) == 200 {
				sent++
			}
		}
		t.Logf("real traffic %s the attack: %d of 50 sent and verified", what, sent)
		if sent != 50 {
			t.Errorf("real traffic %s the attack: %d of 50 went out, want all", what, sent)
		}
	}
	realTraffic("before", 1)

	attack := tally{}
	for i := range 400 {
		attack[p.send(fmt.Sprintf("1370000%04d", i), client(2, i))]++
	}
	t.Logf("attack on one range, 400 numbers from 400 addresses: %v", attack)
	if attack[200] > 50 || attack[200]+attack[4008] != 400 {
		t.Errorf("attack: %v, want at most 50 × 200 and the rest 4008", attack)
	}

	busy := tally{}
	for i := range 30 {
		phone, ip := fmt.Sprintf("1590000%04d", i*7), client(3, i)
		busy[p.send(phone, ip)]++
		if i%5 != 4 { // 24 of 30 verify right after their send
			busy[-p.verify(phone, ip)]++
		}
	}
	t.Logf("busy range, 30 sends, 24 verified: %v (negative: verify answers)", busy)
	if busy[200] != 30 || busy[-200] != 24 {
		t.Errorf("busy range: %v, want 30 × 200 and 24 verified", busy)
	}

	realTraffic("after", 4)
}

// A spread attack, one number per range, stays under every range limit: the overall cap
// on unverified sends cuts it. During it, phones that verified before are served; new
// users are refused with 4008 and Retry-After, like the attacker, until the window frees
// room. Counts are logged for docs/operations.md.
func TestPumpingSpreadAttack(t *testing.T) {
	p := startPumpServer(t)
	var known []string
	for i := range 20 { // users who signed up earlier
		phone := fmt.Sprintf("1880%03d0000", i)
		if p.send(phone, client(1, i)) != 200 || p.verify(phone, client(1, i)) != 200 {
			t.Fatalf("earlier sign-up %d failed", i)
		}
		// Their send interval has passed (the flag expired), as for a user back days later.
		if err := p.rdb.Del(context.Background(), p.prefix+"is_send_"+phone).Err(); err != nil {
			t.Fatal(err)
		}
		known = append(known, phone)
	}
	attack, newUsers, knownUsers := tally{}, tally{}, tally{}
	for i := range 400 {
		attack[p.send(fmt.Sprintf("13%05d0000", 10000+i), client(2, i))]++
		if i%20 == 19 { // now and then a real user signs up, or one comes back
			j := i / 20
			phone, ip := randomPhone(t), client(3, j)
			code := p.send(phone, ip)
			if code == 200 {
				code = -p.verify(phone, ip)
			}
			newUsers[code]++
			knownUsers[p.send(known[j], client(4, j))]++
		}
	}
	t.Logf("spread attack, 400 numbers of 400 ranges: %v; meanwhile 20 new users: %v (-200: sent and verified); "+
		"20 returning users: %v", attack, newUsers, knownUsers)
	if attack[200] > 100 || attack[200]+attack[4008] != 400 {
		t.Errorf("spread attack: %v, want at most 100 (destination.total_limit) × 200, the rest 4008", attack)
	}
	if knownUsers[200] != 20 {
		t.Errorf("returning users during the attack: %v, want all 20 served", knownUsers)
	}
}
