package ginsms_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ginsms/ginsms/ginsms"
)

const (
	twilioTestSID   = "AC0123456789abcdef0123456789abcdef"
	twilioTestToken = "twilio-auth-token"
)

// twilioCreated is Twilio's answer to a created message (trimmed).
const twilioCreated = `{"account_sid":"AC0123456789abcdef0123456789abcdef","api_version":"2010-04-01",` +
	`"body":"Your verification code is 123456.","date_created":"Wed, 25 Nov 2026 12:00:00 +0000",` +
	`"direction":"outbound-api","error_code":null,"error_message":null,"from":"+15005550006",` +
	`"num_segments":"1","price":null,"sid":"SM0123456789abcdef0123456789abcdef","status":"queued",` +
	`"to":"+8613800138000","uri":"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json"}`

// twilioServer checks every request as Twilio documents it and answers status and body.
func twilioServer(t *testing.T, wantForm url.Values, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method %s, want POST", r.Method)
		}
		if want := "/2010-04-01/Accounts/" + twilioTestSID + "/Messages.json"; r.URL.Path != want || r.URL.RawQuery != "" {
			t.Errorf("request to %s, want %s", r.URL, want)
		}
		if user, pass, ok := r.BasicAuth(); !ok || user != twilioTestSID || pass != twilioTestToken {
			t.Errorf("basic auth %q %q %v, want the account SID and auth token", user, pass, ok)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q", ct)
		}
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("form %q: %v", raw, err)
		}
		if !reflect.DeepEqual(form, wantForm) {
			t.Errorf("form %v, want %v", form, wantForm)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTwilioSender(t *testing.T) {
	tests := []struct {
		name   string
		cfg    ginsms.TwilioConfig
		phone  string
		form   url.Values
		status int
	}{
		{
			name:  "from",
			cfg:   ginsms.TwilioConfig{From: "+15005550006"},
			phone: senderTestPhone,
			form: url.Values{"To": {"+8613800138000"}, "From": {"+15005550006"},
				"Body": {"Your verification code is 123456."}},
			status: http.StatusCreated,
		},
		{
			name:  "messaging service",
			cfg:   ginsms.TwilioConfig{MessagingServiceSID: "MG0123456789abcdef0123456789abcdef"},
			phone: senderTestPhone,
			form: url.Values{"To": {"+8613800138000"}, "MessagingServiceSid": {"MG0123456789abcdef0123456789abcdef"},
				"Body": {"Your verification code is 123456."}},
			status: http.StatusCreated,
		},
		{
			name:  "both, E.164 phone, own template and prefix",
			cfg:   ginsms.TwilioConfig{From: "ACME", MessagingServiceSID: "MG1", Template: "{code} is your ACME code & expires in 1 min", PhonePrefix: "+1"},
			phone: "+447700900123",
			form: url.Values{"To": {"+447700900123"}, "From": {"ACME"}, "MessagingServiceSid": {"MG1"},
				"Body": {"123456 is your ACME code & expires in 1 min"}},
			status: http.StatusCreated,
		},
		{
			name:   "phone prefix",
			cfg:    ginsms.TwilioConfig{From: "+15005550006", PhonePrefix: "+1"},
			phone:  "2025550123",
			form:   url.Values{"To": {"+12025550123"}, "From": {"+15005550006"}, "Body": {"Your verification code is 123456."}},
			status: http.StatusOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twilioServer(t, tt.form, tt.status, twilioCreated)
			tt.cfg.AccountSID, tt.cfg.AuthToken, tt.cfg.BaseURL = twilioTestSID, twilioTestToken, srv.URL+"/"
			s, err := ginsms.NewTwilioSender(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), tt.phone, senderTestCode); err != nil {
				t.Fatalf("Send: %v", err)
			}
		})
	}
}

func TestTwilioSenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{
			name:   "invalid To",
			status: http.StatusBadRequest,
			body:   `{"code": 21211, "message": "The 'To' number +8613800138000 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`,
			want:   []string{"twilio: HTTP 400: error 21211: The 'To' number +86*******8000 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)"},
		},
		{
			name:   "authenticate",
			status: http.StatusUnauthorized,
			body:   `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`,
			want:   []string{"HTTP 401", "error 20003: Authenticate"},
		},
		{
			name:   "unverified number on a trial account",
			status: http.StatusBadRequest,
			body:   `{"code": 21608, "message": "The number 13800138000 is unverified. Trial accounts cannot send messages to unverified numbers.", "more_info": "https://www.twilio.com/docs/errors/21608", "status": 400}`,
			want:   []string{"error 21608", "The number 138****8000 is unverified"},
		},
		{
			name:   "too many requests",
			status: http.StatusTooManyRequests,
			body:   `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`,
			want:   []string{"HTTP 429", "error 20429: Too Many Requests"},
		},
		{
			name:   "message echoing the body and the token",
			status: http.StatusBadRequest,
			body:   `{"code": 21617, "message": "Body 'Your verification code is 123456.' too long for twilio-auth-token", "more_info": "", "status": 400}`,
			want:   []string{"error 21617", "[redacted]"},
		},
		{
			name:   "proxy error page",
			status: http.StatusBadGateway,
			body:   `<html><body>Bad Gateway</body></html>`,
			want:   []string{"twilio: unexpected status 502 Bad Gateway"},
		},
		{
			name:   "empty 500",
			status: http.StatusInternalServerError,
			want:   []string{"twilio: unexpected status 500"},
		},
		{
			name:   "redirect",
			status: http.StatusMovedPermanently,
			want:   []string{"twilio: unexpected status 301"},
		},
	}
	form := url.Values{"To": {"+8613800138000"}, "From": {"+15005550006"}, "Body": {"Your verification code is 123456."}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twilioServer(t, form, tt.status, tt.body)
			s, err := ginsms.NewTwilioSender(ginsms.TwilioConfig{
				AccountSID: twilioTestSID, AuthToken: twilioTestToken, From: "+15005550006", BaseURL: srv.URL,
			})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), senderTestPhone, senderTestCode)
			checkSendError(t, err, tt.want, twilioTestToken, senderTestCode, senderTestPhone)
		})
	}
}

func TestNewTwilioSenderInvalid(t *testing.T) {
	ok := ginsms.TwilioConfig{AccountSID: twilioTestSID, AuthToken: twilioTestToken, From: "+15005550006"}
	tests := []struct {
		name   string
		change func(*ginsms.TwilioConfig)
		key    string
	}{
		{"no account sid", func(c *ginsms.TwilioConfig) { c.AccountSID = "" }, "sender.twilio.account_sid"},
		{"no auth token", func(c *ginsms.TwilioConfig) { c.AuthToken = "" }, "sender.twilio.auth_token"},
		{"no from", func(c *ginsms.TwilioConfig) { c.From = "" }, "sender.twilio.from"},
		{"template without code", func(c *ginsms.TwilioConfig) { c.Template = "Your code is {CODE}" }, "sender.twilio.template"},
		{"prefix without plus", func(c *ginsms.TwilioConfig) { c.PhonePrefix = "0086" }, "sender.twilio.phone_prefix"},
		{"prefix too long", func(c *ginsms.TwilioConfig) { c.PhonePrefix = "+12345" }, "sender.twilio.phone_prefix"},
		{"prefix letters", func(c *ginsms.TwilioConfig) { c.PhonePrefix = "+a" }, "sender.twilio.phone_prefix"},
		{"base url", func(c *ginsms.TwilioConfig) { c.BaseURL = "ftp://api.twilio.com" }, "sender.twilio.base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			s, err := ginsms.NewTwilioSender(cfg)
			if s != nil || !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.key+": ") {
				t.Fatalf("NewTwilioSender = %v, %v; want an ErrInvalidConfig naming %s", s, err, tt.key)
			}
			if strings.Contains(err.Error(), twilioTestToken) {
				t.Errorf("error %q leaks the auth token", err)
			}
		})
	}
}
