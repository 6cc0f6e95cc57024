package ginsms

import (
	"context"
	"fmt"
	"log/slog"
)

// NewLogSender returns the demo sender: it sends nothing and writes, at level Info, the
// masked phone and the code to logger (nil means slog.Default()). It is the one place
// where ginsms writes an SMS code to a log, which is its whole purpose; never use it in
// production. It warns once, when built, that codes are being logged.
func NewLogSender(logger *slog.Logger) Sender {
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("ginsms: sender.kind is log: SMS codes are written to the log and not sent; for demos only")
	return logSender{logger: logger}
}

var _ Sender = logSender{}

type logSender struct {
	logger *slog.Logger
}

func (s logSender) Send(ctx context.Context, phone, code string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: log: %w", ErrSend, err)
	}
	s.logger.InfoContext(ctx, "ginsms: sms code (log sender, not sent)", "phone", MaskPhone(phone), "code", code)
	return nil
}
