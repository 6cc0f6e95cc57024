package ginsms_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginsms/ginsms/ginsms"
)

const webhookTestSecret = "webhook-secret"

// verifyWebhook checks a webhook request the way a receiver should, written from the
// documentation alone, and returns its decoded body (nil if it is not JSON). It runs in
// the server's goroutine, so it reports with t.Errorf only.
func verifyWebhook(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	if r.Method != http.MethodPost {
		t.Errorf("method %s, want POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("reading the body: %v", err)
		return nil
	}
	ts := r.Header.Get("X-Ginsms-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Errorf("X-Ginsms-Timestamp %q: %v", ts, err)
	}
	if d := time.Since(time.Unix(sec, 0)); d < -time.Minute || d > time.Minute {
		t.Errorf("X-Ginsms-Timestamp %q is %v away from now", ts, d)
	}
	mac := hmac.New(sha256.New, []byte(webhookTestSecret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := r.Header.Get("X-Ginsms-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
		t.Errorf("X-Ginsms-Signature %q, want %q", got, want)
	}
	var msg map[string]any
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Errorf("body %q: %v", body, err)
		return nil
	}
	if msg["timestamp"] != float64(sec) {
		t.Errorf("body timestamp %v, header %d", msg["timestamp"], sec)
	}
	return msg
}

func TestWebhookSender(t *testing.T) {
	ids := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hooks/sms" || r.URL.RawQuery != "token=url-token" {
			t.Errorf("request to %s", r.URL)
		}
		msg := verifyWebhook(t, r)
		if len(msg) != 5 || msg["phone"] != senderTestPhone || msg["code"] != senderTestCode || msg["template"] != "login" {
			t.Errorf("body %v", msg)
		}
		id, _ := msg["id"].(string)
		if id == "" {
			t.Errorf("body id %v, want a non-empty string", msg["id"])
		}
		ids <- id
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s, err := ginsms.NewWebhookSender(ginsms.WebhookConfig{
		URL: srv.URL + "/hooks/sms?token=url-token", Secret: webhookTestSecret, Template: "login",
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Send(context.Background(), senderTestPhone, senderTestCode); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if a, b := <-ids, <-ids; a == b {
		t.Errorf("two messages share the id %q", a)
	}
}

func TestWebhookSenderStatus(t *testing.T) {
	tests := []struct {
		status int
		ok     bool
		want   string
	}{
		{http.StatusOK, true, ""},
		{http.StatusCreated, true, ""},
		{http.StatusAccepted, true, ""},
		{http.StatusNoContent, true, ""},
		{http.StatusFound, false, "unexpected status 302 Found"},
		{http.StatusTemporaryRedirect, false, "unexpected status 307"},
		{http.StatusBadRequest, false, "unexpected status 400 Bad Request"},
		{http.StatusUnauthorized, false, "unexpected status 401"},
		{http.StatusTooManyRequests, false, "unexpected status 429"},
		{http.StatusInternalServerError, false, "unexpected status 500"},
		{http.StatusServiceUnavailable, false, "unexpected status 503"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/hook" {
					t.Errorf("request to %s: a redirect was followed", r.URL)
					return
				}
				verifyWebhook(t, r)
				if tt.status/100 == 3 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				// A careless receiver echoing what it got, secrets included.
				_, _ = io.WriteString(w, `{"error":"nope","code":"`+senderTestCode+`","secret":"`+webhookTestSecret+`"}`)
			}))
			defer srv.Close()
			s, err := ginsms.NewWebhookSender(ginsms.WebhookConfig{URL: srv.URL + "/hook?token=url-token", Secret: webhookTestSecret})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), senderTestPhone, senderTestCode)
			if tt.ok {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			checkSendError(t, err, []string{"webhook", tt.want}, providerSecrets...)
		})
	}
}

func TestNewWebhookSenderInvalid(t *testing.T) {
	tests := []struct {
		name string
		cfg  ginsms.WebhookConfig
		key  string
	}{
		{"empty", ginsms.WebhookConfig{}, "sender.webhook.url"},
		{"no secret", ginsms.WebhookConfig{URL: "https://example.com/hook"}, "sender.webhook.secret"},
		{"no scheme", ginsms.WebhookConfig{URL: "example.com/hook?token=url-token", Secret: "s"}, "sender.webhook.url"},
		{"no host", ginsms.WebhookConfig{URL: "https:///hook?token=url-token", Secret: "s"}, "sender.webhook.url"},
		{"bad URL", ginsms.WebhookConfig{URL: "https://exa mple.com/?token=url-token", Secret: "s"}, "sender.webhook.url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ginsms.NewWebhookSender(tt.cfg)
			if s != nil || !errors.Is(err, ginsms.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.key+": ") {
				t.Fatalf("NewWebhookSender = %v, %v; want an ErrInvalidConfig naming %s", s, err, tt.key)
			}
			if strings.Contains(err.Error(), "url-token") {
				t.Errorf("error %q quotes the URL", err)
			}
		})
	}
}
