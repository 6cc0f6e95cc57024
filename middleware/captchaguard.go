package middleware

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"
)

// CaptchaVerifier consumes a captcha. captcha.Store implements it on Redis with GETDEL.
type CaptchaVerifier interface {
	// Consume deletes the captcha id, whatever the outcome, and reports whether it
	// existed and whether answer matched it (case-insensitive, blanks ignored).
	Consume(ctx context.Context, id, answer string) (found, matched bool, err error)
}

// CaptchaGuardConfig configures CaptchaGuard.
type CaptchaGuardConfig struct {
	// Verifier consumes captchas. Required.
	Verifier CaptchaVerifier
	// Inputs reads and validates uuid and imgcode. Optional. Default: NewInputs(InputConfig{}).
	Inputs *Inputs
	// Responder writes the answers. Optional. Default: DefaultResponder().
	Responder *Responder
	// ErrorHandler answers when the verifier fails. Optional. Default: DefaultErrorHandler.
	ErrorHandler ErrorHandler
}

// ErrNoVerifier is returned by CaptchaGuard when the config has no Verifier.
var ErrNoVerifier = errors.New("middleware: captcha guard: Verifier is required")

// CaptchaGuard returns a middleware that consumes the request's captcha and lets the
// request through only if the answer matched. The captcha is gone after this attempt
// whatever its outcome, so one image can never serve two requests nor be guessed twice:
// 4002 if there was none (expired, unknown or already used), 4003 if the answer differs.
func CaptchaGuard(cfg CaptchaGuardConfig) (gin.HandlerFunc, error) {
	if cfg.Verifier == nil {
		return nil, ErrNoVerifier
	}
	in, resp, onErr := withDefaults(cfg.Inputs, cfg.Responder, cfg.ErrorHandler)
	return func(c *gin.Context) {
		var id, answer string
		if input, ok := SendInputFrom(c); ok {
			id, answer = input.UUID, input.ImageCode
		} else {
			var code Code
			if id, answer, code = in.Captcha(c); code != 0 {
				resp.Abort(c, code)
				return
			}
		}
		found, matched, err := cfg.Verifier.Consume(c.Request.Context(), id, answer)
		switch {
		case err != nil:
			onErr(c, resp, err)
		case !found:
			resp.Abort(c, CodeCaptchaExpired)
		case !matched:
			resp.Abort(c, CodeCaptchaMismatch)
		default:
			c.Next()
		}
	}, nil
}
