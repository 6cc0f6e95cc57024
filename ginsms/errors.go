package ginsms

import (
	"errors"
	"time"

	"github.com/ginsms/ginsms/internal/cfgerr"
	"github.com/ginsms/ginsms/middleware"
)

// Sentinel errors. Storage failures are returned wrapped with the step that failed.
var (
	// ErrInvalidConfig is wrapped by every configuration error of the module (captcha,
	// sender and middleware export the same value); the message names each bad key by
	// its path in the configuration file.
	ErrInvalidConfig = cfgerr.ErrInvalidConfig
	// ErrInvalidInput reports a phone or code that does not have the configured form (4005).
	ErrInvalidInput = errors.New("ginsms: invalid phone or code")
	// ErrTooFrequent reports a send or verify refused by the send interval or a quota
	// (4004); RetryAfter tells how long to wait.
	ErrTooFrequent = errors.New("ginsms: too frequent")
	// ErrSendFailed reports that the SMS provider did not take the message (5001). When
	// the provider definitely refused it, the send was taken back and the user may retry
	// at once; when the outcome is unknown (a timeout, a connection lost after the request
	// went out) the SMS may still arrive, so the send was kept, its code verifies, and
	// RetryAfter tells how long until another may be sent.
	ErrSendFailed = errors.New("ginsms: sms provider failed")
	// ErrCodeWrong reports a wrong SMS code; one try was counted (4006).
	ErrCodeWrong = errors.New("ginsms: sms code wrong")
	// ErrCodeExpired reports that no code is live for the phone: never sent, expired,
	// already used, or deleted after too many wrong tries (4007).
	ErrCodeExpired = errors.New("ginsms: sms code expired")
	// ErrStorage reports that Redis could not be reached or answered an error (5002).
	ErrStorage = errors.New("ginsms: storage unavailable")
	// ErrDestinationRefused reports a phone the destination guard refuses (4008): its
	// number range or country is blocked (RetryAfter says for how long), unverified sends
	// overall are at their cap, or a country or number-type rule refuses it for good. It
	// is middleware.ErrDestinationRefused, so RateLimit answers it too.
	ErrDestinationRefused = middleware.ErrDestinationRefused
)

// RetryAfter returns how long the caller must wait before trying again after err, as
// the Retry-After header says it: for ErrTooFrequent, and for ErrSendFailed when the
// SMS may still arrive. ok is false for any other error.
func RetryAfter(err error) (wait time.Duration, ok bool) {
	var r *retryError
	if errors.As(err, &r) {
		return r.wait, true
	}
	return 0, false
}

// retryError is err with the wait the client is told.
type retryError struct {
	err  error
	wait time.Duration
}

func (e *retryError) Error() string {
	return e.err.Error() + ", retry in " + e.wait.Round(time.Second).String()
}
func (e *retryError) Unwrap() error { return e.err }

// RetryAfter is the wait, for middleware.RateLimit's Retry-After.
func (e *retryError) RetryAfter() time.Duration { return e.wait }
