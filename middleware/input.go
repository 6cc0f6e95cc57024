package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
)

// DefaultPhonePattern accepts a mainland China mobile number, as the original service did.
const DefaultPhonePattern = `^1[3-9]\d{9}$`

// Bounds applied before any pattern is tried, so an oversized input is rejected cheaply.
const (
	MaxBodyBytes     = 8 << 10 // a send or verify request body; larger ones answer 4005
	maxPhoneLen      = 32
	maxUUIDLen       = 64
	maxImageCodeLen  = 32
	maxSMSCodeLen    = 32
	canonicalUUIDLen = 36
)

// ErrBodyTooLarge and ErrBodyMalformed report a request body that cannot be read as input.
var (
	ErrBodyTooLarge  = errors.New("middleware: request body too large")
	ErrBodyMalformed = errors.New("middleware: request body malformed")
)

// FieldNames names the request fields the middlewares read. Each is looked up in the
// path parameters first, then in the body (form or JSON object), then in the query string.
type FieldNames struct {
	Phone     string // Optional. Default: "phone"
	UUID      string // Optional. Default: "uuid"
	ImageCode string // Optional. Default: "imgcode"
	SMSCode   string // Optional. Default: "sms_code"
}

// InputConfig configures how inputs are read and validated.
type InputConfig struct {
	// PhonePattern is the regular expression a phone number must match.
	// Optional. Default: DefaultPhonePattern.
	PhonePattern string
	// SMSCodeLength is the number of digits of an SMS code. Optional. Default: 6.
	SMSCodeLength int
	// Fields names the request fields. Optional. Default: see FieldNames.
	Fields FieldNames
}

// Inputs reads the send and verify inputs of a request and validates them. It is safe
// for concurrent use; build it once with NewInputs.
type Inputs struct {
	phone      *regexp.Regexp
	codeLength int
	names      FieldNames
}

// NewInputs compiles cfg.
func NewInputs(cfg InputConfig) (*Inputs, error) {
	if cfg.PhonePattern == "" {
		cfg.PhonePattern = DefaultPhonePattern
	}
	re, err := regexp.Compile(cfg.PhonePattern)
	if err != nil {
		return nil, fmt.Errorf("middleware: phone pattern: %w", err)
	}
	if cfg.SMSCodeLength == 0 {
		cfg.SMSCodeLength = 6
	}
	if cfg.SMSCodeLength < 4 || cfg.SMSCodeLength > 10 {
		return nil, fmt.Errorf("middleware: sms code length %d: must be 4 to 10", cfg.SMSCodeLength)
	}
	n := &cfg.Fields
	for _, f := range []struct {
		name *string
		def  string
	}{{&n.Phone, "phone"}, {&n.UUID, "uuid"}, {&n.ImageCode, "imgcode"}, {&n.SMSCode, "sms_code"}} {
		if *f.name == "" {
			*f.name = f.def
		}
	}
	return &Inputs{phone: re, codeLength: cfg.SMSCodeLength, names: cfg.Fields}, nil
}

var defaultInputs, _ = NewInputs(InputConfig{})

// SendInput is the validated input of a send request.
type SendInput struct {
	Phone     string // matches the phone pattern
	UUID      string // canonical, lower-case UUID
	ImageCode string // what the user typed, surrounding blanks removed, at most 32 bytes
}

const sendInputKey = "github.com/ginsms/ginsms/middleware.SendInput"

// SendInputFrom returns the send input that ValidateSend stored in c.
func SendInputFrom(c *gin.Context) (SendInput, bool) {
	v, ok := c.Get(sendInputKey)
	if !ok {
		return SendInput{}, false
	}
	in, ok := v.(SendInput)
	return in, ok
}

// Send reads and validates phone, uuid and imgcode in the contract's order: 4001 if any is
// missing or blank, then 4005 if any is malformed. The returned code is 0 when all are valid.
func (in *Inputs) Send(c *gin.Context) (SendInput, Code) {
	phone, err1 := in.value(c, in.names.Phone)
	uuid, err2 := in.value(c, in.names.UUID)
	answer, err3 := in.value(c, in.names.ImageCode)
	if err := errors.Join(err1, err2, err3); err != nil {
		return SendInput{}, CodeMalformedInput
	}
	phone = strings.TrimSpace(phone)
	uuid = strings.Trim(strings.TrimSpace(uuid), "/")
	answer = strings.TrimSpace(answer)
	if phone == "" || uuid == "" || answer == "" {
		return SendInput{}, CodeMissingInput
	}
	if !in.ValidPhone(phone) || len(answer) > maxImageCodeLen {
		return SendInput{}, CodeMalformedInput
	}
	uuid, ok := canonicalUUID(uuid)
	if !ok {
		return SendInput{}, CodeMalformedInput
	}
	return SendInput{Phone: phone, UUID: uuid, ImageCode: answer}, 0
}

// Phone reads and validates the phone number alone: 4001 missing, 4005 malformed.
func (in *Inputs) Phone(c *gin.Context) (string, Code) {
	phone, err := in.value(c, in.names.Phone)
	if err != nil {
		return "", CodeMalformedInput
	}
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return "", CodeMissingInput
	}
	if !in.ValidPhone(phone) {
		return "", CodeMalformedInput
	}
	return phone, 0
}

// Captcha reads and validates uuid and imgcode: 4001 missing, 4005 malformed.
func (in *Inputs) Captcha(c *gin.Context) (uuid, answer string, code Code) {
	uuid, err1 := in.value(c, in.names.UUID)
	answer, err2 := in.value(c, in.names.ImageCode)
	if err1 != nil || err2 != nil {
		return "", "", CodeMalformedInput
	}
	uuid = strings.Trim(strings.TrimSpace(uuid), "/")
	answer = strings.TrimSpace(answer)
	if uuid == "" || answer == "" {
		return "", "", CodeMissingInput
	}
	uuid, ok := canonicalUUID(uuid)
	if !ok || len(answer) > maxImageCodeLen {
		return "", "", CodeMalformedInput
	}
	return uuid, answer, 0
}

// Verify reads and validates phone and sms_code: 4001 if either is missing, then 4005 if
// either is malformed (the code must be exactly SMSCodeLength ASCII digits).
func (in *Inputs) Verify(c *gin.Context) (phone, smsCode string, code Code) {
	phone, err1 := in.value(c, in.names.Phone)
	smsCode, err2 := in.value(c, in.names.SMSCode)
	if err1 != nil || err2 != nil {
		return "", "", CodeMalformedInput
	}
	phone, smsCode = strings.TrimSpace(phone), strings.TrimSpace(smsCode)
	if phone == "" || smsCode == "" {
		return "", "", CodeMissingInput
	}
	if !in.ValidPhone(phone) || !in.ValidSMSCode(smsCode) {
		return "", "", CodeMalformedInput
	}
	return phone, smsCode, 0
}

// ValidUUID reports whether s is a canonical UUID and returns its lower-case form; a
// trailing or leading "/" and surrounding blanks are removed first, as the original did.
func ValidUUID(s string) (string, bool) {
	s = strings.Trim(strings.TrimSpace(s), "/")
	return canonicalUUID(s)
}

// ValidPhone reports whether s is a phone number of the configured form.
func (in *Inputs) ValidPhone(s string) bool {
	return len(s) <= maxPhoneLen && in.phone.MatchString(s)
}

// ValidSMSCode reports whether s is an SMS code of the configured length (ASCII digits).
func (in *Inputs) ValidSMSCode(s string) bool {
	if len(s) != in.codeLength || len(s) > maxSMSCodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// canonicalUUID accepts the 8-4-4-4-12 hexadecimal form in either case and returns it in
// lower case, the form the original service (Django's uuid converter) used in its keys.
func canonicalUUID(s string) (string, bool) {
	if len(s) > maxUUIDLen || len(s) != canonicalUUIDLen {
		return "", false
	}
	lower := true
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return "", false
			}
			continue
		}
		switch {
		case '0' <= ch && ch <= '9', 'a' <= ch && ch <= 'f':
		case 'A' <= ch && ch <= 'F':
			lower = false
		default:
			return "", false
		}
	}
	if !lower {
		s = strings.ToLower(s)
	}
	return s, true
}

// value looks name up in the path, then the body, then the query string.
func (in *Inputs) value(c *gin.Context, name string) (string, error) {
	if v := c.Param(name); v != "" {
		return v, nil
	}
	body, err := bodyValues(c)
	if err != nil {
		return "", err
	}
	if v, ok := body[name]; ok {
		return v, nil
	}
	return c.Query(name), nil
}

type parsedBody struct {
	values map[string]string
	err    error
}

const bodyKey = "github.com/ginsms/ginsms/middleware.body"

// bodyValues reads a form or JSON object body once per request (bounded by MaxBodyBytes)
// and caches the outcome in the context, so every middleware sees the same values.
func bodyValues(c *gin.Context) (map[string]string, error) {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if v, ok := c.Get(bodyKey); ok {
		p := v.(parsedBody)
		return p.values, p.err
	}
	values, err := parseBody(c)
	c.Set(bodyKey, parsedBody{values: values, err: err})
	return values, err
}

func parseBody(c *gin.Context) (map[string]string, error) {
	r := c.Request
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(c.Writer, r.Body, MaxBodyBytes)
	switch mediaType {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		var err error
		if mediaType == "multipart/form-data" {
			err = r.ParseMultipartForm(MaxBodyBytes)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return nil, bodyError(err)
		}
		values := make(map[string]string, len(r.PostForm))
		for k, vs := range r.PostForm {
			if len(vs) > 0 {
				values[k] = vs[0]
			}
		}
		return values, nil
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			return nil, bodyError(err)
		}
		values := make(map[string]string, len(raw))
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				values[k] = v
			case json.Number: // a code or phone sent as a JSON number
				values[k] = v.String()
			}
		}
		return values, nil
	default: // another body type carries no input of ours; query and path still count
		_, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return nil, bodyError(err)
		}
		return nil, nil
	}
}

func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return ErrBodyTooLarge
	}
	return ErrBodyMalformed
}

// ClientIP returns the client address that per-IP quotas count: c.ClientIP() (which only
// believes forwarding headers from the engine's trusted proxies), with an IPv6 address
// reduced to its /64 network, since one subscriber usually holds a whole /64.
func ClientIP(c *gin.Context) string {
	ip := c.ClientIP()
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() != nil {
		return ip
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
