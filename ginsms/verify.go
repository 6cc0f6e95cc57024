package ginsms

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

// VerifiedPhoneKey is the gin context key under which RequireSMSCode stores the phone
// whose code it verified; read it with VerifiedPhone.
const VerifiedPhoneKey = "github.com/ginsms/ginsms.VerifiedPhone"

// VerifiedPhone returns the phone that RequireSMSCode verified for this request.
func VerifiedPhone(c *gin.Context) (string, bool) {
	return c.GetString(VerifiedPhoneKey), c.GetString(VerifiedPhoneKey) != ""
}

// Verify checks code for phone in one atomic Redis step. A right code is consumed, so it
// verifies exactly once, also under concurrent requests. A wrong one returns ErrCodeWrong
// and counts a try; after sms.max_verify_attempts wrong tries the code is deleted. With no
// live code (never sent, expired, used, or deleted) it returns ErrCodeExpired, the same
// for a phone that was never sent one, so answers do not tell which phones exist. A phone
// or code of the wrong form returns ErrInvalidInput without reaching Redis; storage
// failures wrap ErrStorage. The comparison does the same work wherever the codes differ.
func (s *Service) Verify(ctx context.Context, phone, code string) error {
	if !s.inputs.ValidPhone(phone) || !s.inputs.ValidSMSCode(code) {
		return ErrInvalidInput
	}
	return s.store.verify(ctx, phone, code)
}

// RequireSMSCode returns a middleware for routes such as /register: it reads the phone and
// the SMS code (from the path, body or query; names from fields, whose zero value means
// "phone" and "sms_code"), verifies and consumes the code, and lets the request through
// with the phone available from VerifiedPhone. Failures abort with the contract's JSON:
// 4001 missing, 4005 malformed, 4006 wrong, 4007 no live code, 5002 storage down.
func (s *Service) RequireSMSCode(fields middleware.FieldNames) gin.HandlerFunc {
	inputs := s.inputs
	if fields != (middleware.FieldNames{}) {
		// The configuration was validated by New, so this cannot fail.
		inputs, _ = middleware.NewInputs(middleware.InputConfig{
			PhonePattern: s.cfg.SMS.PhonePattern, SMSCodeLength: s.cfg.SMS.CodeLength, Fields: fields})
	}
	return func(c *gin.Context) {
		if !s.checkCode(c, inputs) {
			return
		}
		c.Next()
	}
}

// verifyRoute answers POST /sms_codes/:phone/verify.
func (s *Service) verifyRoute(c *gin.Context) {
	if s.checkCode(c, s.inputs) {
		s.responder.Write(c, middleware.CodeOK)
	}
}

// checkCode verifies the request's code and answers any failure; true means verified.
func (s *Service) checkCode(c *gin.Context, inputs *middleware.Inputs) bool {
	phone, code, bad := inputs.Verify(c)
	if bad != 0 {
		s.responder.Abort(c, bad)
		return false
	}
	err := s.store.verify(c.Request.Context(), phone, code)
	switch {
	case err == nil:
		c.Set(VerifiedPhoneKey, phone)
		return true
	case errors.Is(err, ErrCodeWrong):
		s.responder.Abort(c, middleware.CodeSMSWrong)
	case errors.Is(err, ErrCodeExpired):
		s.responder.Abort(c, middleware.CodeSMSExpired)
	default:
		s.onError(c, s.responder, err)
	}
	return false
}
