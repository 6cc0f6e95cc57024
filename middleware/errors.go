package middleware

import (
	"log/slog"

	"github.com/gin-gonic/gin"
)

// ErrorHandler answers a request whose storage step failed (Redis unreachable, a timeout).
// It must answer the client and abort the chain.
type ErrorHandler func(c *gin.Context, r *Responder, err error)

// DefaultErrorHandler logs err (which never carries a captcha answer or an SMS code) with the
// route, and answers 5002, HTTP 503; the client never sees err itself.
func DefaultErrorHandler(c *gin.Context, r *Responder, err error) {
	slog.ErrorContext(c.Request.Context(), "ginsms: storage unavailable", "route", c.FullPath(), "err", err)
	r.Abort(c, CodeStorageDown)
}
