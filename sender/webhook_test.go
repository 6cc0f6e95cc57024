package sender_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/ginsms/ginsms/sender"
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

func newWebhookTestSender(t *testing.T, url, template string) sender.Sender {
	t.Helper()
	cfg := sender.DefaultConfig()
	cfg.Kind = "webhook"
	cfg.Webhook = sender.WebhookConfig{URL: url, Secret: webhookTestSecret, Template: template}
	s, err := sender.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The body carries the message, its id is Message.ID, and a repeat of the same Message
// carries the same id, so that the receiver can drop it.
func TestWebhookSender(t *testing.T) {
	ids := make(chan any, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hooks/sms" || r.URL.RawQuery != "token=url-token" {
			t.Errorf("request to %s", r.URL)
		}
		msg := verifyWebhook(t, r)
		if len(msg) != 5 || msg["phone"] != testPhone || msg["code"] != testCode || msg["template"] != "login" {
			t.Errorf("body %v", msg)
		}
		ids <- msg["id"]
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := newWebhookTestSender(t, srv.URL+"/hooks/sms?token=url-token", "login")
	for range 2 {
		checkOutcome(t, s.Send(context.Background(), testMsg), sent, nil)
	}
	if a, b := <-ids, <-ids; a != testID || b != testID {
		t.Errorf("ids %v and %v, want Message.ID %q for both", a, b, testID)
	}

	other := testMsg
	other.ID = "code-other"
	checkOutcome(t, s.Send(context.Background(), other), sent, nil)
	if id := <-ids; id != "code-other" {
		t.Errorf("id %v, want %q", id, other.ID)
	}
}

func TestWebhookSenderStatus(t *testing.T) {
	tests := []struct {
		status int
		want   outcome
		text   string
	}{
		{http.StatusOK, sent, ""},
		{http.StatusCreated, sent, ""},
		{http.StatusAccepted, sent, ""},
		{http.StatusNoContent, sent, ""},
		{http.StatusMovedPermanently, refused, "HTTP 301 Moved Permanently"},
		{http.StatusFound, refused, "HTTP 302 Found"},
		{http.StatusTemporaryRedirect, refused, "HTTP 307"},
		{http.StatusBadRequest, refused, "HTTP 400 Bad Request"},
		{http.StatusUnauthorized, refused, "HTTP 401"},
		{http.StatusTooManyRequests, refused, "HTTP 429"},
		{http.StatusInternalServerError, unknown, "HTTP 500"},
		{http.StatusBadGateway, unknown, "HTTP 502"}, // a gateway that may have forwarded it
		{http.StatusServiceUnavailable, unknown, "HTTP 503"},
		{http.StatusGatewayTimeout, unknown, "HTTP 504"},
		{599, unknown, "HTTP 599"},
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
				_, _ = io.WriteString(w, `{"error":"nope","phone":"`+testPhone+`","code":"`+testCode+`","secret":"`+webhookTestSecret+`"}`)
			}))
			defer srv.Close()
			s := newWebhookTestSender(t, srv.URL+"/hook?token=url-token", "")
			checkOutcome(t, s.Send(context.Background(), testMsg), tt.want, []string{"webhook", tt.text}, providerSecrets...)
		})
	}
}

// A known answer, computed outside Go (Python's hmac module), for receivers to check
// their implementation against.
func TestWebhookSignatureKnownAnswer(t *testing.T) {
	const (
		wantBody      = `{"phone":"13800138000","code":"123456","template":"login","timestamp":1795608000,"id":"msg-1"}`
		wantTimestamp = "1795608000" // 2026-11-25T12:00:00Z
		wantSignature = "sha256=d885d44dc00783188ab9100cd1adbfc41f1f3edf1b28c796a5b0def6a27b8ae9"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) != wantBody {
			t.Errorf("body\n%s\nwant\n%s", body, wantBody)
		}
		if got := r.Header.Get("X-Ginsms-Timestamp"); got != wantTimestamp {
			t.Errorf("timestamp %q, want %q", got, wantTimestamp)
		}
		if got := r.Header.Get("X-Ginsms-Signature"); got != wantSignature {
			t.Errorf("signature %q, want %q", got, wantSignature)
		}
	}))
	defer srv.Close()
	cfg := sender.DefaultConfig()
	cfg.Kind = "webhook"
	cfg.Webhook = sender.WebhookConfig{URL: srv.URL, Secret: "whsec-test", Template: "login"}
	s, err := sender.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sender.SetClock(s, func() time.Time { return time.Date(2026, 11, 25, 20, 0, 0, 0, time.FixedZone("CST", 8*3600)) })
	msg := sender.Message{Phone: "13800138000", Code: "123456", ID: "msg-1"}
	checkOutcome(t, s.Send(context.Background(), msg), sent, nil)
}
