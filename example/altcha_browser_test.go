package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/redistest"
)

// The sign-up page with captcha.kind altcha in headless Chromium, with the real ALTCHA
// widget (npm altcha 3.2.2, vendored) solving the server's challenges at the default
// max_number, against the real Redis: the image field is gone, the widget's proof of
// work sends the SMS, the code registers; a second send with the same proof is
// refused. It logs how long the widget worked: what a person waits.
func TestBrowserAltcha(t *testing.T) {
	chrome := chromium(t)
	rdb, prefix := redistest.Client(t)
	t.Cleanup(func() { deleteKeys(t, rdb, prefix) })

	gin.SetMode(gin.TestMode)
	app, cfg := loadConfigs(t)
	app.Demo = true
	cfg.Sender.Kind = "log"
	cfg.Routes.Prefix = "/api/v1"
	cfg.Captcha.Kind = captcha.KindAltcha
	cfg.Captcha.Altcha.HMACKey = "browser-test-hmac-key-0123456789abcdef"
	cfg.Captcha.Altcha.MaxNumber = captcha.DefaultAltchaMaxNumber
	underPrefix(&cfg, prefix)
	engine, err := newEngine(app, cfg, rdb)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(engine)
	defer srv.Close()

	ctx := newBrowser(t, chrome, 120*time.Second)

	ctx0 := context.Background()
	phone := randomPhone(t)
	run, poll := browserSteps(t, ctx, 20*time.Millisecond, 60*time.Second, `document.getElementById('status').textContent + ' | ' +
		(document.querySelector('altcha-widget')?.outerHTML || 'no widget').slice(0, 400)`)
	statusContains := func(what, text string) {
		t.Helper()
		poll(what, fmt.Sprintf(`document.getElementById('status').textContent.includes(%q) ? 'yes' : ''`, text))
	}
	// solve clicks the widget and waits for its payload; it returns the payload and the
	// milliseconds from the click to the payload, measured in the page.
	solve := func(previous string) (string, float64) {
		t.Helper()
		poll("the widget", `document.querySelector('altcha-widget input[type=checkbox]') ? 'yes' : ''`)
		run("start the proof of work", chromedp.Evaluate[chromedp.Void](`(() => {
			window.__altchaStart = performance.now();
			document.querySelector('altcha-widget input[type=checkbox]').click();
		})()`))
		payload := poll("the widget's payload", fmt.Sprintf(`(() => {
			const v = new FormData(document.getElementById('signup')).get('altcha') || '';
			if (v && v !== %q && !window.__altchaTook) window.__altchaTook = performance.now() - window.__altchaStart;
			return v !== %q ? v : '';
		})()`, previous, previous))
		took, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__altchaTook`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`window.__altchaTook = 0`))
		return payload, took
	}

	run("open the page", chromedp.Navigate(srv.URL+"/"))
	poll("the page to start", `document.body.dataset.ready === 'true' ? 'ready' : ''`)
	if hidden := poll("the image field hidden", `document.getElementById('imgcode').closest('.field').hidden ? 'yes' : 'no'`); hidden != "yes" {
		t.Fatal("the image field is shown with kind altcha")
	}
	run("type the phone", chromedp.SendKeys(chromedp.ID("phone"), phone))

	// Without the check done, the page asks for it and sends nothing.
	run("send before the check", chromedp.Click(chromedp.ID("send")))
	statusContains("the ask for the check", "请先完成人机验证")

	var tooks []float64
	payload, took := solve("")
	tooks = append(tooks, took)
	run("send", chromedp.Click(chromedp.ID("send")))
	statusContains("the sent text", "验证码已发送")
	code := poll("the SMS in the demo phone", `document.querySelector('#inbox .sms .code')?.textContent || ''`)
	if stored, err := rdb.Get(ctx0, prefix+"sms_"+phone).Result(); err != nil || stored != code {
		t.Fatalf("demo phone shows %q, Redis holds %q (%v)", code, stored, err)
	}
	// The challenge is spent: the same payload for another phone is refused by the server.
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch('/api/v1/sms_codes/13900000000', {method: 'POST',
		body: new URLSearchParams({altcha: %q})}).then((r) => r.json()).then((b) => String(b.code))`, payload),
		chromedp.EvalAwaitPromise))
	if err != nil || res != "4003" {
		t.Fatalf("replayed payload: %q, %v; want 4003", res, err)
	}
	if path := os.Getenv("GINSMS_ALTCHA_SCREENSHOT"); path != "" { // e.g. $PWD/altcha.png, to look at the widget
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("register", chromedp.SendKeys(chromedp.ID("smscode"), code), chromedp.SendKeys(chromedp.ID("username"), "bo"),
		chromedp.Click(chromedp.ID("register")))
	statusContains("the success text", "注册成功！bo")

	// More solves, for the timing: the widget was reset after the send.
	for i := 0; i < 4; i++ {
		payload, took = solve(payload)
		tooks = append(tooks, took)
		run("reset", chromedp.Evaluate[chromedp.Void](`window.ginsmsHuman.reset()`))
		poll("the reset", `new FormData(document.getElementById('signup')).get('altcha') ? '' : 'yes'`)
	}
	var sum float64
	for _, d := range tooks {
		sum += d
	}
	t.Logf("ALTCHA widget, max_number %d: %d solves took %s ms (mean %.0f ms), from the click to the payload",
		cfg.Captcha.Altcha.MaxNumber, len(tooks), fmt.Sprint(tooks), sum/float64(len(tooks)))
}
