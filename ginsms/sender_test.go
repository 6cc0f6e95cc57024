package ginsms_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ginsms/ginsms/ginsms"
)

// Values shared by the sender tests; every one of the secrets is looked for in errors.
const (
	senderTestPhone  = "13800138000"
	senderTestMasked = "138****8000"
	senderTestCode   = "123456"
)

// checkSendError fails t unless err wraps ErrSend, holds every want and none of secrets.
func checkSendError(t *testing.T, err error, want []string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("Send: got nil error, want one")
	}
	if !errors.Is(err, ginsms.ErrSend) {
		t.Errorf("Send: error %q does not wrap ErrSend", err)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("Send: error %q does not contain %q", msg, w)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("Send: error %q leaks %q", msg, s)
		}
	}
}

// newSlowServer answers only after its client has given up (or after 5s).
func newSlowServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// providerConfigs returns a valid SenderConfig of each provider kind, sending to baseURL.
func providerConfigs(baseURL string) map[string]ginsms.SenderConfig {
	webhook := ginsms.DefaultSenderConfig()
	webhook.Kind = "webhook"
	webhook.Webhook = ginsms.WebhookConfig{URL: baseURL + "/hook?token=url-token", Secret: "webhook-secret"}

	twilio := ginsms.DefaultSenderConfig()
	twilio.Kind = "twilio"
	twilio.Twilio.AccountSID = "AC00000000000000000000000000000000"
	twilio.Twilio.AuthToken = "twilio-auth-token"
	twilio.Twilio.From = "+15005550006"
	twilio.Twilio.BaseURL = baseURL

	aliyun := ginsms.DefaultSenderConfig()
	aliyun.Kind = "aliyun"
	aliyun.Aliyun.AccessKeyID = "testid"
	aliyun.Aliyun.AccessKeySecret = "aliyun-secret"
	aliyun.Aliyun.SignName = "阿里云短信测试"
	aliyun.Aliyun.TemplateCode = "SMS_154950909"
	aliyun.Aliyun.Endpoint = baseURL + "/"

	return map[string]ginsms.SenderConfig{"webhook": webhook, "twilio": twilio, "aliyun": aliyun}
}

// providerSecrets are the credentials of providerConfigs and the code: never in an error.
var providerSecrets = []string{"url-token", "webhook-secret", "twilio-auth-token", "aliyun-secret", senderTestCode}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13800138000", "138****8000"},
		{"+8613800138000", "+86*******8000"},
		{"2025550123", "20******23"},
		{"12345678", "12****78"},
		{"1234567", "1*****7"},
		{"12345", "1***5"},
		{"1234", "****"},
		{"12", "**"},
		{"", ""},
		{"١٣٨٠٠١٣٨٠٠٠", "١٣٨****٨٠٠٠"}, // Arabic-Indic digits: runes, not bytes
	}
	for _, tt := range tests {
		if got := ginsms.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzMaskPhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+8613800138000", "12345", "", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, phone string) {
		got := ginsms.MaskPhone(phone)
		n := utf8.RuneCountInString(phone)
		if utf8.RuneCountInString(got) != n {
			t.Fatalf("MaskPhone(%q) = %q: %d characters, want %d", phone, got, utf8.RuneCountInString(got), n)
		}
		in, out := []rune(phone), []rune(got)
		for i := range out {
			if out[i] != '*' && out[i] != in[i] {
				t.Fatalf("MaskPhone(%q) = %q: character %d changed", phone, got, i)
			}
		}
		if stars := strings.Count(got, "*"); stars < min((n+1)/2, 4) {
			t.Fatalf("MaskPhone(%q) = %q hides only %d characters", phone, got, stars)
		}
	})
}

func TestDefaultSenderConfig(t *testing.T) {
	cfg := ginsms.DefaultSenderConfig()
	if cfg.Kind != "log" || cfg.Timeout != 5*time.Second {
		t.Errorf("DefaultSenderConfig: kind %q timeout %v, want log 5s", cfg.Kind, cfg.Timeout)
	}
	if cfg.Twilio.BaseURL != "https://api.twilio.com" || cfg.Twilio.Template != "Your verification code is {code}." {
		t.Errorf("DefaultSenderConfig: twilio %+v", cfg.Twilio)
	}
	if cfg.Aliyun.Endpoint != "https://dysmsapi.aliyuncs.com/" || cfg.Aliyun.RegionID != "cn-hangzhou" {
		t.Errorf("DefaultSenderConfig: aliyun %+v", cfg.Aliyun)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("DefaultSenderConfig().Validate() = %v", err)
	}
	if err := (ginsms.SenderConfig{}).Validate(); err != nil {
		t.Errorf("zero SenderConfig.Validate() = %v, want nil (defaults apply)", err)
	}
}

func TestSenderConfigValidate(t *testing.T) {
	valid := providerConfigs("https://sms.example.com")
	tests := []struct {
		name   string
		base   string // kind of valid config to start from; "" = DefaultSenderConfig
		change func(*ginsms.SenderConfig)
		want   string // "" = valid, else the expected message after "invalid configuration: "
	}{
		{"log", "", func(c *ginsms.SenderConfig) {}, ""},
		{"kind upper case", "", func(c *ginsms.SenderConfig) { c.Kind = " LOG " }, ""},
		{"unknown kind", "", func(c *ginsms.SenderConfig) { c.Kind = "carrier-pigeon" }, `sender.kind: must be one of log, webhook, twilio, aliyun, got "carrier-pigeon"`},
		{"negative timeout", "", func(c *ginsms.SenderConfig) { c.Timeout = -time.Second }, "sender.timeout: must be positive"},
		{"zero timeout", "", func(c *ginsms.SenderConfig) { c.Timeout = 0 }, ""},
		{"log ignores empty twilio", "", func(c *ginsms.SenderConfig) { c.Twilio = ginsms.TwilioConfig{} }, ""},

		{"webhook", "webhook", func(c *ginsms.SenderConfig) {}, ""},
		{"webhook url missing", "webhook", func(c *ginsms.SenderConfig) { c.Webhook.URL = "" }, "sender.webhook.url: required when sender.kind is webhook"},
		{"webhook url relative", "webhook", func(c *ginsms.SenderConfig) { c.Webhook.URL = "/hook?token=url-token" }, "sender.webhook.url: must be an absolute http or https URL"},
		{"webhook url ftp", "webhook", func(c *ginsms.SenderConfig) { c.Webhook.URL = "ftp://example.com/?token=url-token" }, "sender.webhook.url: must be an absolute http or https URL"},
		{"webhook secret missing", "webhook", func(c *ginsms.SenderConfig) { c.Webhook.Secret = "" }, "sender.webhook.secret: required when sender.kind is webhook"},

		{"twilio", "twilio", func(c *ginsms.SenderConfig) {}, ""},
		{"twilio messaging service only", "twilio", func(c *ginsms.SenderConfig) {
			c.Twilio.From, c.Twilio.MessagingServiceSID = "", "MG00000000000000000000000000000000"
		}, ""},
		{"twilio kind mixed case", "twilio", func(c *ginsms.SenderConfig) { c.Kind = "Twilio" }, ""},
		{"twilio account_sid missing", "twilio", func(c *ginsms.SenderConfig) { c.Twilio.AccountSID = "" }, "sender.twilio.account_sid: required when sender.kind is twilio"},
		{"twilio auth_token missing", "twilio", func(c *ginsms.SenderConfig) { c.Twilio.AuthToken = "" }, "sender.twilio.auth_token: required when sender.kind is twilio"},
		{"twilio no sender", "twilio", func(c *ginsms.SenderConfig) { c.Twilio.From = "" }, "sender.twilio.from: required when sender.kind is twilio, unless sender.twilio.messaging_service_sid is set"},
		{"twilio template without code", "twilio", func(c *ginsms.SenderConfig) { c.Twilio.Template = "Hello" }, "sender.twilio.template: must contain {code}"},
		{"twilio phone prefix", "twilio", func(c *ginsms.SenderConfig) { c.Twilio.PhonePrefix = "86" }, `sender.twilio.phone_prefix: must be "+" and 1 to 4 digits, got "86"`},
		{"twilio base_url", "twilio", func(c *ginsms.SenderConfig) { c.Twilio.BaseURL = "api.twilio.com" }, "sender.twilio.base_url: must be an absolute http or https URL"},
		{"twilio empty base_url is default", "twilio", func(c *ginsms.SenderConfig) { c.Twilio.BaseURL = "" }, ""},

		{"aliyun", "aliyun", func(c *ginsms.SenderConfig) {}, ""},
		{"aliyun access_key_id missing", "aliyun", func(c *ginsms.SenderConfig) { c.Aliyun.AccessKeyID = "" }, "sender.aliyun.access_key_id: required when sender.kind is aliyun"},
		{"aliyun access_key_secret missing", "aliyun", func(c *ginsms.SenderConfig) { c.Aliyun.AccessKeySecret = "" }, "sender.aliyun.access_key_secret: required when sender.kind is aliyun"},
		{"aliyun sign_name missing", "aliyun", func(c *ginsms.SenderConfig) { c.Aliyun.SignName = "" }, "sender.aliyun.sign_name: required when sender.kind is aliyun"},
		{"aliyun template_code missing", "aliyun", func(c *ginsms.SenderConfig) { c.Aliyun.TemplateCode = "" }, "sender.aliyun.template_code: required when sender.kind is aliyun"},
		{"aliyun endpoint", "aliyun", func(c *ginsms.SenderConfig) { c.Aliyun.Endpoint = "dysmsapi.aliyuncs.com" }, "sender.aliyun.endpoint: must be an absolute http or https URL"},
		{"aliyun empty region is default", "aliyun", func(c *ginsms.SenderConfig) { c.Aliyun.RegionID = "" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ginsms.DefaultSenderConfig()
			if tt.base != "" {
				cfg = valid[tt.base]
			}
			tt.change(&cfg)
			err := cfg.Validate()
			_, newErr := ginsms.NewSender(cfg, slog.New(slog.DiscardHandler))
			if tt.want == "" {
				if err != nil || newErr != nil {
					t.Fatalf("Validate() = %v, NewSender: %v; want nil", err, newErr)
				}
				return
			}
			for _, e := range []error{err, newErr} {
				if !errors.Is(e, ginsms.ErrInvalidConfig) {
					t.Fatalf("got %v, want an error wrapping ErrInvalidConfig", e)
				}
				if want := "ginsms: invalid configuration: " + tt.want; !strings.HasPrefix(e.Error(), want) {
					t.Errorf("got %q, want it to start with %q", e, want)
				}
				for _, s := range providerSecrets {
					if strings.Contains(e.Error(), s) {
						t.Errorf("error %q leaks %q", e, s)
					}
				}
			}
		})
	}
}

func TestSenderFunc(t *testing.T) {
	var gotPhone, gotCode string
	boom := errors.New("boom")
	var s ginsms.Sender = ginsms.SenderFunc(func(ctx context.Context, phone, code string) error {
		gotPhone, gotCode = phone, code
		return boom
	})
	if err := s.Send(context.Background(), senderTestPhone, senderTestCode); err != boom {
		t.Errorf("Send = %v, want the function's error", err)
	}
	if gotPhone != senderTestPhone || gotCode != senderTestCode {
		t.Errorf("function got %q %q", gotPhone, gotCode)
	}
}

func TestLogSender(t *testing.T) {
	for _, viaConfig := range []bool{false, true} {
		var buf bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&buf, nil))
		s := ginsms.NewLogSender(logger)
		if viaConfig {
			var err error
			if s, err = ginsms.NewSender(ginsms.SenderConfig{}, logger); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Send(context.Background(), senderTestPhone, senderTestCode); err != nil {
			t.Fatalf("Send: %v", err)
		}
		out := buf.String()
		for _, want := range []string{"phone=" + senderTestMasked, "code=" + senderTestCode, "level=WARN", "for demos only"} {
			if !strings.Contains(out, want) {
				t.Errorf("log output %q does not contain %q", out, want)
			}
		}
		if strings.Contains(out, senderTestPhone) {
			t.Errorf("log output %q contains the full phone", out)
		}
	}
}

func TestLogSenderDefaultLogger(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	if err := ginsms.NewLogSender(nil).Send(context.Background(), senderTestPhone, senderTestCode); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "phone="+senderTestMasked) {
		t.Errorf("default logger got %q", buf.String())
	}
}

func TestLogSenderCancelled(t *testing.T) {
	var buf bytes.Buffer
	s := ginsms.NewLogSender(slog.New(slog.NewTextHandler(&buf, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Send(ctx, senderTestPhone, senderTestCode)
	checkSendError(t, err, nil, senderTestCode)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send = %v, want context.Canceled", err)
	}
	if strings.Contains(buf.String(), "code=") {
		t.Errorf("a cancelled send logged the code: %q", buf.String())
	}
}

// Every provider sender gives up when the caller's context ends, and says why.
func TestProviderSendersHonourContext(t *testing.T) {
	srv := newSlowServer(t)
	for kind, cfg := range providerConfigs(srv.URL) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			cfg.Timeout = time.Minute // the caller's deadline must be the one that counts
			s, err := ginsms.NewSender(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = s.Send(ctx, senderTestPhone, senderTestCode)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Send took %v with a 50ms deadline", elapsed)
			}
			checkSendError(t, err, []string{kind}, providerSecrets...)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send = %v, want it to wrap context.DeadlineExceeded", err)
			}
		})
	}
}

// NewSender bounds every send by sender.timeout even when the caller set no deadline,
// also with an HTTPClient of the application's that has no timeout.
func TestNewSenderTimeout(t *testing.T) {
	srv := newSlowServer(t)
	for kind, cfg := range providerConfigs(srv.URL) {
		for _, client := range []*http.Client{nil, {}} {
			name := kind + "/default client"
			if client != nil {
				name = kind + "/client without timeout"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				cfg := cfg // shared by both subtests
				cfg.Timeout = 50 * time.Millisecond
				cfg.Webhook.HTTPClient, cfg.Twilio.HTTPClient, cfg.Aliyun.HTTPClient = client, client, client
				s, err := ginsms.NewSender(cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				err = s.Send(context.Background(), senderTestPhone, senderTestCode)
				if elapsed := time.Since(start); elapsed > 2*time.Second {
					t.Errorf("Send took %v with a 50ms sender.timeout", elapsed)
				}
				checkSendError(t, err, []string{kind}, providerSecrets...)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Send = %v, want it to wrap context.DeadlineExceeded", err)
				}
			})
		}
	}
}

// A provider that cannot be reached is an ErrSend whose text has no URL, token or code.
func TestProviderSendersUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	for kind, cfg := range providerConfigs(url) {
		t.Run(kind, func(t *testing.T) {
			s, err := ginsms.NewSender(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), senderTestPhone, senderTestCode)
			checkSendError(t, err, []string{kind}, providerSecrets...)
		})
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The HTTPClient of a provider section is the one used.
func TestProviderSendersUseHTTPClient(t *testing.T) {
	answers := map[string]struct {
		status int
		body   string
	}{
		"webhook": {http.StatusNoContent, ""},
		"twilio":  {http.StatusCreated, `{"sid":"SM00000000000000000000000000000000","status":"queued"}`},
		"aliyun":  {http.StatusOK, `{"Code":"OK","Message":"OK","BizId":"1^0","RequestId":"R"}`},
	}
	for kind, cfg := range providerConfigs("https://provider.invalid") {
		t.Run(kind, func(t *testing.T) {
			calls := 0
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				calls++
				if r.URL.Host != "provider.invalid" {
					t.Errorf("request to %q", r.URL.Host)
				}
				a := answers[kind]
				return &http.Response{StatusCode: a.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
			})}
			cfg.Webhook.HTTPClient, cfg.Twilio.HTTPClient, cfg.Aliyun.HTTPClient = client, client, client
			s, err := ginsms.NewSender(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), senderTestPhone, senderTestCode); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if calls != 1 {
				t.Errorf("the injected client was called %d times, want 1", calls)
			}
		})
	}
}
