// Package contract holds what every ginsms route answers with: the result codes of the
// contract (the README's "Responses" table), their
// texts and HTTP statuses, and the one writer of the JSON answers.
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
	text   string
	status int
}{
	CodeOK:                 {"ok", http.StatusOK},
	CodeMissingInput:       {"缺少必传参数", http.StatusBadRequest},
	CodeCaptchaExpired:     {"图片验证码已过期", http.StatusBadRequest},
	CodeCaptchaMismatch:    {"图片验证码不一致", http.StatusBadRequest},
	CodeTooFrequent:        {"发送短信验证码过于频繁", http.StatusTooManyRequests},
	CodeMalformedInput:     {"参数格式错误", http.StatusBadRequest},
	CodeSMSWrong:           {"短信验证码错误", http.StatusBadRequest},
	CodeSMSExpired:         {"短信验证码已失效", http.StatusBadRequest},
	CodeSenderFailed:       {"发送短信验证码错误", http.StatusBadGateway},
	CodeStorageDown:        {"服务暂不可用", http.StatusServiceUnavailable},
	CodeDestinationRefused: {"该号码暂不能接收验证码", http.StatusForbidden},
	CodeHumanCheckDown:     {"人机验证服务暂不可用", http.StatusServiceUnavailable},
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

// HTTPStatus is the HTTP status the contract gives c (legacy_status aside).
func (c Code) HTTPStatus() int { return codeTable[c].status }

// Responder writes the contract's JSON answers: {"code": <int>, "errormsg": "<text>"}.
// Bodies are rendered once, when the Responder is built, so answering costs no encoding.
// The zero value is not usable; build one with NewResponder or use DefaultResponder.
type Responder struct {
	legacyStatus bool
	answers      map[Code]answer
}

type answer struct {
	status int
	body   []byte
}

var jsonContentType = []string{"application/json; charset=utf-8"}

// NewResponder returns a Responder whose texts are the contract's defaults overridden by
// messages (keyed by code), and which answers every outcome with HTTP 200 when
// legacyStatus is true, as the original service did.
func NewResponder(messages map[int]string, legacyStatus bool) (*Responder, error) {
	r := &Responder{legacyStatus: legacyStatus, answers: make(map[Code]answer, len(codeTable))}
	for code := range messages {
		if _, ok := codeTable[Code(code)]; !ok {
			return nil, fmt.Errorf("middleware: messages: %d is not a contract code", code)
		}
	}
	for code, entry := range codeTable {
		text := entry.text
		if m, ok := messages[int(code)]; ok {
			text = m
		}
		status := entry.status
		if legacyStatus {
			status = http.StatusOK
		}
		quoted, err := json.Marshal(text)
		if err != nil {
			return nil, fmt.Errorf("middleware: messages: %d: %w", code, err)
		}
		body := append([]byte(`{"code":`), strconv.Itoa(int(code))...)
		body = append(body, `,"errormsg":`...)
		body = append(body, quoted...)
		body = append(body, '}')
		r.answers[code] = answer{status: status, body: body}
	}
	return r, nil
}

var defaultResponder, _ = NewResponder(nil, false)

// DefaultResponder answers with the contract's default texts and HTTP statuses.
func DefaultResponder() *Responder { return defaultResponder }

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
	a, ok := r.answers[code]
	if !ok {
		code, a = CodeStorageDown, r.answers[CodeStorageDown]
	}
	c.Set(writtenKey, code)
	h := c.Writer.Header()
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
