package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/redistest"
)

// screenshotEnv names a file to which TestBrowserSignUp writes a PNG of the page mid-flow
// (code received, countdown running), e.g. GINSMS_DEMO_SCREENSHOT=$PWD/docs/demo.png.
const screenshotEnv = "GINSMS_DEMO_SCREENSHOT"

// chromium returns the path of a Chromium or Chrome binary. Without one the test is
// skipped, or under CI (CI=true) fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const how = "install it (Debian/Ubuntu: apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Chromium found on PATH: %s; the browser test must run under CI", how)
	}
	t.Skipf("no Chromium found on PATH: %s to run this test", how)
	return ""
}

// randomPhone returns 13 followed by 9 random digits, so runs sharing a Redis do not collide.
func randomPhone(t *testing.T) string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("13%09d", n.Int64())
}

// deleteKeys deletes, by exact name, every key under prefix.
func deleteKeys(t *testing.T, rdb *redis.Client, prefix string) {
	ctx := context.Background()
	var names []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		names = append(names, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s*: %v", prefix, err)
		return
	}
	for _, name := range names {
		if err := rdb.Del(ctx, name).Err(); err != nil {
			t.Errorf("del %s: %v", name, err)
		}
	}
}

// The sign-up page in a real headless Chromium against the example server on the real
// Redis, demo phone on, API under a prefix: listen to the captcha, a wrong captcha, then
// send, read the code from the demo phone, register, switch to English.
func TestBrowserSignUp(t *testing.T) {
	chrome := chromium(t)
	rdb, prefix := redistest.Client(t)
	t.Cleanup(func() { deleteKeys(t, rdb, prefix) })

	gin.SetMode(gin.TestMode)
	app, cfg := loadConfigs(t)
	app.Demo = true
	cfg.Sender.Kind = "log"
	cfg.Routes.Prefix = "/api/v1" // the page finds the API where the configuration puts it
	underPrefix(&cfg, prefix)
	engine, err := newEngine(app, cfg, rdb)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(engine) // 127.0.0.1, a free port
	defer srv.Close()

	ctx := newBrowser(t, chrome, 90*time.Second)

	ctx0 := context.Background()
	phone := randomPhone(t)
	run, poll := browserSteps(t, ctx, 50*time.Millisecond, 30*time.Second, `document.getElementById('status').textContent`)
	// loadedCaptcha waits for a captcha other than previous to be shown, and returns its uuid
	// and its answer, read from Redis.
	loadedCaptcha := func(previous string) (uuid, answer string) {
		t.Helper()
		uuid = poll("a new captcha image", fmt.Sprintf(`(() => {
			const img = document.getElementById('captcha');
			const uuid = img.dataset.uuid || '';
			return uuid !== %q && img.complete && img.naturalWidth > 0 ? uuid : '';
		})()`, previous))
		answer, err := rdb.Get(ctx0, prefix+"img_"+uuid).Result()
		if err != nil {
			t.Fatalf("captcha answer of %s: %v", uuid, err)
		}
		return uuid, answer
	}
	statusContains := func(what, text string) string {
		t.Helper()
		return poll(what, fmt.Sprintf(`(() => {
			const s = document.getElementById('status').textContent;
			return s.includes(%q) ? s : '';
		})()`, text))
	}

	run("open the page", chromedp.Navigate(srv.URL+"/"))
	poll("the page to start", `document.body.dataset.ready === 'true' ? 'ready' : ''`)
	run("demo phone panel", chromedp.WaitVisible(chromedp.ID("demo")))
	uuid1, answer1 := loadedCaptcha("")

	// The listen button plays the audio of this captcha, which leaves it in place.
	run("listen", chromedp.Click(chromedp.ID("listen")))
	poll("the audio request", fmt.Sprintf(`performance.getEntriesByType('resource')
		.some((e) => e.name.endsWith('/api/v1/image_codes/%s/audio?lang=zh')) ? 'yes' : ''`, uuid1))
	if got, err := rdb.Get(ctx0, prefix+"img_"+uuid1).Result(); err != nil || got != answer1 {
		t.Fatalf("captcha after listening: %q, %v; want %q unchanged", got, err, answer1)
	}

	// Wrong captcha: 4003's text, a new captcha, the old one consumed, no countdown.
	wrong := []byte(answer1)
	for i, c := range wrong {
		wrong[i] = '0' + (c-'0'+1)%10
	}
	run("type phone and a wrong image code",
		chromedp.SendKeys(chromedp.ID("phone"), phone),
		chromedp.SendKeys(chromedp.ID("imgcode"), string(wrong)),
		chromedp.Click(chromedp.ID("send")),
	)
	statusContains("the 4003 text", "图片验证码不一致")
	uuid2, answer2 := loadedCaptcha(uuid1)
	if n, err := rdb.Exists(ctx0, prefix+"img_"+uuid1).Result(); err != nil || n != 0 {
		t.Errorf("the wrong attempt's captcha is still stored (%d, %v)", n, err)
	}
	if state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const b = document.getElementById('send');
		return b.disabled + ' ' + (b.dataset.countdown || '-');
	})()`)); state != "false -" {
		t.Errorf("send button after a wrong captcha: disabled, countdown = %s; want usable", state)
	}

	// Right captcha: the code is sent, the button counts down, the captcha is renewed.
	run("type the right image code and send",
		chromedp.SendKeys(chromedp.ID("imgcode"), answer2),
		chromedp.Click(chromedp.ID("send")),
	)
	statusContains("the sent text", "验证码已发送")
	countdown := poll("the countdown", `(() => {
		const b = document.getElementById('send');
		return b.disabled && b.dataset.countdown && /\d+ 秒后重发/.test(b.textContent) ? b.dataset.countdown : '';
	})()`)
	if n, err := strconv.Atoi(countdown); err != nil || n < 1 || n > int(cfg.SMS.SendInterval/time.Second) {
		t.Errorf("countdown = %q, want 1 to %v", countdown, cfg.SMS.SendInterval)
	}
	loadedCaptcha(uuid2)

	// The demo phone shows the message; its code is the stored one.
	code := poll("the SMS in the demo phone", `document.querySelector('#inbox .sms .code')?.textContent || ''`)
	if stored, err := rdb.Get(ctx0, prefix+"sms_"+phone).Result(); err != nil || stored != code {
		t.Fatalf("demo phone shows %q, Redis holds %q (%v)", code, stored, err)
	}
	if who, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("inbox-for"))); !strings.Contains(who, phone) {
		t.Errorf("inbox heading %q does not name %s", who, phone)
	}
	run("type the SMS code", chromedp.SendKeys(chromedp.ID("smscode"), code))

	if path := os.Getenv(screenshotEnv); path != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s", path)
	}

	// Register: success text naming the username /register read after RequireSMSCode, the
	// code consumed.
	run("register", chromedp.SendKeys(chromedp.ID("username"), "ann"), chromedp.Click(chromedp.ID("register")))
	statusContains("the success text", "注册成功！ann")
	statusContains("the verified phone", phone)
	if n, err := rdb.Exists(ctx0, prefix+"sms_"+phone).Result(); err != nil || n != 0 {
		t.Errorf("the SMS code is still stored after sign-up (%d, %v)", n, err)
	}

	// The English toggle translates the page and the status line.
	run("switch to English", chromedp.Click(chromedp.ID("lang")))
	poll("English", `document.getElementById('title').textContent === 'Create an account'
		&& document.documentElement.lang === 'en' ? 'en' : ''`)
	statusContains("the English success text", "Signed up as ann!")

	// After a reload (still in English), a second send within the interval is refused with
	// 4004 and the button counts down from the server's Retry-After.
	run("reload", chromedp.Reload())
	poll("the page to start again", `document.body.dataset.ready === 'true'
		&& document.getElementById('send').textContent === 'Send code' ? 'ready' : ''`)
	_, answer3 := loadedCaptcha("")
	run("send again too soon",
		chromedp.SendKeys(chromedp.ID("phone"), phone),
		chromedp.SendKeys(chromedp.ID("imgcode"), answer3),
		chromedp.Click(chromedp.ID("send")),
	)
	statusContains("the 4004 text", "Too many requests")
	wait := poll("the Retry-After countdown", `(() => {
		const b = document.getElementById('send');
		return b.disabled && /^Resend in \d+s$/.test(b.textContent) ? b.dataset.countdown : '';
	})()`)
	ttl, err := rdb.PTTL(ctx0, prefix+"is_send_"+phone).Result()
	if n, _ := strconv.Atoi(wait); err != nil || n < 1 || time.Duration(n)*time.Second > ttl+2*time.Second {
		t.Errorf("countdown after 4004 = %q s, send flag lives %v more (%v)", wait, ttl, err)
	}
}
