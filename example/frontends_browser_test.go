package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/redistest"
)

// frontendsDir holds register pages written the way existing front ends are (Vue 2 and
// axios from npm), one per routes.dialect; see its README.md.
const frontendsDir = "testdata/frontends"

// Each dialect's register page, unchanged, in headless Chromium against the example
// server configured with that dialect on the real Redis: the captcha image loads; a wrong
// captcha shows the page's error and a new image; the right one starts the countdown and
// stores the code that was sent; after a reload, a second send within the interval shows
// the page's too-frequent message.
func TestBrowserFrontends(t *testing.T) {
	chrome := chromium(t)
	for _, tt := range []struct {
		dialect       string
		wrongError    string // the element that shows a wrong captcha's text, and the text
		wrongText     string
		frequentError string
		frequentText  string
	}{
		{"meiduo", "image_code_error", "图片验证码不一致", "sms_code_error", "发送短信验证码过于频繁"},
		{"drf", "sms_code_error", "图片验证码不一致", "sms_code_error", "发送短信验证码过于频繁"},
		{"ginsms", "image_code_error", "图片验证码不一致", "sms_code_error", "发送短信验证码过于频繁"},
	} {
		t.Run(tt.dialect, func(t *testing.T) {
			rdb, prefix := redistest.Client(t)
			t.Cleanup(func() { deleteKeys(t, rdb, prefix) })
			gin.SetMode(gin.TestMode)
			app, cfg := loadConfigs(t)
			app.Demo = false
			sent := &lastCode{}
			cfg.Sender.Custom = sent
			cfg.Routes.Dialect = tt.dialect
			underPrefix(&cfg, prefix)
			engine, err := newEngine(app, cfg, rdb)
			if err != nil {
				t.Fatal(err)
			}
			engine.Static("/frontends", frontendsDir)
			srv := httptest.NewServer(engine)
			defer srv.Close()

			ctx := newBrowser(t, chrome, 90*time.Second)
			ctx0 := context.Background()
			run, poll := browserSteps(t, ctx, 50*time.Millisecond, 30*time.Second, `document.getElementById('app').innerText`)
			// loadedCaptcha waits for an image other than previous, and returns its id and
			// its answer, read from Redis.
			loadedCaptcha := func(previous string) (id, answer string) {
				t.Helper()
				id = poll("a captcha image", fmt.Sprintf(`(() => {
					const img = document.getElementById('image_code_img');
					const id = vm.image_code_id;
					return id !== %q && img.complete && img.naturalWidth > 0
						&& img.src.endsWith('/image_codes/' + id + '/') ? id : '';
				})()`, previous))
				answer, err := rdb.Get(ctx0, prefix+"img_"+id).Result()
				if err != nil {
					t.Fatalf("captcha answer of %s: %v", id, err)
				}
				return id, answer
			}
			shown := func(what, id, text string) {
				t.Helper()
				poll(what, fmt.Sprintf(`(() => {
					const el = document.getElementById(%q);
					return el.offsetParent !== null && el.textContent.trim() === %q ? 'shown' : '';
				})()`, id, text))
			}
			phone := randomPhone(t)

			run("open the page", chromedp.Navigate(srv.URL+"/frontends/"+tt.dialect+".html"))
			id1, answer1 := loadedCaptcha("")

			run("a wrong captcha",
				chromedp.SendKeys(chromedp.ID("mobile"), phone),
				chromedp.SendKeys(chromedp.ID("image_code"), wrongAnswer(answer1)),
				chromedp.Click(chromedp.ID("send")))
			shown("the wrong captcha's error", tt.wrongError, tt.wrongText)
			id2, answer2 := loadedCaptcha(id1)
			if tip, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`vm.sms_code_tip`)); tip != "获取短信验证码" {
				t.Errorf("after a wrong captcha the button reads %q, want no countdown", tip)
			}
			if sent.get() != "" {
				t.Fatal("a wrong captcha sent a code")
			}

			run("the right captcha",
				chromedp.SendKeys(chromedp.ID("image_code"), strings.Repeat(kb.Backspace, len(answer1))+answer2),
				chromedp.Click(chromedp.ID("send")))
			tip := poll("the countdown", `/^\d+秒$/.test(vm.sms_code_tip) ? vm.sms_code_tip : ''`)
			if n := regexp.MustCompile(`^(\d+)`).FindString(tip); n == "" || len(n) > 2 {
				t.Errorf("countdown %q", tip)
			}
			stored, err := rdb.Get(ctx0, prefix+"sms_"+phone).Result()
			if err != nil || stored == "" || stored != sent.get() {
				t.Fatalf("stored code %q (%v), sent %q", stored, err, sent.get())
			}
			if n, _ := rdb.Exists(ctx0, prefix+"img_"+id2).Result(); n != 0 {
				t.Error("the used captcha is still stored")
			}

			// A fresh page (the countdown of the first would keep the button from sending).
			run("reload", chromedp.Reload())
			_, answer3 := loadedCaptcha("")
			run("send again within the interval",
				chromedp.SendKeys(chromedp.ID("mobile"), phone),
				chromedp.SendKeys(chromedp.ID("image_code"), answer3),
				chromedp.Click(chromedp.ID("send")))
			shown("the too-frequent message", tt.frequentError, tt.frequentText)
			if again, _ := rdb.Get(ctx0, prefix+"sms_"+phone).Result(); again != stored {
				t.Errorf("the refused send changed the stored code")
			}

			// Dashboards do not change with the dialect: the metrics count the contract's codes.
			resp, err := http.Get(srv.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, code := range []string{"200", "4003", "4004"} {
				if line := `ginsms_requests_total{code="` + code + `",route="send"} 1`; !strings.Contains(string(metrics), line) {
					t.Errorf("/metrics lacks %s", line)
				}
			}
		})
	}
}

// wrongAnswer is answer with every digit changed.
func wrongAnswer(answer string) string {
	b := []byte(answer)
	for i, c := range b {
		b[i] = '0' + (c-'0'+1)%10
	}
	return string(b)
}

// newBrowser starts a headless Chromium for the test, with the flags this machine's closed
// network needs, and returns its tab; the browser is stopped within limit, and when the
// test ends, before its user-data folder is removed.
func newBrowser(t *testing.T, chrome string, limit time.Duration) context.Context {
	t.Helper()
	userData := t.TempDir()
	timeout, cancelTimeout := context.WithTimeout(context.Background(), limit)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeout,
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(userData),
		chromedp.WindowSize(1000, 760),
	)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	return ctx
}

// browserSteps returns the two ways a browser test drives tab ctx: run does steps or fails
// the test; poll waits (checking every, for at most limit) until expr gives a non-empty
// string and returns it, and on failure reports state, a JavaScript expression describing
// the page.
func browserSteps(t *testing.T, ctx context.Context, every, limit time.Duration, state string) (
	run func(what string, steps ...chromedp.Action[chromedp.Void]), poll func(what, expr string) string) {
	run = func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll = func(what, expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Poll[string](expr,
			chromedp.WithPollingInterval(every), chromedp.WithPollingTimeout(limit)))
		if err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](state))
			t.Fatalf("waiting for %s: %v (page: %q)", what, err, page)
		}
		return v
	}
	return run, poll
}
