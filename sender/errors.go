package sender

import (
	"errors"

	"github.com/ginsms/ginsms/internal/cfgerr"
)

// Sentinel errors. Test them with errors.Is.
var (
	// ErrRefused is wrapped by an error that says the provider definitely did NOT accept
	// the message: nothing will arrive, so the caller takes the send back and lets the
	// user ask again at once. The built-in kinds wrap it for a webhook's 3xx and 4xx answers,
	// Twilio's 3xx and 4xx answers, an Alibaba Cloud answer whose Code is not "OK" (with
	// a status below 500), a request that could not even be built, and the log sender
	// called with a context already done.
	//
	// Any other error is an UNKNOWN outcome: the SMS may still arrive (a timeout, a
	// connection lost after the request went out, a 5xx, an answer that cannot be read).
	// The caller then keeps its send-interval flag, so that no second SMS goes out. A
	// deadline hit during a request is always unknown: the error wraps
	// context.DeadlineExceeded, never ErrRefused. A Custom sender's errors are passed
	// through unchanged; it should wrap ErrRefused only when it knows the message was not
	// taken. See the package documentation for the table per kind.
	ErrRefused = errors.New("sender: provider refused the message")

	// ErrInvalidConfig is wrapped by every configuration error: the module's one
	// configuration error, the same value as ginsms.ErrInvalidConfig. Each such error
	// names its key and never quotes a credential or a URL.
	ErrInvalidConfig = cfgerr.ErrInvalidConfig
)
