package ginsms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/middleware"
)

// Service is the SMS verification flow on one Redis: it serves the routes (Register), and
// checks codes for Go code (Verify, RequireSMSCode). Build it with New; it is safe for
// concurrent use.
type Service struct {
	cfg       Config
	store     *codeStore
	captchas  *captcha.Store
	images    *captcha.Handler
	sender    Sender
	logger    *slog.Logger
	inputs    *middleware.Inputs
	responder *middleware.Responder
	onError   middleware.ErrorHandler

	forceSplit bool // tests: the per-slot script path on a single node
}

// Option changes how New builds a Service.
type Option func(*Service)

// WithSender makes the Service send codes through sender instead of the one that
// cfg.Sender describes.
func WithSender(sender Sender) Option { return func(s *Service) { s.sender = sender } }

// WithLogger sets the logger for storage and provider failures. Default: slog.Default().
func WithLogger(logger *slog.Logger) Option { return func(s *Service) { s.logger = logger } }

// WithErrorHandler sets how a storage failure is answered. Default: 5002 (HTTP 503) and a
// log line, see middleware.DefaultErrorHandler.
func WithErrorHandler(h middleware.ErrorHandler) Option { return func(s *Service) { s.onError = h } }

// ErrNoRedis is returned by New without a Redis client.
var ErrNoRedis = errors.New("ginsms: a redis client is required")

// New validates cfg and builds a Service on rdb, which the application owns (a single,
// Sentinel or Cluster client). It does not talk to Redis.
func New(rdb redis.UniversalClient, cfg Config, opts ...Option) (*Service, error) {
	if rdb == nil {
		return nil, ErrNoRedis
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, logger: slog.Default(), onError: middleware.DefaultErrorHandler}
	for _, opt := range opts {
		opt(s)
	}
	var err error
	if s.store, err = newCodeStore(rdb, cfg.SMS); err != nil {
		return nil, err
	}
	s.store.split = s.store.split || s.forceSplit
	if s.captchas, err = captcha.NewStore(rdb, cfg.Captcha); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if s.responder, err = middleware.NewResponder(cfg.Messages, cfg.SMS.LegacyStatus); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if s.inputs, err = middleware.NewInputs(middleware.InputConfig{
		PhonePattern: cfg.SMS.PhonePattern, SMSCodeLength: cfg.SMS.CodeLength,
	}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if s.sender == nil {
		if s.sender, err = NewSender(cfg.Sender, s.logger); err != nil {
			return nil, err
		}
	}
	if s.images, err = captcha.NewHandler(s.captchas, captcha.HandlerOptions{Responder: s.responder, ErrorHandler: s.onError}); err != nil {
		return nil, err
	}
	return s, nil
}

// Register builds a Service with New and mounts every route of the contract on router,
// under cfg.Routes.Prefix:
//
//	GET       /image_codes/:uuid          captcha image (PNG)
//	GET       /image_codes/:uuid/audio    the same answer spoken (WAV)
//	GET, POST /sms_codes/:phone           send a code
//	POST      /sms_codes/:phone/verify    check a code
//
// Each path is also answered with a trailing slash, as the original client sends it.
func Register(router gin.IRouter, rdb redis.UniversalClient, cfg Config, opts ...Option) (*Service, error) {
	s, err := New(rdb, cfg, opts...)
	if err != nil {
		return nil, err
	}
	s.Register(router)
	return s, nil
}

// Register mounts the Service's routes on router (see the package function Register).
func (s *Service) Register(router gin.IRouter) {
	g := router.Group(s.cfg.Routes.Prefix)
	send := s.SendHandlers()
	verify := s.verifyRoute
	both := func(method, path string, handlers ...gin.HandlerFunc) {
		g.Handle(method, path, handlers...)
		g.Handle(method, path+"/", handlers...)
	}
	both("GET", "/image_codes/:uuid", s.images.Image)
	both("GET", "/image_codes/:uuid/audio", s.images.Audio)
	both("GET", "/sms_codes/:phone", send...)
	both("POST", "/sms_codes/:phone", send...)
	both("POST", "/sms_codes/:phone/verify", verify)
}

// SendHandlers returns the send route's chain, for mounting it on a path of one's own:
// ValidateSend, RateLimit, CaptchaGuard and the handler that stores and sends the code.
func (s *Service) SendHandlers() []gin.HandlerFunc {
	limit, _ := middleware.RateLimit(middleware.RateLimitConfig{
		Limiter: s.store, Inputs: s.inputs, Responder: s.responder, ErrorHandler: s.onError})
	guard, _ := middleware.CaptchaGuard(middleware.CaptchaGuardConfig{
		Verifier: s.captchas, Inputs: s.inputs, Responder: s.responder, ErrorHandler: s.onError})
	return []gin.HandlerFunc{middleware.ValidateSend(s.inputs, s.responder), limit, guard, s.send}
}

// Responder returns the Service's response writer, for answers in the contract's format
// from the application's own handlers.
func (s *Service) Responder() *middleware.Responder { return s.responder }

// send is the last step of the send route: ValidateSend, RateLimit and CaptchaGuard ran.
func (s *Service) send(c *gin.Context) {
	input, ok := middleware.SendInputFrom(c)
	if !ok { // mounted without ValidateSend: validate here
		var code middleware.Code
		if input, code = s.inputs.Send(c); code != 0 {
			s.responder.Abort(c, code)
			return
		}
	}
	ctx := c.Request.Context()
	code, err := newCode(s.cfg.SMS.CodeLength)
	if err != nil {
		s.onError(c, s.responder, err)
		return
	}
	var ip string // RateLimit derived it too, but only the per-IP quota needs it here
	if s.store.quotas.perIP > 0 {
		ip = middleware.ClientIP(c)
	}
	r, wait, err := s.store.store(ctx, input.Phone, ip, code)
	switch {
	case err != nil:
		s.onError(c, s.responder, err)
		return
	case wait > 0:
		s.responder.AbortRetry(c, wait)
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, s.cfg.Sender.Timeout)
	err = s.sender.Send(sendCtx, input.Phone, code)
	cancel()
	if err != nil {
		s.logger.ErrorContext(ctx, "ginsms: sms provider failed; send taken back",
			"phone", MaskPhone(input.Phone), "err", err)
		// The request's context may be cancelled by now; the take-back must still happen.
		if uerr := s.store.unstore(context.WithoutCancel(ctx), r, true); uerr != nil {
			s.logger.ErrorContext(ctx, "ginsms: taking back a failed send", "phone", MaskPhone(input.Phone), "err", uerr)
		}
		s.responder.Abort(c, middleware.CodeSenderFailed)
		return
	}
	s.responder.Write(c, middleware.CodeOK)
}

var _ middleware.SendLimiter = (*codeStore)(nil)
