package middleware

import (
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/cfgerr"
	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
)

// Config configures the middlewares: how they read their inputs and how they answer.
// Start from DefaultConfig; every field is optional.
type Config struct {
	// PhonePattern is the regular expression a phone must match, exactly as sent.
	// Optional. Default: `^1[3-9]\d{9}$` (a mainland China mobile number).
	PhonePattern string
	// Fields names the request fields. Optional. Default: see FieldNames.
	Fields FieldNames
	// Aliases lists more names of each input, read after Fields' name. Optional.
	Aliases FieldAliases
	// Answer shapes the JSON answers. Optional. Default: the contract's shape.
	Answer Answer
	// Language picks the message set: "zh" (the contract's texts), "en", or "auto"
	// (per request, Chinese when Accept-Language prefers it, else English). Messages
	// override either. Optional. Default: "zh".
	Language string
	// Messages overrides the errormsg of contract codes, e.g. {4004: "Too many requests"}.
	// Optional. Default: the contract's texts.
	Messages map[int]string
	// LegacyStatus answers every outcome with HTTP 200, the outcome only in the body, as
	// the original service did. Optional. Default: false.
	LegacyStatus bool
	// Logger receives the default ErrorHandler's lines. Optional. Default: slog.Default().
	Logger *slog.Logger
	// ProofFields name the request fields that carry the proof of a human check other
	// than the image captcha (e.g. "altcha", or "captcha_token" and a widget's own field),
	// tried in order. When set, ValidateSend requires one of them instead of uuid and
	// imgcode, and HumanCheck reads it. Optional. Default: none (the image captcha).
	ProofFields []string
	// ErrorHandler answers a request whose limiter or verifier failed (Redis unreachable).
	// Optional. Default: a log line through Logger and 5002 (HTTP 503); the client never
	// sees the error itself.
	ErrorHandler ErrorHandler
}

// FieldNames names the request fields the middlewares read. Each is looked up in the
// path parameters first, then in the body (form, multipart or JSON object, its first 64 KiB),
// then in the query string. A body is left readable for the handlers after.
type FieldNames struct {
	Phone     string // Optional. Default: "phone"
	UUID      string // Optional. Default: "uuid"
	ImageCode string // Optional. Default: "imgcode"
	SMSCode   string // read by ginsms's RequireSMSCode. Optional. Default: "sms_code"
}

// ErrorHandler answers a request whose storage step failed; err carries neither a captcha
// answer nor an SMS code. The guard stops the chain itself whatever the handler does (it
// need not call c.Abort, and its c.Next reaches nothing); one that writes nothing leaves
// the contract's 5002.
type ErrorHandler func(c *gin.Context, err error)

// ErrInvalidConfig is wrapped by the errors of Config.Validate and the constructors: the
// module's one configuration error, the same value as ginsms.ErrInvalidConfig.
var ErrInvalidConfig = cfgerr.ErrInvalidConfig

// DefaultConfig returns the contract's defaults.
func DefaultConfig() Config {
	return Config{PhonePattern: input.DefaultPhonePattern}
}

// Validate reports every invalid field at once.
func (c Config) Validate() error {
	_, err := c.build()
	return err
}

// built is a Config ready for requests.
type built struct {
	in      *input.Parser
	resp    *contract.Responder
	onError ErrorHandler
}

func (c Config) build() (built, error) {
	var errs []error
	in, err := input.New(input.Config{PhonePattern: c.PhonePattern, Fields: input.Named(c.Fields.Phone, c.Fields.UUID,
		c.Fields.ImageCode, "", input.Fields(c.Aliases)), ProofFields: c.ProofFields})
	if err != nil {
		errs = append(errs, cfgerr.New("PhonePattern", "%v", err))
	}
	resp, err := contract.NewResponder(c.responderOptions())
	if err != nil {
		errs = append(errs, cfgerr.New("Messages", "%v", err))
	}
	if err := cfgerr.Join(errs...); err != nil {
		return built{}, err
	}
	return built{in: in, resp: resp, onError: resp.OnStorageError(c.ErrorHandler, c.Logger)}, nil
}

// responderOptions is how c answers.
func (c Config) responderOptions() contract.Options {
	return contract.Options{Messages: c.Messages, LegacyStatus: c.LegacyStatus, Language: c.Language,
		Envelope: contract.Envelope(c.Answer)}
}
