package middleware

import (
	"context"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
)

// CaptchaVerifier consumes a captcha. captcha.Store implements it on Redis with GETDEL.
type CaptchaVerifier interface {
	// Consume deletes the captcha id, whatever the outcome, and reports whether it
	// existed and whether answer matched it (case-insensitive, blanks ignored).
	Consume(ctx context.Context, id, answer string) (found, matched bool, err error)
}

// CaptchaGuard returns a middleware that consumes the request's captcha and lets the
// request through only if the answer matched. The captcha is gone after this attempt
// whatever its outcome, so one image can never serve two requests nor be guessed twice:
// 4002 if there was none (expired, unknown or already used), 4003 if the answer differs.
// uuid and imgcode come from ValidateSend when it ran first, otherwise from the request
// (4001 missing, 4005 malformed). A verifier error is answered by cfg.ErrorHandler.
func CaptchaGuard(verifier CaptchaVerifier, cfg Config) (gin.HandlerFunc, error) {
	if verifier == nil {
		return nil, fmt.Errorf("%w: CaptchaGuard needs a CaptchaVerifier", ErrInvalidConfig)
	}
	b, err := cfg.build()
	if err != nil {
		return nil, err
	}
	return func(c *gin.Context) {
		in, _ := input.From(c)
		id, answer := in.UUID, in.ImageCode
		if id == "" {
			var code contract.Code
			if id, answer, code = b.in.ParseCaptcha(c); code != 0 {
				b.resp.Abort(c, code)
				return
			}
		}
		found, matched, err := verifier.Consume(c.Request.Context(), id, answer)
		switch {
		case err != nil:
			b.onError(c, err)
		case !found:
			b.resp.Abort(c, contract.CodeCaptchaExpired)
		case !matched:
			b.resp.Abort(c, contract.CodeCaptchaMismatch)
		default:
			c.Next()
		}
	}, nil
}
