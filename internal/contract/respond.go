// Package contract holds what every ginsms route answers with: the result codes of the
// contract (README "Responses"), their texts (the contract's Chinese ones and an English
// set) and HTTP statuses, and the one writer of the JSON answers, which can also speak
// the envelope of another backend (README "Keeping an existing front end").
package contract

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// Code is a result code of the contract, sent as the "code" field of every JSON answer.
type Code int

// The contract's result codes.
const (
	CodeOK              Code = 200  // done
	CodeMissingInput    Code = 4001 // a required input is missing
	CodeCaptchaExpired  Code = 4002 // image code expired or unknown
	CodeCaptchaMismatch Code = 4003 // image code does not match
	CodeTooFrequent     Code = 4004 // sent too often (interval or quota)
	CodeMalformedInput  Code = 4005 // malformed input (phone, uuid, code, oversized)
	CodeSMSWrong        Code = 4006 // SMS code wrong
	CodeSMSExpired      Code = 4007 // SMS code expired, used, or too many wrong tries
	CodeSenderFailed    Code = 5001 // the SMS provider failed
	CodeStorageDown     Code = 5002 // storage (Redis) unavailable
	// CodeDestinationRefused: this number cannot receive codes now (country, number
	// type, or a blocked number range).
	CodeDestinationRefused Code = 4008
	// CodeHumanCheckDown: the human check's provider is unavailable; no SMS is sent.
	CodeHumanCheckDown Code = 5003
)

var codeTable = map[Code]struct {
	text   string // the contract's default (Chinese), as the original service answered
	en     string // the English set (routes.language: en)
	status int
}{
	CodeOK:                 {"ok", "ok", http.StatusOK},
	CodeMissingInput:       {"缺少必传参数", "A required field is missing", http.StatusBadRequest},
	CodeCaptchaExpired:     {"图片验证码已过期", "The image code has expired", http.StatusBadRequest},
	CodeCaptchaMismatch:    {"图片验证码不一致", "The image code does not match", http.StatusBadRequest},
	CodeTooFrequent:        {"发送短信验证码过于频繁", "Too many SMS requests, try again later", http.StatusTooManyRequests},
	CodeMalformedInput:     {"参数格式错误", "Malformed input", http.StatusBadRequest},
	CodeSMSWrong:           {"短信验证码错误", "Wrong SMS code", http.StatusBadRequest},
	CodeSMSExpired:         {"短信验证码已失效", "The SMS code has expired", http.StatusBadRequest},
	CodeSenderFailed:       {"发送短信验证码错误", "The SMS code could not be sent", http.StatusBadGateway},
	CodeStorageDown:        {"服务暂不可用", "Service unavailable, try again later", http.StatusServiceUnavailable},
	CodeDestinationRefused: {"该号码暂不能接收验证码", "This number cannot receive codes now", http.StatusForbidden},
	CodeHumanCheckDown:     {"人机验证服务暂不可用", "The human check is unavailable, try again later", http.StatusServiceUnavailable},
}

// Codes returns every contract code in ascending order.
func Codes() []Code {
	out := make([]Code, 0, len(codeTable))
	for c := range codeTable {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// DefaultText is the contract's default errormsg for c ("" for an unknown code).
func (c Code) DefaultText() string { return codeTable[c].text }

// Languages of the message sets (Options.Language).
const (
	LanguageChinese = "zh"   // the contract's texts (default)
	LanguageEnglish = "en"   // the English set
	LanguageAuto    = "auto" // per request: Chinese when Accept-Language prefers zh, else English
)

// Options shapes a Responder's answers. The zero value answers as the contract does.
type Options struct {
	// Messages overrides the text of a code (keyed by code), in every language.
	Messages map[int]string
	// LegacyStatus answers every outcome with HTTP 200, as the original service did.
	LegacyStatus bool
	// Language picks the message set: "zh" (or ""), "en" or "auto".
	Language string
	// Envelope is the JSON shape of the answers.
	Envelope Envelope
}

// Envelope is the JSON shape of the answers, for a front end written against another
// backend: {"<CodeField>": <Codes[code]>, "<MessageField>": "<text>"}. Its zero value is
// the contract's own shape, {"code": <int>, "errormsg": "<text>"}. middleware.Answer, its
// public face, converts to it field for field.
type Envelope struct {
	CodeField    string      // default "code"
	MessageField string      // default "errormsg"
	Codes        map[int]any // the value sent for a contract code: a string or an integer; default the code
	// RefusalStatus, when not 0, is the HTTP status of every answer but success (200
	// where refusals must reach the page's success handler, 400 where the page reads
	// them from a 400), whatever LegacyStatus says.
	RefusalStatus int
}

// Responder writes the contract's JSON answers: {"code": <int>, "errormsg": "<text>"}, or
// the shape of Options.Envelope. Bodies are rendered once, when the Responder is built,
// so answering costs no encoding. The zero value is not usable; build one with
// NewResponder.
type Responder struct {
	auto    bool               // pick the set per request by Accept-Language
	answers [2]map[Code]answer // [0] Chinese (the contract's texts), [1] English
	set     int                // the set when not auto
}

type answer struct {
	status int
	body   []byte
}

var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	varyLanguage    = []string{"Accept-Language"}
)

// maxCodeValue bounds a string code value of an Envelope.
const maxCodeValue = 64

// NewResponder returns a Responder answering as opts says.
func NewResponder(opts Options) (*Responder, error) {
	r := &Responder{}
	switch opts.Language {
	case "", LanguageChinese:
	case LanguageEnglish:
		r.set = 1
	case LanguageAuto:
		r.auto = true
	default:
		return nil, fmt.Errorf("language: must be zh, en or auto, got %q", opts.Language)
	}
	for code := range opts.Messages {
		if _, ok := codeTable[Code(code)]; !ok {
			return nil, fmt.Errorf("messages: %d is not a contract code", code)
		}
	}
	env := opts.Envelope
	if env.CodeField == "" {
		env.CodeField = "code"
	}
	if env.MessageField == "" {
		env.MessageField = "errormsg"
	}
	if env.CodeField == env.MessageField {
		return nil, fmt.Errorf("answer: code_field and message_field are both %q", env.CodeField)
	}
	if s := env.RefusalStatus; s != 0 && (s < 200 || s > 599) {
		return nil, fmt.Errorf("answer: refusal_status must be 0 (the contract's statuses) or an HTTP status, got %d", s)
	}
	codeField, _ := json.Marshal(env.CodeField)
	messageField, _ := json.Marshal(env.MessageField)
	values := make(map[Code][]byte, len(codeTable))
	for code := range codeTable {
		values[code] = strconv.AppendInt(nil, int64(code), 10)
	}
	for code, v := range env.Codes {
		if _, ok := codeTable[Code(code)]; !ok {
			return nil, fmt.Errorf("answer: codes: %d is not a contract code", code)
		}
		value, err := codeValue(v)
		if err != nil {
			return nil, fmt.Errorf("answer: codes: %d: %w", code, err)
		}
		values[Code(code)] = value
	}
	for set := range r.answers {
		r.answers[set] = make(map[Code]answer, len(codeTable))
		for code, entry := range codeTable {
			text := entry.text
			if set == 1 {
				text = entry.en
			}
			if m, ok := opts.Messages[int(code)]; ok {
				text = m
			}
			status := entry.status
			switch {
			case code == CodeOK:
			case env.RefusalStatus != 0:
				status = env.RefusalStatus
			case opts.LegacyStatus:
				status = http.StatusOK
			}
			quoted, err := json.Marshal(text)
			if err != nil {
				return nil, fmt.Errorf("messages: %d: %w", code, err)
			}
			body := append([]byte{'{'}, codeField...)
			body = append(body, ':')
			body = append(body, values[code]...)
			body = append(body, ',')
			body = append(body, messageField...)
			body = append(body, ':')
			body = append(body, quoted...)
			body = append(body, '}')
			r.answers[set][code] = answer{status: status, body: body}
		}
	}
	return r, nil
}

// codeValue renders a code value of an Envelope: a string (bounded, as a config file or
// a variable gives it) or an integer.
func codeValue(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if x == "" || len(x) > maxCodeValue {
			return nil, fmt.Errorf("a string code must have 1 to %d bytes, got %q", maxCodeValue, x)
		}
		return json.Marshal(x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return json.Marshal(x)
	case float64: // a number decoded from JSON
		if x == float64(int64(x)) {
			return strconv.AppendInt(nil, int64(x), 10), nil
		}
	}
	return nil, fmt.Errorf("must be a string or an integer, got %v (%T)", v, v)
}

// writtenKey holds, in the gin context, the code a Responder answered with.
const writtenKey = "github.com/ginsms/ginsms/internal/contract.Written"

// Written returns the code a Responder answered the request with.
func Written(c *gin.Context) (Code, bool) {
	v, ok := c.Get(writtenKey)
	code, _ := v.(Code)
	return code, ok
}

// Write answers the request with code.
func (r *Responder) Write(c *gin.Context, code Code) {
	set := r.set
	h := c.Writer.Header()
	if r.auto {
		set = 1
		if prefersChinese(c.GetHeader("Accept-Language")) {
			set = 0
		}
		// A cache must not serve one language's answer to the other.
		if len(h["Vary"]) == 0 {
			h["Vary"] = varyLanguage
		} else {
			h["Vary"] = append(h["Vary"], "Accept-Language")
		}
	}
	a, ok := r.answers[set][code]
	if !ok {
		code, a = CodeStorageDown, r.answers[set][CodeStorageDown]
	}
	c.Set(writtenKey, code)
	h["Content-Type"] = jsonContentType
	c.Writer.WriteHeader(a.status)
	_, _ = c.Writer.Write(a.body) // a failed write means the client went away: nothing to do
}

// Abort answers the request with code and stops the handler chain.
func (r *Responder) Abort(c *gin.Context, code Code) {
	c.Abort()
	r.Write(c, code)
}

// AbortRetry answers code (4004, or 5001 when the SMS may still arrive) with a
// Retry-After header of wait rounded up to whole seconds (at least 1), and stops the
// handler chain.
func (r *Responder) AbortRetry(c *gin.Context, code Code, wait time.Duration) {
	c.Header("Retry-After", strconv.FormatInt(RetryAfterSeconds(wait), 10))
	r.Abort(c, code)
}

// RetryAfterSeconds rounds wait up to whole seconds, at least 1.
func RetryAfterSeconds(wait time.Duration) int64 {
	s := int64((wait + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// OnStorageError returns the answer to a storage failure: custom, or when it is nil
// StorageFailed with logger. A guard stops the chain itself, whatever custom does: the
// chain is aborted before and after custom runs (so even its c.Next() reaches no handler),
// and a custom hook that wrote nothing is answered 5002.
func (r *Responder) OnStorageError(custom func(*gin.Context, error), logger *slog.Logger) func(*gin.Context, error) {
	if custom == nil {
		return func(c *gin.Context, err error) { r.StorageFailed(c, logger, err) }
	}
	return func(c *gin.Context, err error) {
		c.Abort()
		custom(c, err)
		c.Abort()
		if !c.Writer.Written() {
			r.Write(c, CodeStorageDown)
		}
	}
}

// StorageFailed is the default answer to a storage failure: a log line through logger
// (nil means slog.Default()) with the route and err, which never carries a captcha answer
// or an SMS code, and 5002 (HTTP 503). The client never sees err itself.
func (r *Responder) StorageFailed(c *gin.Context, logger *slog.Logger, err error) {
	if logger == nil {
		logger = slog.Default()
	}
	logger.ErrorContext(c.Request.Context(), "ginsms: storage unavailable", "route", c.FullPath(), "err", err)
	r.Abort(c, CodeStorageDown)
}

// StorageError is a failed Redis step. Op is a short, fixed name of the operation (a
// metric label: captcha, send_wait, store, take_back, verify, check); Step says more,
// for the log.
type StorageError struct {
	Op, Step string
	Err      error
}

func (e *StorageError) Error() string { return e.Op + ": " + e.Step + ": " + e.Err.Error() }

func (e *StorageError) Unwrap() error { return e.Err }
