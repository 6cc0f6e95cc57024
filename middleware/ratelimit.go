package middleware

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
)

// SendLimiter tells whether an SMS may be sent now. ginsms implements it on Redis
// (Service.Limiter): it reads the is_send_<phone> flag and the quota counters in one
// round trip.
type SendLimiter interface {
	// SendWait returns how long phone, asking from clientIP (c.ClientIP()), must wait
	// before another SMS may be sent; 0 means it may be sent now.
	SendWait(ctx context.Context, phone, clientIP string) (time.Duration, error)
}

// ErrDestinationRefused is wrapped by a SendLimiter's error when the phone may not be
// sent codes now (its number range or country is blocked, or a country or number-type
// rule refuses it): RateLimit answers 4008, with Retry-After when the error also has a
// RetryAfter() time.Duration method that returns more than 0.
var ErrDestinationRefused = errors.New("ginsms: destination refused")

// ValidateSend returns a middleware that validates every input of a send request in the
// contract's order, 4001 if any of phone, uuid and imgcode is missing or blank, then 4005
// if any is malformed, and keeps the result for RateLimit, CaptchaGuard and the handler
// after them (see Phone). With Config.ProofFields, a proof of a human check takes the
// place of uuid and imgcode (for HumanCheck). Put it first on a send route, so that a rate-limited request
// with a missing field still answers 4001. Nothing touches Redis before it.
func ValidateSend(cfg Config) (gin.HandlerFunc, error) {
	b, err := cfg.build()
	if err != nil {
		return nil, err
	}
	return func(c *gin.Context) {
		in, code := b.in.ParseSend(c)
		if code != 0 {
			b.resp.Abort(c, code)
			return
		}
		input.Store(c, in)
		c.Next()
	}, nil
}

// RateLimit returns a middleware that aborts with 4004 (HTTP 429 and Retry-After in
// seconds) while the phone may not be sent another SMS, before anything else is done; in
// particular the captcha is not touched; likewise with 4008 (HTTP 403) when the limiter
// refuses the destination (ErrDestinationRefused). The phone comes from ValidateSend when
// it ran first, otherwise from the request: 4001 missing, 4005 malformed. Any other
// limiter error is answered by cfg.ErrorHandler.
func RateLimit(limiter SendLimiter, cfg Config) (gin.HandlerFunc, error) {
	if limiter == nil {
		return nil, fmt.Errorf("%w: RateLimit needs a SendLimiter", ErrInvalidConfig)
	}
	b, err := cfg.build()
	if err != nil {
		return nil, err
	}
	return func(c *gin.Context) {
		phone, ok := phoneOf(c, b)
		if !ok {
			return
		}
		wait, err := limiter.SendWait(c.Request.Context(), phone, input.ClientIP(c))
		if errors.Is(err, ErrDestinationRefused) {
			var r interface{ RetryAfter() time.Duration }
			if errors.As(err, &r) && r.RetryAfter() > 0 {
				b.resp.AbortRetry(c, contract.CodeDestinationRefused, r.RetryAfter())
			} else {
				b.resp.Abort(c, contract.CodeDestinationRefused)
			}
			return
		}
		if err != nil {
			b.onError(c, err)
			return
		}
		if wait > 0 {
			b.resp.AbortRetry(c, contract.CodeTooFrequent, wait)
			return
		}
		c.Next()
	}, nil
}

// Phone returns the phone of a send request that ValidateSend or RateLimit validated
// earlier in the chain, exactly as sent; "" when neither ran. A handler after RateLimit
// and CaptchaGuard reads it to send the code (see ginsms.Service.SendCode).
func Phone(c *gin.Context) string {
	in, _ := input.From(c)
	return in.Phone
}

// phoneOf returns the request's validated phone, or answers 4001/4005 and returns false.
func phoneOf(c *gin.Context, b built) (string, bool) {
	if in, ok := input.From(c); ok {
		return in.Phone, true
	}
	phone, code := b.in.ParsePhone(c)
	if code != 0 {
		b.resp.Abort(c, code)
		return "", false
	}
	input.Store(c, input.Send{Phone: phone})
	return phone, true
}
