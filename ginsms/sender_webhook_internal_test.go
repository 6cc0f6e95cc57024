package ginsms

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

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
		if got := r.Header.Get(WebhookTimestampHeader); got != wantTimestamp {
			t.Errorf("timestamp %q, want %q", got, wantTimestamp)
		}
		if got := r.Header.Get(WebhookSignatureHeader); got != wantSignature {
			t.Errorf("signature %q, want %q", got, wantSignature)
		}
	}))
	defer srv.Close()
	s, err := NewWebhookSender(WebhookConfig{URL: srv.URL, Secret: "whsec-test", Template: "login"})
	if err != nil {
		t.Fatal(err)
	}
	ws := s.(*webhookSender)
	ws.now = func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	ws.id = func() string { return "msg-1" }
	if err := s.Send(context.Background(), "13800138000", "123456"); err != nil {
		t.Fatalf("Send: %v", err)
	}
}
