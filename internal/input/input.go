// Package input reads the fields of a ginsms request (phone, uuid, imgcode, sms_code) from
// the path, the body or the query string, and validates them before any of them reaches a
// Redis key.
//
// A body is read without being consumed: what was read is put back in front of the rest,
// so the application's own handler after a ginsms middleware reads the body whole,
// whatever its size or type. Only the first 64 KiB are searched for the fields, and only
// form, multipart and JSON bodies; a field not found in a larger body may lie past them,
// so it is malformed (4005), never missing.
package input

import (
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
)

// DefaultPhonePattern accepts a mainland China mobile number, as the original service did.
const DefaultPhonePattern = `^1[3-9]\d{9}$`

// Bounds applied before any pattern is tried, so an oversized input is rejected cheaply.
const (
	maxPhoneLen     = 32
	maxImageCodeLen = 32
	maxSMSCodeLen   = 32
	uuidLen         = 36
	// maxProofLen bounds a human check's proof: an ALTCHA payload is about 400 bytes,
	// a Turnstile token at most 2048 (Cloudflare's documented bound), a reCAPTCHA
	// token around 2000.
	maxProofLen = 4096
)

// Fields names the request fields. Each input may have several names (aliases, for a
// front end written against another backend), tried in order: the first that carries a
// value is read. An empty list means the default name.
type Fields struct {
	Phone     []string // default "phone"
	UUID      []string // default "uuid"
	ImageCode []string // default "imgcode"
	SMSCode   []string // default "sms_code"
}

// Named returns the names of each input: its own name (the default when empty), then
// its aliases.
func Named(phone, uuid, imageCode, smsCode string, aliases Fields) Fields {
	named := func(name, def string, more []string) []string {
		if name == "" {
			name = def
		}
		return append([]string{name}, more...)
	}
	return Fields{
		Phone:     named(phone, "phone", aliases.Phone),
		UUID:      named(uuid, "uuid", aliases.UUID),
		ImageCode: named(imageCode, "imgcode", aliases.ImageCode),
		SMSCode:   named(smsCode, "sms_code", aliases.SMSCode),
	}
}

// maxFieldName bounds a field name; names are set in code or config, never by a client.
const maxFieldName = 64

// Config configures a Parser.
type Config struct {
	PhonePattern string // default DefaultPhonePattern
	CodeLength   int    // digits of an SMS code, 4 to 10; default 6
	Fields       Fields
	// ProofFields name the fields that carry the proof of a human check other than the
	// image (an ALTCHA payload, a provider's token), looked up in order; when set, a send
	// needs one of them instead of uuid and imgcode. Default: none (the image captcha).
	ProofFields []string
}

// Parser reads and validates the inputs of a request. It is safe for concurrent use.
type Parser struct {
	phone      *regexp.Regexp
	codeLength int
	names      Fields
	proof      []string
	wanted     map[string]bool // every name of names: the body fields worth keeping
}

// New compiles cfg.
func New(cfg Config) (*Parser, error) {
	if cfg.PhonePattern == "" {
		cfg.PhonePattern = DefaultPhonePattern
	}
	re, err := regexp.Compile(cfg.PhonePattern)
	if err != nil {
		return nil, fmt.Errorf("phone pattern: %w", err)
	}
	if cfg.CodeLength == 0 {
		cfg.CodeLength = 6
	}
	if cfg.CodeLength < 4 || cfg.CodeLength > 10 {
		return nil, fmt.Errorf("sms code length %d: must be 4 to 10", cfg.CodeLength)
	}
	n := &cfg.Fields
	wanted := map[string]bool{}
	for _, f := range []struct {
		names *[]string
		def   string
	}{{&n.Phone, "phone"}, {&n.UUID, "uuid"}, {&n.ImageCode, "imgcode"}, {&n.SMSCode, "sms_code"}} {
		if len(*f.names) == 0 {
			*f.names = []string{f.def}
		}
		mine := map[string]bool{}
		for _, name := range *f.names {
			if name == "" || len(name) > maxFieldName {
				return nil, fmt.Errorf("field name %q: must have 1 to %d bytes", name, maxFieldName)
			}
			if wanted[name] && !mine[name] { // e.g. the uuid read as the captcha answer too
				return nil, fmt.Errorf("field name %q: names two inputs", name)
			}
			mine[name], wanted[name] = true, true
		}
	}
	for _, name := range cfg.ProofFields {
		if name == "" || len(name) > maxFieldName || wanted[name] {
			return nil, fmt.Errorf("proof field %q: must have 1 to %d bytes and name no other input", name, maxFieldName)
		}
	}
	return &Parser{phone: re, codeLength: cfg.CodeLength, names: cfg.Fields, proof: cfg.ProofFields, wanted: wanted}, nil
}

// limit is how many bytes of field name the body parser keeps, 0 for a field not ours.
func (p *Parser) limit(name string) int {
	if p.wanted[name] {
		return maxFieldLen
	}
	for _, proof := range p.proof {
		if name == proof {
			return maxProofLen
		}
	}
	return 0
}

// Send is the validated input of a send request.
type Send struct {
	Phone     string // matches the phone pattern, exactly as sent
	UUID      string // canonical, lower-case UUID
	ImageCode string // what the user typed, surrounding blanks removed, at most 32 bytes
	Proof     string // with ProofFields: the human check's proof, at most 4096 bytes
	clientIP  string // c.ClientIP(), worked out once by Store (see ClientIP)
}

// ParseSend reads and validates phone, uuid and imgcode in the contract's order: 4001 if
// any is missing or blank, then 4005 if any is malformed. The code is 0 when all are valid.
// With ProofFields, the proof takes the place of uuid and imgcode (see ParseProof).
func (p *Parser) ParseSend(c *gin.Context) (Send, contract.Code) {
	phone, err := p.value(c, p.names.Phone)
	var uuid, answer, proof string
	var code contract.Code
	if len(p.proof) > 0 {
		proof, code = p.ParseProof(c)
	} else {
		uuid, answer, code = p.ParseCaptcha(c)
	}
	switch {
	case err != nil:
		return Send{}, contract.CodeMalformedInput
	case blank(phone) || code == contract.CodeMissingInput:
		return Send{}, contract.CodeMissingInput
	case code != 0 || !p.ValidPhone(phone):
		return Send{}, contract.CodeMalformedInput
	}
	return Send{Phone: phone, UUID: uuid, ImageCode: answer, Proof: proof}, 0
}

// ParseProof reads the first of ProofFields that is present and not blank: 4001 if none
// is, 4005 if it is longer than 4096 bytes or holds a byte outside printable ASCII (no
// proof of any kind has one).
func (p *Parser) ParseProof(c *gin.Context) (string, contract.Code) {
	for _, name := range p.proof {
		v, err := p.lookup(c, name)
		switch {
		case err != nil:
			return "", contract.CodeMalformedInput
		case blank(v):
			continue
		case len(v) > maxProofLen:
			return "", contract.CodeMalformedInput
		}
		v = strings.TrimSpace(v)
		for i := 0; i < len(v); i++ {
			if v[i] <= ' ' || v[i] > '~' {
				return "", contract.CodeMalformedInput
			}
		}
		return v, 0
	}
	return "", contract.CodeMissingInput
}

// ParsePhone reads and validates the phone alone: 4001 missing or blank, 4005 malformed.
func (p *Parser) ParsePhone(c *gin.Context) (string, contract.Code) {
	phone, err := p.value(c, p.names.Phone)
	switch {
	case err != nil:
		return "", contract.CodeMalformedInput
	case blank(phone):
		return "", contract.CodeMissingInput
	case !p.ValidPhone(phone):
		return "", contract.CodeMalformedInput
	}
	return phone, 0
}

// ParseCaptcha reads and validates uuid and imgcode: 4001 missing, 4005 malformed.
func (p *Parser) ParseCaptcha(c *gin.Context) (uuid, answer string, code contract.Code) {
	uuid, err1 := p.value(c, p.names.UUID)
	answer, err2 := p.value(c, p.names.ImageCode)
	if err1 != nil || err2 != nil {
		return "", "", contract.CodeMalformedInput
	}
	answer = strings.TrimSpace(answer)
	if blank(strings.TrimSuffix(uuid, "/")) || answer == "" {
		return "", "", contract.CodeMissingInput
	}
	uuid, ok := UUID(uuid)
	if !ok || len(answer) > maxImageCodeLen {
		return "", "", contract.CodeMalformedInput
	}
	return uuid, answer, 0
}

// ParseVerify reads and validates phone and sms_code: 4001 if either is missing, then
// 4005 if either is malformed (the code must be exactly CodeLength ASCII digits; blanks
// around it are ignored, blanks around the phone are not).
func (p *Parser) ParseVerify(c *gin.Context) (phone, smsCode string, code contract.Code) {
	phone, err1 := p.value(c, p.names.Phone)
	smsCode, err2 := p.value(c, p.names.SMSCode)
	if err1 != nil || err2 != nil {
		return "", "", contract.CodeMalformedInput
	}
	smsCode = strings.TrimSpace(smsCode)
	if blank(phone) || smsCode == "" {
		return "", "", contract.CodeMissingInput
	}
	if !p.ValidPhone(phone) || !p.ValidSMSCode(smsCode) {
		return "", "", contract.CodeMalformedInput
	}
	return phone, smsCode, 0
}

// ValidPhone reports whether s is a phone of the configured pattern, taken exactly as
// sent: nothing is trimmed, so a stray newline or a "+" that a form decoded as a space
// makes it malformed rather than another number. Whatever the pattern, a phone is at most
// 32 bytes of digits and "+-.()", so it can never change the meaning of a key (no hash
// tag braces, no ":" of the derived keys, no glob or space).
func (p *Parser) ValidPhone(s string) bool {
	if s == "" || len(s) > maxPhoneLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case '0' <= ch && ch <= '9', ch == '+', ch == '-', ch == '.', ch == '(', ch == ')':
		default:
			return false
		}
	}
	return p.phone.MatchString(s)
}

// ValidSMSCode reports whether s is an SMS code of the configured length (ASCII digits).
func (p *Parser) ValidSMSCode(s string) bool {
	if len(s) != p.codeLength || len(s) > maxSMSCodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// UUID returns the canonical lower-case form of a uuid field or path value: the
// 8-4-4-4-12 hexadecimal form in either case, with at most one trailing "/" (the original
// client sends one) and nothing else around it.
func UUID(s string) (string, bool) {
	s = strings.TrimSuffix(s, "/")
	if len(s) != uuidLen {
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

// UnknownNetwork is what Network returns for a client address that is not an IP (""
// or "<nil>", as a unix-socket listener or a missing platform header gives): every such
// client shares this one bucket of every per-IP quota, as go-chi/httprate does, so an
// address nobody can read is counted, never exempt.
const UnknownNetwork = "unknown"

// The characters of an id once validated, for the check that no two key templates can
// name one key: a phone (see ValidPhone), a Network (IPv4, an IPv6 /64, UnknownNetwork)
// and a canonical UUID.
const (
	PhoneChars   = "0123456789+-.()"
	NetworkChars = "0123456789abcdef.:/knouw"
	UUIDChars    = "0123456789abcdef-"
)

// Network returns the client address that per-IP quotas count: an IPv4 address as it is,
// an IPv6 address reduced to its /64 network (one subscriber usually holds a whole /64),
// and UnknownNetwork for anything that is not an IP address.
func Network(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed == nil:
		return UnknownNetwork
	case parsed.To4() != nil:
		return parsed.To4().String()
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// ClientNetwork is Network(c.ClientIP()); c.ClientIP() believes forwarding headers only
// from the engine's trusted proxies.
func ClientNetwork(c *gin.Context) string { return Network(ClientIP(c)) }

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// value returns the first value found under names, each looked up in turn.
func (p *Parser) value(c *gin.Context, names []string) (string, error) {
	for _, name := range names {
		v, err := p.lookup(c, name)
		if v != "" || err != nil {
			return v, err
		}
	}
	return "", nil
}

// lookup looks name up in the path, then the body, then the query string.
func (p *Parser) lookup(c *gin.Context, name string) (string, error) {
	if v := c.Param(name); v != "" {
		return v, nil
	}
	body, err := p.bodyFields(c)
	if err != nil {
		return "", err
	}
	if v, ok := body[name]; ok {
		return v, nil
	}
	if _, partial := body[unreadMark]; partial {
		return "", errUnread // the field may lie in the part of the body not read
	}
	return c.Query(name), nil
}

const sendKey = "github.com/ginsms/ginsms/internal/input.Send"

// Store keeps the validated send input in c for the next handlers (see From), with the
// client's address: the rate limit, the human check and the send step each need it.
func Store(c *gin.Context, s Send) {
	s.clientIP = c.ClientIP()
	c.Set(sendKey, s)
}

// ClientIP is c.ClientIP(), as Store worked it out when a send's input was stored.
func ClientIP(c *gin.Context) string {
	if s, ok := From(c); ok {
		return s.clientIP
	}
	return c.ClientIP()
}

// From returns the send input that a previous handler stored in c.
func From(c *gin.Context) (Send, bool) {
	v, ok := c.Get(sendKey)
	if !ok {
		return Send{}, false
	}
	s, ok := v.(Send)
	return s, ok
}
