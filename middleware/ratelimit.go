package middleware

import (
	"context"
	"errors"
	"time"

	"github.com/gin-gonic/gin"
)

// SendLimiter tells whether an SMS may be sent now. ginsms implements it on Redis: it
// reads the is_send_<phone> flag and the quota counters in one round trip.
type SendLimiter interface {
	// SendWait returns how long phone, asking from clientIP, must wait before another
	// SMS may be sent; 0 means it may be sent now.
	SendWait(ctx context.Context, phone, clientIP string) (time.Duration, error)
}

// RateLimitConfig configures RateLimit.
type RateLimitConfig struct {
	// Limiter reads the send flag and quotas. Required.
	Limiter SendLimiter
	// Inputs reads and validates the phone. Optional. Default: NewInputs(InputConfig{}).
	Inputs *Inputs
	// Responder writes the answers. Optional. Default: DefaultResponder().
	Responder *Responder
	// ErrorHandler answers when the limiter fails. Optional. Default: DefaultErrorHandler.
	ErrorHandler ErrorHandler
}

// ErrNoLimiter is returned by RateLimit when the config has no Limiter.
var ErrNoLimiter = errors.New("middleware: rate limit: Limiter is required")

// RateLimit returns a middleware that aborts with 4004 (HTTP 429 and Retry-After in
// seconds) while the phone may not be sent another SMS, before anything else is done;
// in particular the captcha is not touched. A missing phone answers 4001, a malformed one
// 4005. The phone comes from ValidateSend's result when that ran first, otherwise from
// the request (path, body, query).
func RateLimit(cfg RateLimitConfig) (gin.HandlerFunc, error) {
	if cfg.Limiter == nil {
		return nil, ErrNoLimiter
	}
	in, resp, onErr := withDefaults(cfg.Inputs, cfg.Responder, cfg.ErrorHandler)
	return func(c *gin.Context) {
		phone, code := sendPhone(c, in)
		if code != 0 {
			resp.Abort(c, code)
			return
		}
		wait, err := cfg.Limiter.SendWait(c.Request.Context(), phone, ClientIP(c))
		if err != nil {
			onErr(c, resp, err)
			return
		}
		if wait > 0 {
			resp.AbortRetry(c, wait)
			return
		}
		c.Next()
	}, nil
}

// ValidateSend returns a middleware that validates every input of a send request in the
// contract's order (4001 for any missing, then 4005 for any malformed) and stores the
// result for RateLimit, CaptchaGuard and the final handler (see SendInputFrom). Put it first
// on a send route so a rate-limited request with a missing field still answers 4001.
func ValidateSend(in *Inputs, resp *Responder) gin.HandlerFunc {
	in, resp, _ = withDefaults(in, resp, nil)
	return func(c *gin.Context) {
		input, code := in.Send(c)
		if code != 0 {
			resp.Abort(c, code)
			return
		}
		c.Set(sendInputKey, input)
		c.Next()
	}
}

func sendPhone(c *gin.Context, in *Inputs) (string, Code) {
	if input, ok := SendInputFrom(c); ok {
		return input.Phone, 0
	}
	return in.Phone(c)
}

func withDefaults(in *Inputs, resp *Responder, onErr ErrorHandler) (*Inputs, *Responder, ErrorHandler) {
	if in == nil {
		in = defaultInputs
	}
	if resp == nil {
		resp = DefaultResponder()
	}
	if onErr == nil {
		onErr = DefaultErrorHandler
	}
	return in, resp, onErr
}
