package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
)

// The refusals of a HumanChecker. An error that wraps none of them is a storage failure,
// answered by Config.ErrorHandler.
var (
	// ErrProofRefused: the proof is wrong, forged, or already spent (4003).
	ErrProofRefused = errors.New("human check: proof refused")
	// ErrProofExpired: the proof was right but is past its validity (4002).
	ErrProofExpired = errors.New("human check: proof expired")
	// ErrCheckUnavailable: the check could not be decided, e.g. its provider is
	// unreachable, answered 5xx, garbage or not in time (5003). Nothing is sent.
	ErrCheckUnavailable = errors.New("human check: unavailable")
)

// HumanChecker decides a human check other than the image captcha: the package captcha
// implements it for ALTCHA proofs of work and for the siteverify APIs of Turnstile,
// hCaptcha and reCAPTCHA.
type HumanChecker interface {
	// Check spends proof, whatever the outcome, and returns nil if it proves a human
	// asked from clientIP (c.ClientIP()), or an error that wraps ErrProofRefused,
	// ErrProofExpired or ErrCheckUnavailable, or any other error for a storage failure.
	Check(ctx context.Context, proof, clientIP string) error
}

// HumanCheck returns a middleware that checks the request's proof of a human (the field
// of cfg.ProofFields that carries it) and lets the request through only if checker
// accepts it: 4003 refused or already spent, 4002 expired, 5003 (HTTP 503) when the
// check cannot be decided, so that no SMS goes out on a check nobody made. The proof
// comes from ValidateSend when it ran first, otherwise from the request (4001 missing,
// 4005 malformed). An undecided check is logged (Warn) through cfg.Logger. Put it after RateLimit, so that a limited phone spends no proof and
// costs no call to a provider.
func HumanCheck(checker HumanChecker, cfg Config) (gin.HandlerFunc, error) {
	if checker == nil {
		return nil, fmt.Errorf("%w: HumanCheck needs a HumanChecker", ErrInvalidConfig)
	}
	if len(cfg.ProofFields) == 0 {
		return nil, fmt.Errorf("%w: HumanCheck needs Config.ProofFields", ErrInvalidConfig)
	}
	b, err := cfg.build()
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return func(c *gin.Context) {
		in, _ := input.From(c)
		proof := in.Proof
		if proof == "" {
			var code contract.Code
			if proof, code = b.in.ParseProof(c); code != 0 {
				b.resp.Abort(c, code)
				return
			}
		}
		err := checker.Check(c.Request.Context(), proof, input.ClientIP(c))
		switch {
		case err == nil:
			c.Next()
		case errors.Is(err, ErrProofRefused):
			b.resp.Abort(c, contract.CodeCaptchaMismatch)
		case errors.Is(err, ErrProofExpired):
			b.resp.Abort(c, contract.CodeCaptchaExpired)
		case errors.Is(err, ErrCheckUnavailable):
			// The operator must hear of it: every send fails until it ends. The error
			// names the provider's answer, never the token or the secret.
			logger.Warn("ginsms: human check unavailable, send refused (5003)", "err", err)
			b.resp.Abort(c, contract.CodeHumanCheckDown)
		default:
			b.onError(c, err)
		}
	}, nil
}
