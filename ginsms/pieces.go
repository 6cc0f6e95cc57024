package ginsms

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

// The Service's pieces, for an application that mounts them on paths of its own. Each
// returns handlers built once by New from the Service's configuration (phone pattern,
// messages, legacy_status, logger, error handler, observer), the very handlers Register
// mounts, so a route of one's own behaves exactly as Register's does. Every handler
// aborts the chain itself when it refuses a request.

// SendRoute returns the whole send route as Register mounts it on /sms_codes/:phone: the
// observer's hook (when Config.Observer.Answered is set), the SendGuards, and the
// store-and-send step answering in the contract's JSON. Mount it on a path with a :phone
// parameter:
//
//	router.POST("/signup/otp/:phone", sms.SendRoute()...)
func (s *Service) SendRoute() []gin.HandlerFunc {
	return s.route(routeSend, append(s.SendGuards(), s.sendRoute)...)
}

// SendGuards returns the send route's steps before the code is stored, in order: input
// validation (4001, 4005), the rate limit on the phone's flag and every quota (4004; the
// captcha is not touched), and the human check of captcha.kind, which spends the captcha
// or proof (4002, 4003; 5003 when a provider cannot decide).
// Put a handler of one's own after them that calls SendCode with middleware.Phone(c).
func (s *Service) SendGuards() []gin.HandlerFunc {
	return append([]gin.HandlerFunc(nil), s.sendGuards...)
}

// VerifyRoute returns the verify route as Register mounts it on
// /sms_codes/:phone/verify: it checks and consumes the code and answers 200 or the
// failure. For a route that goes on to a handler of one's own, see RequireSMSCode.
func (s *Service) VerifyRoute() []gin.HandlerFunc { return s.route(routeVerify, s.verifyRoute) }

// ImageRoute returns the captcha image route as Register mounts it on
// /image_codes/:uuid; mount it on a path with a :uuid parameter.
func (s *Service) ImageRoute() []gin.HandlerFunc { return s.route(routeImage, s.images.Image) }

// AudioRoute returns the spoken captcha route as Register mounts it on
// /image_codes/:uuid/audio; mount it on a path with a :uuid parameter.
func (s *Service) AudioRoute() []gin.HandlerFunc { return s.route(routeAudio, s.images.Audio) }

// counted reports a storage failure of SendCode or Verify called from Go to
// Observer.StorageFailed, as the routes' error handler does for theirs, and returns err.
func (s *Service) counted(err error) error {
	if failed := s.cfg.Observer.StorageFailed; failed != nil && errors.Is(err, ErrStorage) {
		failed(storageOp(err))
	}
	return err
}

// route is handlers behind the observer's hook for route, when anyone listens.
func (s *Service) route(route string, handlers ...gin.HandlerFunc) []gin.HandlerFunc {
	if obs := s.observe(route); obs != nil {
		return append([]gin.HandlerFunc{obs}, handlers...)
	}
	return handlers
}

// buildSendGuards builds the send route's guards once, from the Service's settings.
func (s *Service) buildSendGuards() ([]gin.HandlerFunc, error) {
	validate, err1 := middleware.ValidateSend(s.mw)
	limit, err2 := middleware.RateLimit(s.store, s.mw)
	check, err3 := s.humanCheck()
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	return []gin.HandlerFunc{validate, limit, check}, nil
}

// humanCheck is the send route's human check of captcha.kind (see guard), spent by the
// attempt whatever the outcome.
func (s *Service) humanCheck() (gin.HandlerFunc, error) { return s.guard() }
