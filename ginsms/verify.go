package ginsms

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
	"github.com/ginsms/ginsms/middleware"
)

// verifiedPhoneKey is the gin context key under which RequireSMSCode keeps the phone it
// verified.
const verifiedPhoneKey = "github.com/ginsms/ginsms.VerifiedPhone"

// VerifiedPhone returns the phone whose code RequireSMSCode verified for this request.
func VerifiedPhone(c *gin.Context) (string, bool) {
	phone := c.GetString(verifiedPhoneKey)
	return phone, phone != ""
}

// Verify checks code for phone in one atomic Redis step. A right code is consumed, so it
// verifies exactly once, also under concurrent requests. A wrong one returns ErrCodeWrong
// and counts a try; after sms.max_verify_attempts wrong tries the code is deleted. With
// no live code (never sent, expired, used, or deleted) it returns ErrCodeExpired, the
// same for a phone that was never sent one, so answers do not tell which phones exist.
// The comparison does the same work wherever the codes differ. A right code marks the
// phone known (destination.known_for) and, in one more round trip, takes its send off the
// destination guard's unverified counts.
//
// clientIP (c.ClientIP()) is counted against sms.hourly_verify_limit_per_ip first, in a
// round trip of its own; past the limit Verify returns ErrTooFrequent (RetryAfter says how
// long) without touching the code. A clientIP that is not an IP ("" included) is counted
// in the one bucket that every such address shares.
// A phone or code of the wrong form returns ErrInvalidInput without reaching Redis;
// storage failures wrap ErrStorage.
func (s *Service) Verify(ctx context.Context, phone, code, clientIP string) error {
	if !s.inputs.ValidPhone(phone) || !s.inputs.ValidSMSCode(code) {
		return ErrInvalidInput
	}
	return s.counted(s.store.verify(ctx, phone, code, s.store.network(clientIP)))
}

// RequireSMSCode returns a middleware for routes such as /register: it reads the phone and
// the SMS code (from the path, the body or the query; field names from fields, whose zero
// value means "phone" and "sms_code", then routes.fields' aliases), verifies and consumes the code as Verify does, and
// lets the request through with the phone available from VerifiedPhone. The request body
// is left whole for the handler after it. Failures abort with the contract's JSON (in the
// shape of routes.dialect): 4001 missing, 4005 malformed, 4004 too many tries from the client's address, 4006 wrong,
// 4007 no live code, 5002 storage down.
func (s *Service) RequireSMSCode(fields middleware.FieldNames) gin.HandlerFunc {
	inputs, err := input.New(input.Config{PhonePattern: s.cfg.SMS.PhonePattern, CodeLength: s.cfg.SMS.CodeLength,
		Fields: input.Named(fields.Phone, "", "", fields.SMSCode, input.Fields(s.mw.Aliases))})
	if err != nil { // fields unusable (New validated the rest): refuse every request, say why once
		s.logger.Error("ginsms: RequireSMSCode: "+err.Error()+"; every request is refused", "fields", fields)
		return func(c *gin.Context) { s.resp.Abort(c, contract.CodeStorageDown) }
	}
	return func(c *gin.Context) {
		if phone, ok := s.checkCode(c, inputs); ok {
			c.Set(verifiedPhoneKey, phone)
			c.Next()
		}
	}
}

// verifyRoute answers POST /sms_codes/:phone/verify.
func (s *Service) verifyRoute(c *gin.Context) {
	if _, ok := s.checkCode(c, s.inputs); ok {
		s.resp.Write(c, contract.CodeOK)
	}
}

// checkCode verifies the request's code and answers any failure.
func (s *Service) checkCode(c *gin.Context, inputs *input.Parser) (phone string, ok bool) {
	phone, code, bad := inputs.ParseVerify(c)
	if bad != 0 {
		s.resp.Abort(c, bad)
		return "", false
	}
	if err := s.store.verify(c.Request.Context(), phone, code, s.store.network(c.ClientIP())); err != nil {
		s.answer(c, err, contract.CodeOK)
		c.Abort() // whatever the error handler did: an unverified request goes no further
		return "", false
	}
	return phone, true
}
