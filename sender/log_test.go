package sender_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ginsms/ginsms/sender"
)

func newLogTestSender(t *testing.T, buf *bytes.Buffer) sender.Sender {
	t.Helper()
	cfg := sender.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(buf, nil))
	s, err := sender.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	s := newLogTestSender(t, &buf)
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "for demos only") {
		t.Errorf("New did not warn: %q", buf.String())
	}
	for range 2 {
		checkOutcome(t, s.Send(context.Background(), testMsg), sent, nil)
	}
	out := buf.String()
	for _, want := range []string{"level=INFO", "phone=" + testMasked, "code=" + testCode, "id=" + testID} {
		if n := strings.Count(out, want); n != 2 {
			t.Errorf("log output %q holds %q %d times, want 2", out, want, n)
		}
	}
	if n := strings.Count(out, "level=WARN"); n != 1 {
		t.Errorf("log output %q warns %d times, want once", out, n)
	}
	if strings.Contains(out, testPhone) {
		t.Errorf("log output %q contains the full phone", out)
	}
}

func TestLogSenderDefaultLogger(t *testing.T) { // not parallel: it swaps slog's default
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	s, err := sender.New(sender.Config{})
	if err != nil {
		t.Fatal(err)
	}
	checkOutcome(t, s.Send(context.Background(), testMsg), sent, nil)
	if !strings.Contains(buf.String(), "phone="+testMasked) {
		t.Errorf("default logger got %q", buf.String())
	}
}

// A context already done logs nothing: nothing was delivered, a refusal, which still
// wraps the context's error.
func TestLogSenderContextDone(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), -1)
	defer cancel2()
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want error
	}{{"cancelled", cancelled, context.Canceled}, {"expired", expired, context.DeadlineExceeded}} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			s := newLogTestSender(t, &buf)
			err := s.Send(tt.ctx, testMsg)
			checkOutcome(t, err, refused, []string{"log"}, testCode)
			if !errors.Is(err, tt.want) {
				t.Errorf("Send = %v, want it to wrap %v", err, tt.want)
			}
			if strings.Contains(buf.String(), "code=") || strings.Contains(buf.String(), "level=INFO") {
				t.Errorf("a send with a done context logged: %q", buf.String())
			}
		})
	}
}
