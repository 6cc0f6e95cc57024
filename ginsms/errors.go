package ginsms

import "errors"

// Sentinel errors. Storage failures are returned wrapped with the operation that failed.
var (
	// ErrInvalidConfig is wrapped by every configuration error; the message names the key.
	ErrInvalidConfig = errors.New("ginsms: invalid configuration")
	// ErrInvalidInput reports a phone or code that does not have the configured form.
	ErrInvalidInput = errors.New("ginsms: invalid phone or code")
	// ErrCodeWrong reports a wrong SMS code; one try was counted (4006).
	ErrCodeWrong = errors.New("ginsms: sms code wrong")
	// ErrCodeExpired reports that no code is live for the phone: never sent, expired,
	// already used, or deleted after too many wrong tries (4007).
	ErrCodeExpired = errors.New("ginsms: sms code expired")
	// ErrStorage reports that Redis could not be reached or answered an error (5002).
	ErrStorage = errors.New("ginsms: storage unavailable")
)
