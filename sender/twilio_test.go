package sender_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ginsms/ginsms/sender"
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

func newTwilioTestSender(t *testing.T, tc sender.TwilioConfig) sender.Sender {
	t.Helper()
	cfg := sender.DefaultConfig()
	cfg.Kind = "twilio"
	tc.AccountSID, tc.AuthToken = twilioTestSID, twilioTestToken
	cfg.Twilio = tc
	s, err := sender.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTwilioSender(t *testing.T) {
	tests := []struct {
		name   string
		cfg    sender.TwilioConfig
		phone  string
		form   url.Values
		status int
	}{
		{
			name:  "from",
			cfg:   sender.TwilioConfig{From: "+15005550006"},
			phone: testPhone,
			form: url.Values{"To": {"+8613800138000"}, "From": {"+15005550006"},
				"Body": {"Your verification code is 123456."}},
			status: http.StatusCreated,
		},
		{
			name:  "messaging service",
			cfg:   sender.TwilioConfig{MessagingServiceSID: "MG0123456789abcdef0123456789abcdef"},
			phone: testPhone,
			form: url.Values{"To": {"+8613800138000"}, "MessagingServiceSid": {"MG0123456789abcdef0123456789abcdef"},
				"Body": {"Your verification code is 123456."}},
			status: http.StatusCreated,
		},
		{
			name:  "both, E.164 phone, own template and prefix",
			cfg:   sender.TwilioConfig{From: "ACME", MessagingServiceSID: "MG1", Template: "{code} is your ACME code & expires in 1 min", PhonePrefix: "+1"},
			phone: "+447700900123",
			form: url.Values{"To": {"+447700900123"}, "From": {"ACME"}, "MessagingServiceSid": {"MG1"},
				"Body": {"123456 is your ACME code & expires in 1 min"}},
			status: http.StatusCreated,
		},
		{
			name:   "phone prefix, 200",
			cfg:    sender.TwilioConfig{From: "+15005550006", PhonePrefix: "+1"},
			phone:  "2025550123",
			form:   url.Values{"To": {"+12025550123"}, "From": {"+15005550006"}, "Body": {"Your verification code is 123456."}},
			status: http.StatusOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twilioServer(t, tt.form, tt.status, twilioCreated)
			tt.cfg.BaseURL = srv.URL + "/"
			msg := sender.Message{Phone: tt.phone, Code: testCode, ID: testID}
			checkOutcome(t, newTwilioTestSender(t, tt.cfg).Send(context.Background(), msg), sent, nil)
		})
	}
}

func TestTwilioSenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   outcome
		text   []string
	}{
		{
			name:   "invalid To",
			status: http.StatusBadRequest,
			body:   `{"code": 21211, "message": "The 'To' number +8613800138000 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`,
			want:   refused,
			text:   []string{"sender: provider refused the message: twilio: HTTP 400 Bad Request: error 21211: The 'To' number +86*******8000 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)"},
		},
		{
			name:   "authenticate",
			status: http.StatusUnauthorized,
			body:   `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`,
			want:   refused,
			text:   []string{"HTTP 401", "error 20003: Authenticate"},
		},
		{
			name:   "unverified number on a trial account",
			status: http.StatusBadRequest,
			body:   `{"code": 21608, "message": "The number 13800138000 is unverified. Trial accounts cannot send messages to unverified numbers.", "more_info": "https://www.twilio.com/docs/errors/21608", "status": 400}`,
			want:   refused,
			text:   []string{"error 21608", "The number 138****8000 is unverified"},
		},
		{
			name:   "phone without plus",
			status: http.StatusBadRequest,
			body:   `{"code": 21211, "message": "Invalid 'To' Phone Number: 86138001XXXX 8613800138000", "status": 400}`,
			want:   refused,
			text:   []string{"861******8000"},
		},
		{
			name:   "too many requests",
			status: http.StatusTooManyRequests,
			body:   `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`,
			want:   refused,
			text:   []string{"HTTP 429", "error 20429: Too Many Requests"},
		},
		{
			name:   "message echoing the body and the token, with control characters",
			status: http.StatusBadRequest,
			body:   `{"code": 21617, "message": "Body 'Your verification code is 123456.'\ntoo long for twilio-auth-token", "more_info": "", "status": 400}`,
			want:   refused,
			text:   []string{"error 21617: Body 'Your verification code is [redacted].' too long for [redacted]"},
		},
		{
			name:   "long message",
			status: http.StatusBadRequest,
			body:   `{"code": 21602, "message": "` + strings.Repeat("x", 1000) + `", "status": 400}`,
			want:   refused,
			text:   []string{"error 21602: " + strings.Repeat("x", 300) + "…"},
		},
		{
			name:   "not found page",
			status: http.StatusNotFound,
			body:   `<html><body>Not Found</body></html>`,
			want:   refused,
			text:   []string{"sender: provider refused the message: twilio: HTTP 404 Not Found"},
		},
		{
			name:   "redirect",
			status: http.StatusMovedPermanently,
			want:   refused,
			text:   []string{"twilio: HTTP 301"},
		},
		{
			name:   "internal error with Twilio's body",
			status: http.StatusInternalServerError,
			body:   `{"code": 20500, "message": "Internal Server Error", "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}`,
			want:   unknown,
			text:   []string{"sender: twilio: outcome unknown: HTTP 500 Internal Server Error: error 20500: Internal Server Error"},
		},
		{
			name:   "proxy error page",
			status: http.StatusBadGateway,
			body:   `<html><body>Bad Gateway</body></html>`,
			want:   unknown,
			text:   []string{"sender: twilio: outcome unknown: HTTP 502 Bad Gateway"},
		},
		{
			name:   "empty 503",
			status: http.StatusServiceUnavailable,
			want:   unknown,
			text:   []string{"HTTP 503"},
		},
	}
	form := url.Values{"To": {"+8613800138000"}, "From": {"+15005550006"}, "Body": {"Your verification code is 123456."}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twilioServer(t, form, tt.status, tt.body)
			s := newTwilioTestSender(t, sender.TwilioConfig{From: "+15005550006", BaseURL: srv.URL})
			err := s.Send(context.Background(), testMsg)
			checkOutcome(t, err, tt.want, tt.text, twilioTestToken, testCode, "+8613800138000", "8613800138000")
			if n := len(err.Error()); n > 1000 {
				t.Errorf("error of %d bytes: the provider's text is not bounded", n)
			}
		})
	}
}
