package sender

import (
	"context"
	"time"
)

// Message is one SMS code to deliver.
type Message struct {
	// Phone is the phone as the user sent it, already validated by the caller.
	Phone string
	// Code is the code, ASCII digits. It is a secret: no sender puts it in an error.
	Code string
	// ID is a random id of this message, drawn by the caller (ginsms: one per send; it
	// never sends a code twice), so that a receiver can drop a replayed or retried copy of
	// the same request. It is sent in clear (the webhook's "id", Alibaba Cloud's OutId), so
	// it must not reveal the code.
	ID string
}

// Sender delivers a Message. Send must return once ctx is done.
//
// A nil error means the provider accepted the message. An error wrapping ErrRefused means
// it definitely did not; any other error is an unknown outcome (the SMS may still
// arrive). See ErrRefused and the package documentation. An error must carry neither the
// code nor a credential: callers log it.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

// Func adapts a function to Sender, for a provider of one's own (see Config.Custom).
type Func func(ctx context.Context, msg Message) error

// Send calls f(ctx, msg).
func (f Func) Send(ctx context.Context, msg Message) error {
	return f(ctx, msg)
}

var (
	_ Sender = Func(nil)
	_ Sender = timeoutSender{}
)

// New validates cfg and builds the sender of cfg.Kind, or wraps cfg.Custom when set.
// Every Send of the returned sender is bounded by cfg.Timeout, also when the caller's
// context has no deadline; a caller's earlier deadline still wins. The bound keeps the
// classification: a deadline hit is an unknown outcome, never ErrRefused. The log kind,
// which waits on nothing but its logger, runs without that timer.
//
// New talks to no provider; the log kind warns once, on cfg.Logger, that codes are being
// logged.
func New(cfg Config) (Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var s Sender
	switch {
	case cfg.Custom != nil:
		s = cfg.Custom
	case cfg.Kind == kindLog:
		// A timer per send would bound nothing: the line is written before Send returns.
		return newLogSender(cfg.Logger), nil
	case cfg.Kind == kindWebhook:
		s = newWebhookSender(cfg.Webhook, httpClient(cfg.HTTPClient, cfg.Timeout))
	case cfg.Kind == kindTwilio:
		s = newTwilioSender(cfg.Twilio, httpClient(cfg.HTTPClient, cfg.Timeout))
	case cfg.Kind == kindAliyun:
		s = newAliyunSender(cfg.Aliyun, httpClient(cfg.HTTPClient, cfg.Timeout))
	}
	return timeoutSender{s: s, timeout: cfg.Timeout}, nil
}

// timeoutSender bounds every Send by timeout; a caller's earlier deadline still wins. It
// returns the error of s unchanged, so the classification is s's own.
type timeoutSender struct {
	s       Sender
	timeout time.Duration
}

func (t timeoutSender) Send(ctx context.Context, msg Message) error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= t.timeout {
		return t.s.Send(ctx, msg) // already bounded at least as tightly: no second timer
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	return t.s.Send(ctx, msg)
}
