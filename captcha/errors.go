package captcha

import (
	"errors"
	"time"
)

// Sentinel errors of the package; test for them with errors.Is.
var (
	// ErrInvalidConfig is wrapped by every error of Config.Validate and NewStore.
	ErrInvalidConfig = errors.New("captcha: invalid config")
	// ErrNotFound reports a captcha that does not exist: never created, expired or consumed.
	ErrNotFound = errors.New("captcha: not found")
	// ErrRateLimited reports a client address that created too many captchas this hour.
	// The error returned is a *LimitError that carries how long to wait.
	ErrRateLimited = errors.New("captcha: too many captchas from this address")
)

// LimitError is returned by Store.New when the client address used up its hourly quota
// (Config.HourlyLimitPerIP). errors.Is(err, ErrRateLimited) reports true for it.
type LimitError struct {
	// Wait is how long until the address's hourly window ends, never zero; the
	// handler sends it as Retry-After.
	Wait time.Duration
}

// Error implements error.
func (e *LimitError) Error() string {
	return ErrRateLimited.Error() + ", retry in " + e.Wait.String()
}

// Is makes errors.Is(err, ErrRateLimited) true for a *LimitError.
func (e *LimitError) Is(target error) bool { return target == ErrRateLimited }
