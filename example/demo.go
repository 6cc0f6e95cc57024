package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/keys"
	"github.com/ginsms/ginsms/sender"
)

// The demo page: one sign-up form at /, made of the three files under web/, embedded so
// that the binary serves it offline with no build step. It talks to the ginsms routes
// (under routes.prefix) and to two example-only routes:
//
//	GET /demo/config              {"prefix","send_interval","code_length","captcha_length","demo"}
//	GET /demo/messages?phone=P    the demo phone's inbox for P, newest first (demo mode only)
//	GET /demo/captcha?uuid=U      {"answer": "..."}: captcha U's answer, for trying the API by
//	                              hand with curl (demo mode only)
//
// Demo mode (the in-memory "phone" that shows the delivered SMS in the page) is on when
// sender.kind is log (and no custom sender is set) and either demo is true in the
// configuration (GINSMS_DEMO=true) or the example runs on its embedded Redis. Otherwise /demo/messages is not mounted (404)
// and the page hides the panel. Demo mode shows every code to anyone who asks for a phone's
// inbox: like the log sender, it is for demos only.

//go:embed web
var webFiles embed.FS

// demoInboxSize bounds the messages the demo phone keeps in memory, over all phones.
const demoInboxSize = 50

// demoPhoneOn reports whether the demo phone is on (see above).
func demoPhoneOn(app appConfig, cfg ginsms.Config) bool {
	kind := strings.ToLower(strings.TrimSpace(cfg.Sender.Kind))
	return app.Demo && cfg.Sender.Custom == nil && (kind == "" || kind == "log")
}

// demoMessage is one SMS the demo phone "received".
type demoMessage struct {
	Phone      string    `json:"phone"`
	Code       string    `json:"code"`
	Text       string    `json:"text"`
	TTLSeconds int64     `json:"ttl_seconds"`
	At         time.Time `json:"at"`
}

// demoInbox is the demo phone: a sender.Sender that hands each code to the next sender
// (the log sender) and, when that succeeds, keeps the message in a bounded in-memory list
// for the page to show. It is safe for concurrent use.
type demoInbox struct {
	next sender.Sender
	ttl  time.Duration
	now  func() time.Time

	mu   sync.Mutex
	msgs []demoMessage // oldest first, at most size
	size int
}

var _ sender.Sender = (*demoInbox)(nil)

// newDemoInbox returns a demo phone keeping at most size messages, delegating to next;
// ttl is the code's lifetime (sms.code_ttl), quoted in the message text.
func newDemoInbox(next sender.Sender, size int, ttl time.Duration) *demoInbox {
	return &demoInbox{next: next, ttl: ttl, now: time.Now, size: size}
}

// Send delegates to the next sender and records the message if it was delivered.
func (d *demoInbox) Send(ctx context.Context, msg sender.Message) error {
	if err := d.next.Send(ctx, msg); err != nil {
		return err
	}
	phone, code := msg.Phone, msg.Code
	m := demoMessage{
		Phone:      phone,
		Code:       code,
		Text:       fmt.Sprintf("【ginsms 演示】您的验证码是 %s，%d 秒内有效，请勿告诉他人。", code, int64(d.ttl/time.Second)),
		TTLSeconds: int64(d.ttl / time.Second),
		At:         d.now().UTC(),
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.msgs) == d.size {
		copy(d.msgs, d.msgs[1:])
		d.msgs = d.msgs[:d.size-1]
	}
	d.msgs = append(d.msgs, m)
	return nil
}

// Messages returns the messages kept for phone, newest first (never nil).
func (d *demoInbox) Messages(phone string) []demoMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []demoMessage{}
	for i := len(d.msgs) - 1; i >= 0; i-- {
		if d.msgs[i].Phone == phone {
			out = append(out, d.msgs[i])
		}
	}
	return out
}

// maxDemoPhoneLen bounds the phone of an inbox request; a longer one cannot be in the inbox.
const maxDemoPhoneLen = 32

// messagesHandler answers GET /demo/messages?phone=P with P's messages, newest first, as a
// JSON array; the phone is shown in full since the caller named it. A missing phone
// answers 4001, an oversized one 4005, in the contract's JSON.
func (d *demoInbox) messagesHandler() gin.HandlerFunc {
	return func(c *gin.Context) {
		phone := strings.TrimSpace(c.Query("phone"))
		switch {
		case phone == "":
			c.AbortWithStatusJSON(http.StatusBadRequest, answerOf(contract.CodeMissingInput))
			return
		case len(phone) > maxDemoPhoneLen:
			c.AbortWithStatusJSON(http.StatusBadRequest, answerOf(contract.CodeMalformedInput))
			return
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, d.Messages(phone))
	}
}

// demoConfig is the answer of GET /demo/config: what the page needs to know of the
// server's configuration.
type demoConfig struct {
	Prefix        string `json:"prefix"`         // routes.prefix, where the API lives
	SendInterval  int64  `json:"send_interval"`  // seconds between two sends to one phone
	CodeLength    int    `json:"code_length"`    // digits of an SMS code
	CaptchaLength int    `json:"captcha_length"` // digits of a captcha
	Demo          bool   `json:"demo"`           // whether /demo/messages is mounted
	// CaptchaKind is captcha.kind; ProofFields the fields its proof is sent in; SiteKey
	// the provider kind's public site key (see web/human.js).
	CaptchaKind string   `json:"captcha_kind"`
	ProofFields []string `json:"proof_fields,omitempty"`
	SiteKey     string   `json:"site_key,omitempty"`
}

// webAsset is a file of the page, read once at start-up.
type webAsset struct {
	contentType string
	body        []byte
}

// pageCSP allows the page its own scripts, styles, images, audio and API, and nothing else.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// humanCSP widens pageCSP for the human check of captcha.kind, directive by directive:
// the ALTCHA widget's worker (served here); a provider's script and frames from its own
// origins, as each documents.
var humanCSP = map[string]map[string]string{
	"altcha":    {"worker-src": "'self'"},
	"turnstile": {"script-src": "https://challenges.cloudflare.com", "frame-src": "https://challenges.cloudflare.com"},
	"hcaptcha": {"script-src": "https://hcaptcha.com https://*.hcaptcha.com", "frame-src": "https://hcaptcha.com https://*.hcaptcha.com",
		"style-src": "https://hcaptcha.com https://*.hcaptcha.com", "connect-src": "https://hcaptcha.com https://*.hcaptcha.com"},
	"recaptcha": {"script-src": "https://www.google.com https://www.gstatic.com", "frame-src": "https://www.google.com"},
}

// pageCSPFor is pageCSP with the sources kind's widget needs added to its directives (a
// directive given twice would count only the first time).
func pageCSPFor(kind string) string {
	extra := humanCSP[kind]
	added := map[string]bool{}
	parts := strings.Split(pageCSP, "; ")
	for i, p := range parts {
		name, _, _ := strings.Cut(p, " ")
		if src, ok := extra[name]; ok {
			parts[i] += " " + src
			added[name] = true
		}
	}
	for _, name := range []string{"worker-src", "frame-src"} {
		if src, ok := extra[name]; ok && !added[name] {
			parts = append(parts, name+" "+src)
		}
	}
	return strings.Join(parts, "; ")
}

// mountDemo serves the page at / (and its assets under /demo/), GET /demo/config, and, when
// inbox is not nil, GET /demo/messages and GET /demo/captcha.
func mountDemo(engine *gin.Engine, cfg ginsms.Config, rdb redis.UniversalClient, inbox *demoInbox) error {
	assets := map[string]webAsset{}
	for name, ct := range map[string]string{
		"index.html":        "text/html; charset=utf-8",
		"app.css":           "text/css; charset=utf-8",
		"app.js":            "text/javascript; charset=utf-8",
		"human.js":          "text/javascript; charset=utf-8",
		"altcha/altcha.js":  "text/javascript; charset=utf-8",
		"altcha/altcha.css": "text/css; charset=utf-8",
		"altcha/sha.js":     "text/javascript; charset=utf-8",
	} {
		body, err := fs.ReadFile(webFiles, "web/"+name)
		if err != nil {
			return fmt.Errorf("demo page: %w", err)
		}
		assets[name] = webAsset{contentType: ct, body: body}
	}
	csp := pageCSPFor(cfg.Captcha.KindName())
	serve := func(name string) gin.HandlerFunc {
		a := assets[name]
		return func(c *gin.Context) {
			h := c.Writer.Header()
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			if name == "index.html" {
				h.Set("Content-Security-Policy", csp)
			}
			c.Data(http.StatusOK, a.contentType, a.body)
		}
	}
	engine.GET("/", serve("index.html"))
	engine.GET("/demo/app.css", serve("app.css"))
	engine.GET("/demo/app.js", serve("app.js"))
	engine.GET("/demo/human.js", serve("human.js"))
	for _, name := range []string{"altcha/altcha.js", "altcha/altcha.css", "altcha/sha.js"} {
		engine.GET("/demo/"+name, serve(name))
	}

	conf := demoConfig{
		Prefix:        cfg.Routes.Prefix,
		SendInterval:  int64((cfg.SMS.SendInterval + time.Second - 1) / time.Second),
		CodeLength:    cfg.SMS.CodeLength,
		CaptchaLength: cfg.Captcha.Length,
		Demo:          inbox != nil,
		CaptchaKind:   cfg.Captcha.KindName(),
		ProofFields:   cfg.Captcha.ProofFields(),
	}
	switch conf.CaptchaKind {
	case "turnstile":
		conf.SiteKey = cfg.Captcha.Turnstile.SiteKey
	case "hcaptcha":
		conf.SiteKey = cfg.Captcha.HCaptcha.SiteKey
	case "recaptcha":
		conf.SiteKey = cfg.Captcha.Recaptcha.SiteKey
	}
	engine.GET("/demo/config", func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, conf)
	})
	if inbox != nil {
		engine.GET("/demo/messages", inbox.messagesHandler())
		engine.GET("/demo/captcha", captchaAnswerHandler(rdb, cfg.Captcha.Key))
	}
	return nil
}

// canonicalUUID is the form of the uuids whose answers ginsms stores.
var canonicalUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// captchaAnswerHandler answers GET /demo/captcha?uuid=U with captcha U's answer, read from
// Redis under the configured template; 4005 for a uuid that is not canonical, 4002 when
// there is no answer. Demo mode only: it hands out what a captcha exists to hide.
func captchaAnswerHandler(rdb redis.UniversalClient, template string) gin.HandlerFunc {
	key := keys.MustParse(template) // New validated it
	return func(c *gin.Context) {
		uuid := strings.ToLower(c.Query("uuid"))
		if !canonicalUUID.MatchString(uuid) {
			c.AbortWithStatusJSON(http.StatusBadRequest, answerOf(contract.CodeMalformedInput))
			return
		}
		answer, err := rdb.Get(c.Request.Context(), key.Key(uuid)).Result()
		if err != nil {
			c.AbortWithStatusJSON(http.StatusBadRequest, answerOf(contract.CodeCaptchaExpired))
			return
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, gin.H{"answer": answer})
	}
}

// answerOf is the contract's answer of code with its default text: the demo routes are the
// example's own, so the application's messages do not apply to them.
func answerOf(code contract.Code) gin.H {
	return gin.H{"code": int(code), "errormsg": code.DefaultText()}
}
