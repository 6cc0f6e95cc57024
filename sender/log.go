package sender

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ginsms/ginsms/internal/mask"
)

// newLogSender returns the demo sender: it sends nothing and writes, at level Info, the
// masked phone, the code and the id to logger (nil means slog.Default()). It is the one
// place where an SMS code is written to a log, which is its whole purpose; it warns once,
// when built, that codes are being logged.
func newLogSender(logger *slog.Logger) Sender {
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("sender: sender.kind is log: SMS codes are written to the log and not sent; for demos only")
	return logSender{logger: logger}
}

var _ Sender = logSender{}

type logSender struct {
	logger *slog.Logger
}

// Send logs msg unless ctx is already done: then it logs nothing and, as nothing was
// delivered, returns a refusal (wrapping ctx's error too).
func (s logSender) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: log: nothing logged: %w", ErrRefused, err)
	}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "sender: sms code (log sender, not sent)",
		slog.String("phone", mask.Phone(msg.Phone)), slog.String("code", msg.Code), slog.String("id", msg.ID))
	return nil
}
