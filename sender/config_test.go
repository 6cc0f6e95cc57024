package sender_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-viper/mapstructure/v2"

	"github.com/ginsms/ginsms/sender"
)

func TestDefaultConfig(t *testing.T) {
	cfg := sender.DefaultConfig()
	if cfg.Kind != "log" || cfg.Timeout != 5*time.Second {
		t.Errorf("DefaultConfig: kind %q timeout %v, want log 5s", cfg.Kind, cfg.Timeout)
	}
	want := sender.TwilioConfig{Template: "Your verification code is {code}.", PhonePrefix: "+86", BaseURL: "https://api.twilio.com"}
	if cfg.Twilio != want {
		t.Errorf("DefaultConfig: twilio %+v, want %+v", cfg.Twilio, want)
	}
	if want := (sender.AliyunConfig{RegionID: "cn-hangzhou", Endpoint: "https://dysmsapi.aliyuncs.com/"}); cfg.Aliyun != want {
		t.Errorf("DefaultConfig: aliyun %+v, want %+v", cfg.Aliyun, want)
	}
	if cfg.Webhook != (sender.WebhookConfig{}) || cfg.Custom != nil || cfg.Logger != nil || cfg.HTTPClient != nil {
		t.Errorf("DefaultConfig: %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
	if err := (sender.Config{}).Validate(); err != nil {
		t.Errorf("zero Config.Validate() = %v, want nil (defaults apply)", err)
	}
}

// The mapstructure tags mirror config.yaml.
func TestConfigMapstructure(t *testing.T) {
	in := map[string]any{
		"kind": "aliyun", "timeout": "3s",
		"webhook": map[string]any{"url": "https://h.example/x", "secret": "s", "template": "t"},
		"twilio": map[string]any{"account_sid": "AC1", "auth_token": "tok", "from": "+1", "messaging_service_sid": "MG1",
			"template": "{code}", "phone_prefix": "+1", "base_url": "https://tw.example"},
		"aliyun": map[string]any{"access_key_id": "id", "access_key_secret": "sec", "sign_name": "sn",
			"template_code": "SMS_1", "region_id": "cn-shanghai", "endpoint": "https://al.example/"},
	}
	var got sender.Config
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook: mapstructure.StringToTimeDurationHookFunc(), ErrorUnused: true, Result: &got,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(in); err != nil {
		t.Fatal(err)
	}
	want := sender.Config{
		Kind: "aliyun", Timeout: 3 * time.Second,
		Webhook: sender.WebhookConfig{URL: "https://h.example/x", Secret: "s", Template: "t"},
		Twilio: sender.TwilioConfig{AccountSID: "AC1", AuthToken: "tok", From: "+1", MessagingServiceSID: "MG1",
			Template: "{code}", PhonePrefix: "+1", BaseURL: "https://tw.example"},
		Aliyun: sender.AliyunConfig{AccessKeyID: "id", AccessKeySecret: "sec", SignName: "sn",
			TemplateCode: "SMS_1", RegionID: "cn-shanghai", Endpoint: "https://al.example/"},
	}
	if got.Kind != want.Kind || got.Timeout != want.Timeout || got.Webhook != want.Webhook || got.Twilio != want.Twilio || got.Aliyun != want.Aliyun {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	for _, key := range []string{"custom", "logger", "http_client", "httpclient"} {
		var c sender.Config
		dec, _ := mapstructure.NewDecoder(&mapstructure.DecoderConfig{ErrorUnused: true, Result: &c})
		if err := dec.Decode(map[string]any{key: "x"}); err == nil {
			t.Errorf("key %q was decoded; code-only fields must not be", key)
		}
	}
}

// checkConfigErrors fails t unless err reports exactly the keys want, each in an error
// wrapping ErrInvalidConfig, quoting no secret.
func checkConfigErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, sender.ErrInvalidConfig) {
		t.Fatalf("got %v, want an error wrapping ErrInvalidConfig", err)
	}
	lines := strings.Split(strings.TrimPrefix(err.Error(), "ginsms: invalid configuration:"), "\n")
	if len(lines) > 1 {
		lines = lines[1:] // several problems: one a line under the heading
	}
	if len(lines) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, line := range lines {
		if i < len(want) && !strings.HasPrefix(strings.TrimSpace(line), want[i]) {
			t.Errorf("problem %d: got %q, want it to start with %q", i, line, want[i])
		}
	}
	for _, s := range append(providerSecrets, "https://", "sms.example.com") {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q quotes %q", err, s)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	valid := providerConfigs("https://sms.example.com")
	tests := []struct {
		name   string
		base   string // kind of valid config to start from; "" = DefaultConfig
		change func(*sender.Config)
		want   []string // the expected problems, in order
	}{
		{"log", "", func(c *sender.Config) {}, nil},
		{"kind upper case", "", func(c *sender.Config) { c.Kind = " LOG " }, nil},
		{"unknown kind", "", func(c *sender.Config) { c.Kind = "carrier-pigeon" }, []string{`sender.kind: must be one of log, webhook, twilio, aliyun, got "carrier-pigeon"`}},
		{"negative timeout", "", func(c *sender.Config) { c.Timeout = -time.Second }, []string{"sender.timeout: must be positive"}},
		{"zero timeout", "", func(c *sender.Config) { c.Timeout = 0 }, nil},
		{"log ignores empty twilio", "", func(c *sender.Config) { c.Twilio = sender.TwilioConfig{BaseURL: "nope"} }, nil},
		{"negative timeout and unknown kind", "", func(c *sender.Config) { c.Timeout, c.Kind = -1, "sms" }, []string{"sender.timeout", "sender.kind"}},

		{"webhook", "webhook", func(c *sender.Config) {}, nil},
		{"webhook ignores a bad twilio section", "webhook", func(c *sender.Config) { c.Twilio.BaseURL = "ftp://x" }, nil},
		{"webhook url missing", "webhook", func(c *sender.Config) { c.Webhook.URL = "" }, []string{"sender.webhook.url: required when sender.kind is webhook"}},
		{"webhook url relative", "webhook", func(c *sender.Config) { c.Webhook.URL = "/hook?token=url-token" }, []string{"sender.webhook.url: must be an absolute http or https URL"}},
		{"webhook url ftp", "webhook", func(c *sender.Config) { c.Webhook.URL = "ftp://example.com/?token=url-token" }, []string{"sender.webhook.url: must be an absolute http or https URL"}},
		{"webhook url no host", "webhook", func(c *sender.Config) { c.Webhook.URL = "https:///hook?token=url-token" }, []string{"sender.webhook.url: must be"}},
		{"webhook url unparsable", "webhook", func(c *sender.Config) { c.Webhook.URL = "https://exa mple.com/?token=url-token" }, []string{"sender.webhook.url: must be"}},
		{"webhook secret missing", "webhook", func(c *sender.Config) { c.Webhook.Secret = "" }, []string{"sender.webhook.secret: required when sender.kind is webhook"}},
		{"webhook empty", "webhook", func(c *sender.Config) { c.Webhook = sender.WebhookConfig{} }, []string{"sender.webhook.url: required", "sender.webhook.secret: required"}},

		{"twilio", "twilio", func(c *sender.Config) {}, nil},
		{"twilio messaging service only", "twilio", func(c *sender.Config) {
			c.Twilio.From, c.Twilio.MessagingServiceSID = "", "MG00000000000000000000000000000000"
		}, nil},
		{"twilio kind mixed case", "twilio", func(c *sender.Config) { c.Kind = "Twilio" }, nil},
		{"twilio account_sid missing", "twilio", func(c *sender.Config) { c.Twilio.AccountSID = "" }, []string{"sender.twilio.account_sid: required when sender.kind is twilio"}},
		{"twilio auth_token missing", "twilio", func(c *sender.Config) { c.Twilio.AuthToken = "" }, []string{"sender.twilio.auth_token: required when sender.kind is twilio"}},
		{"twilio no sender", "twilio", func(c *sender.Config) { c.Twilio.From = "" }, []string{"sender.twilio.from: required when sender.kind is twilio, unless sender.twilio.messaging_service_sid is set"}},
		{"twilio template without code", "twilio", func(c *sender.Config) { c.Twilio.Template = "Your code is {CODE}" }, []string{"sender.twilio.template: must contain {code}"}},
		{"twilio phone prefix", "twilio", func(c *sender.Config) { c.Twilio.PhonePrefix = "86" }, []string{`sender.twilio.phone_prefix: must be "+" and 1 to 4 digits, got "86"`}},
		{"twilio phone prefix too long", "twilio", func(c *sender.Config) { c.Twilio.PhonePrefix = "+12345" }, []string{"sender.twilio.phone_prefix"}},
		{"twilio phone prefix letters", "twilio", func(c *sender.Config) { c.Twilio.PhonePrefix = "+a" }, []string{"sender.twilio.phone_prefix"}},
		{"twilio base_url", "twilio", func(c *sender.Config) { c.Twilio.BaseURL = "api.twilio.com" }, []string{"sender.twilio.base_url: must be an absolute http or https URL"}},
		{"twilio empty optionals are defaults", "twilio", func(c *sender.Config) {
			c.Twilio.BaseURL, c.Twilio.Template, c.Twilio.PhonePrefix = "", "", ""
		}, nil},
		{"twilio all wrong", "twilio", func(c *sender.Config) {
			c.Twilio = sender.TwilioConfig{Template: "hi", PhonePrefix: "0086", BaseURL: "//x"}
		}, []string{"sender.twilio.account_sid", "sender.twilio.auth_token", "sender.twilio.from", "sender.twilio.template", "sender.twilio.phone_prefix", "sender.twilio.base_url"}},

		{"aliyun", "aliyun", func(c *sender.Config) {}, nil},
		{"aliyun access_key_id missing", "aliyun", func(c *sender.Config) { c.Aliyun.AccessKeyID = "" }, []string{"sender.aliyun.access_key_id: required when sender.kind is aliyun"}},
		{"aliyun access_key_secret missing", "aliyun", func(c *sender.Config) { c.Aliyun.AccessKeySecret = "" }, []string{"sender.aliyun.access_key_secret: required when sender.kind is aliyun"}},
		{"aliyun sign_name missing", "aliyun", func(c *sender.Config) { c.Aliyun.SignName = "" }, []string{"sender.aliyun.sign_name: required when sender.kind is aliyun"}},
		{"aliyun template_code missing", "aliyun", func(c *sender.Config) { c.Aliyun.TemplateCode = "" }, []string{"sender.aliyun.template_code: required when sender.kind is aliyun"}},
		{"aliyun endpoint", "aliyun", func(c *sender.Config) { c.Aliyun.Endpoint = "//dysmsapi.aliyuncs.com/" }, []string{"sender.aliyun.endpoint: must be an absolute http or https URL"}},
		{"aliyun empty optionals are defaults", "aliyun", func(c *sender.Config) { c.Aliyun.RegionID, c.Aliyun.Endpoint = "", "" }, nil},
		{"aliyun empty", "aliyun", func(c *sender.Config) { c.Aliyun = sender.AliyunConfig{} }, []string{
			"sender.aliyun.access_key_id", "sender.aliyun.access_key_secret", "sender.aliyun.sign_name", "sender.aliyun.template_code"}},

		{"custom skips kind and sections", "twilio", func(c *sender.Config) {
			c.Kind, c.Twilio = "carrier-pigeon", sender.TwilioConfig{}
			c.Custom = sender.Func(func(context.Context, sender.Message) error { return nil })
		}, nil},
		{"custom still checks timeout", "", func(c *sender.Config) {
			c.Timeout = -1
			c.Custom = sender.Func(func(context.Context, sender.Message) error { return nil })
		}, []string{"sender.timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sender.DefaultConfig()
			if tt.base != "" {
				cfg = valid[tt.base]
			}
			tt.change(&cfg)
			cfg.Logger = slog.New(slog.DiscardHandler)
			checkConfigErrors(t, cfg.Validate(), tt.want)
			s, err := sender.New(cfg)
			checkConfigErrors(t, err, tt.want)
			if (s == nil) != (err != nil) {
				t.Errorf("New = %v, %v", s, err)
			}
		})
	}
}

// Label is what the observer reports as the sender: the default kind is "log", not "".
func TestConfigLabel(t *testing.T) {
	custom := sender.Func(func(context.Context, sender.Message) error { return nil })
	for _, tt := range []struct {
		cfg  sender.Config
		want string
	}{
		{sender.Config{}, "log"},
		{sender.Config{Kind: " Twilio "}, "twilio"},
		{sender.Config{Kind: "webhook", Custom: custom}, "custom"},
	} {
		if got := tt.cfg.Label(); got != tt.want {
			t.Errorf("Label of kind %q = %q, want %q", tt.cfg.Kind, got, tt.want)
		}
	}
}
