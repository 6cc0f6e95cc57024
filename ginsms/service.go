package ginsms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
	"github.com/ginsms/ginsms/internal/keys"
	"github.com/ginsms/ginsms/internal/mask"
	"github.com/ginsms/ginsms/middleware"
	"github.com/ginsms/ginsms/sender"
)

// Service is the SMS verification flow on one Redis: it serves the routes (Register),
// sends codes (SendCode) and checks them (Verify, RequireSMSCode) for Go code. Build it
// with New or Register; it is safe for concurrent use.
type Service struct {
	cfg        Config
	store      *codeStore
	captchas   *captcha.Store
	images     *captcha.Handler
	kind       string                  // captcha.kind
	checker    middleware.HumanChecker // nil for the image kind
	altcha     *captcha.Altcha         // kind altcha only
	sender     sender.Sender
	senderKind string
	logger     *slog.Logger
	inputs     *input.Parser
	resp       *contract.Responder
	onError    func(*gin.Context, error)
	mw         middleware.Config
	// sendGuards are the send route's steps before the store-and-send one, built once
	// (see pieces.go): Register and SendGuards hand out these same handlers.
	sendGuards []gin.HandlerFunc
}

// New validates cfg and builds a Service on rdb, which the application owns (a single,
// Sentinel or Cluster client, or an autopipeliner over one). It does not talk to Redis;
// call Check at start-up for that. On a Cluster client, sms.key and sms.flag_key must put
// a phone's keys in one slot (hash tags such as "sms_{%s}"), or New refuses; a Ring is
// refused (see checkTopology).
func New(rdb redis.UniversalClient, cfg Config) (*Service, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: a redis client is required", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkTopology(rdb, cfg.SMS); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, logger: cfg.Logger, kind: cfg.Captcha.KindName()}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok && cc.Options().ClusterStateReloadInterval > 5*time.Second {
		s.logger.Warn("ginsms: the cluster client reloads its slot map only every " +
			cc.Options().ClusterStateReloadInterval.String() + ": after a master dies its slots answer 5002 until then; " +
			"set ClusterStateReloadInterval to a second or two (config.NewRedisClient does)")
	}
	var err error
	if s.store, err = newCodeStore(rdb, cfg.SMS, cfg.Destination); err != nil {
		return nil, err
	}
	s.store.dest.logger = s.logger
	if f := cfg.Observer.DestinationRefused; f != nil {
		s.store.dest.refusedBy = f
	}
	if f := cfg.Observer.BlockStarted; f != nil {
		s.store.dest.blocked = f
	}
	s.warnTestNumbers()
	if s.captchas, err = captcha.NewStore(rdb, s.captchaConfig()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	aliases, answer := cfg.Routes.spoken()
	if s.resp, err = contract.NewResponder(contract.Options{Messages: cfg.Messages, LegacyStatus: cfg.SMS.LegacyStatus,
		Language: cfg.Routes.Language, Envelope: contract.Envelope(answer)}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	s.onError = s.resp.OnStorageError(cfg.ErrorHandler, s.logger)
	if failed := cfg.Observer.StorageFailed; failed != nil {
		answer := s.onError
		s.onError = func(c *gin.Context, err error) { failed(storageOp(err)); answer(c, err) }
	}
	if f := cfg.Observer.QuotaRefused; f != nil {
		s.store.refused = f
	}
	if f := cfg.Observer.VerifyExhausted; f != nil {
		s.store.exhausted = f
	}
	s.store.unknown = s.unknownClient(cfg.Observer.UnknownClient)
	s.mw = middleware.Config{PhonePattern: cfg.SMS.PhonePattern, Aliases: aliases, Answer: answer,
		Language: cfg.Routes.Language, Messages: cfg.Messages,
		LegacyStatus: cfg.SMS.LegacyStatus, Logger: s.logger, ErrorHandler: s.onError,
		ProofFields: cfg.Captcha.ProofFields()}
	if err := s.buildHumanCheck(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if s.images, err = captcha.NewHandler(s.captchas, s.mw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if s.sendGuards, err = s.buildSendGuards(); err != nil {
		return nil, err
	}
	if s.inputs, err = input.New(input.Config{PhonePattern: cfg.SMS.PhonePattern, CodeLength: cfg.SMS.CodeLength,
		Fields: input.Named("", "", "", "", input.Fields(aliases))}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	sc := cfg.Sender
	if sc.Logger == nil {
		sc.Logger = s.logger
	}
	if s.sender, err = sender.New(sc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	s.senderKind = sc.Label()
	return s, nil
}

// checkTopology refuses, on a client that spreads keys over servers, templates that do
// not keep one phone's keys in one slot: every send and verify would fail (CROSSSLOT)
// after consuming the user's captcha. A client whose topology New cannot see (an
// autopipeliner, a single seed address) is checked by Check.
//
// It refuses a Ring: when a shard stops answering, go-redis's Ring hashes that shard's
// phones onto the others, where their flags and counters do not exist, so a second SMS
// and fresh quotas would follow at once. And sms.replica_acks only with a client whose
// WAIT ginsms can send on the connection of the phone's primary.
func checkTopology(rdb redis.UniversalClient, s SMSConfig) error {
	switch c := rdb.(type) {
	case *redis.Ring:
		return configError("redis", "a *redis.Ring forgets the flags and quotas of a shard that stops answering "+
			"(it hashes its phones onto the other shards), which would let a second SMS through; "+
			"use a Redis Cluster (hash-tagged templates) or a single or Sentinel client")
	case *redis.ClusterClient:
		if err := ackWithinRead(s, c.Options().ReadTimeout); err != nil {
			return err
		}
		return sameSlot(s)
	case *redis.Client:
		return ackWithinRead(s, c.Options().ReadTimeout)
	case *redis.AutoPipeliner:
	default:
		if s.ReplicaAcks > 0 {
			return configError("sms.replica_acks", "needs a *redis.Client (single or Sentinel), a *redis.ClusterClient "+
				"or an autopipeliner over one, so that WAIT follows the write on the phone's primary; got a %T", rdb)
		}
	}
	return nil
}

// ackWithinRead refuses a replica_ack_timeout the client's ReadTimeout would cut short: the
// WAIT would fail every send (5002) instead of waiting for the replicas. A client's
// Options hold its ReadTimeout with go-redis's default filled in; a negative one waits
// without limit.
func ackWithinRead(s SMSConfig, read time.Duration) error {
	if s.ReplicaAcks > 0 && read > 0 && s.ReplicaAckTimeout >= read {
		return configError("sms.replica_ack_timeout", "%v must be below the redis client's ReadTimeout (%v), "+
			"which would end every WAIT first", s.ReplicaAckTimeout, read)
	}
	return nil
}

// sameSlot reports templates whose keys of one phone land in different cluster slots.
func sameSlot(s SMSConfig) error {
	code, err1 := keys.Parse(s.Key)
	flag, err2 := keys.Parse(s.FlagKey)
	if err1 == nil && err2 == nil && keys.SameSlot(code, flag) {
		return nil
	}
	return configError("sms.key", "%q and sms.flag_key %q put one phone's keys in different Redis Cluster slots; "+
		"use hash tags that wrap the phone alike, e.g. sms.key: \"sms_{%%s}\" and sms.flag_key: \"is_send_{%%s}\"",
		s.Key, s.FlagKey)
}

// Register builds a Service with New and mounts every route of the contract on router,
// under cfg.Routes.Prefix:
//
//	GET       /image_codes/:uuid          captcha image (PNG)
//	GET       /image_codes/:uuid/audio    the same answer spoken (WAV)
//	GET, POST /sms_codes/:phone           send a code
//	POST      /sms_codes/:phone/verify    check a code
//	GET       /altcha_challenges          with captcha.kind altcha: a proof-of-work challenge
//
// The image routes are mounted for captcha.kind image (the default) only.
// Each path is also answered with a trailing slash, as the original client sends it.
func Register(router gin.IRouter, rdb redis.UniversalClient, cfg Config) (*Service, error) {
	s, err := New(rdb, cfg)
	if err != nil {
		return nil, err
	}
	g := router.Group(cfg.Routes.Prefix)
	both := func(method, path string, handlers []gin.HandlerFunc) {
		g.Handle(method, path, handlers...)
		g.Handle(method, path+"/", handlers...)
	}
	if s.kind == captcha.KindImage {
		both("GET", "/image_codes/:uuid", s.ImageRoute())
		both("GET", "/image_codes/:uuid/audio", s.AudioRoute())
	}
	if s.altcha != nil {
		both("GET", "/altcha_challenges", s.route(routeAltcha, s.altcha.Challenge))
	}
	both("GET", "/sms_codes/:phone", s.SendRoute())
	both("POST", "/sms_codes/:phone", s.SendRoute())
	both("POST", "/sms_codes/:phone/verify", s.VerifyRoute())
	return s, nil
}

// sendRoute is the last step of the send route: ValidateSend, RateLimit and CaptchaGuard ran.
func (s *Service) sendRoute(c *gin.Context) {
	in, _ := input.From(c)
	// RateLimit, before, reported an address that is not an IP.
	err := s.sendCode(c.Request.Context(), in.Phone, input.ClientNetwork(c))
	s.answer(c, err, contract.CodeOK)
}

// answer writes the contract's answer for an error of SendCode or Verify, ok on success.
func (s *Service) answer(c *gin.Context, err error, ok contract.Code) {
	wait, retry := RetryAfter(err)
	switch {
	case err == nil:
		s.resp.Write(c, ok)
	case errors.Is(err, ErrTooFrequent):
		s.resp.AbortRetry(c, contract.CodeTooFrequent, wait)
	case errors.Is(err, ErrDestinationRefused) && retry:
		s.resp.AbortRetry(c, contract.CodeDestinationRefused, wait)
	case errors.Is(err, ErrDestinationRefused):
		s.resp.Abort(c, contract.CodeDestinationRefused)
	case errors.Is(err, ErrSendFailed) && retry:
		s.resp.AbortRetry(c, contract.CodeSenderFailed, wait)
	case errors.Is(err, ErrSendFailed):
		s.resp.Abort(c, contract.CodeSenderFailed)
	case errors.Is(err, ErrInvalidInput):
		s.resp.Abort(c, contract.CodeMalformedInput)
	case errors.Is(err, ErrCodeWrong):
		s.resp.Abort(c, contract.CodeSMSWrong)
	case errors.Is(err, ErrCodeExpired):
		s.resp.Abort(c, contract.CodeSMSExpired)
	default:
		s.onError(c, err)
	}
}

// SendCode is the store-and-send step of the send route, for a handler of one's own after
// middleware.RateLimit and middleware.CaptchaGuard: it draws a code, stores it in one
// atomic Redis step only if the phone may be sent one (its flag is absent and every quota
// has room, counted against clientIP, c.ClientIP(), when the per-IP quota is on, and the
// destination guard lets it through), and sends it (a test number's fixed code is stored
// and not sent). It returns nil when the provider accepted the message; ErrTooFrequent
// (RetryAfter says how long) when the phone or a quota refused; ErrDestinationRefused
// when the destination guard did (RetryAfter tells a block's remaining time); ErrSendFailed when the provider did
// not take it (see ErrSendFailed for what was kept); ErrInvalidInput for a phone not of
// the configured form; an error wrapping ErrStorage when Redis failed, in which case no
// SMS was sent.
//
// Once the code is stored the send runs to its end whatever ctx does (a client that
// hangs up does not cancel it); only sender.timeout bounds it.
func (s *Service) SendCode(ctx context.Context, phone, clientIP string) error {
	if !s.inputs.ValidPhone(phone) {
		return ErrInvalidInput
	}
	return s.counted(s.sendCode(ctx, phone, s.store.network(clientIP)))
}

func (s *Service) sendCode(ctx context.Context, phone, network string) error {
	code, test := s.cfg.Destination.TestNumbers[phone]
	if !test {
		var err error
		if code, err = newCode(s.cfg.SMS.CodeLength); err != nil {
			return err
		}
	}
	// From here on the request is committed (its captcha is spent): a client that goes
	// away must not leave a stored code unsent or a send half taken back.
	ctx = context.WithoutCancel(ctx)
	rec, wait, err := s.store.store(ctx, phone, network, code)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &retryError{err: ErrTooFrequent, wait: wait}
	}
	stored := time.Now()
	if test {
		// A test number's fixed code is stored like any other, and never reaches the
		// provider; the observer counts it apart.
		if sent := s.cfg.Observer.Sent; sent != nil {
			sent("test", "sent", 0)
		}
		s.logger.InfoContext(ctx, "ginsms: test number: fixed code stored, no SMS sent", "phone", mask.Phone(phone))
		return nil
	}
	// sender.New bounds every Send by sender.timeout (ctx itself no longer ends).
	err = s.sender.Send(ctx, sender.Message{Phone: phone, Code: code, ID: newMessageID()})
	if sent := s.cfg.Observer.Sent; sent != nil {
		outcome := "sent"
		switch {
		case errors.Is(err, sender.ErrRefused):
			outcome = "refused"
		case err != nil:
			outcome = "unknown"
		}
		sent(s.senderKind, outcome, time.Since(stored))
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, sender.ErrRefused) {
		s.logger.ErrorContext(ctx, "ginsms: sms provider refused the message; send taken back",
			"phone", mask.Phone(phone), "sender", s.senderKind, "err", err)
		if uerr := s.store.unstore(ctx, rec); uerr != nil {
			s.logger.ErrorContext(ctx, "ginsms: taking back a refused send", "phone", mask.Phone(phone), "err", uerr)
			if failed := s.cfg.Observer.StorageFailed; failed != nil {
				failed(storageOp(uerr))
			}
		}
		return fmt.Errorf("%w: %w", ErrSendFailed, err)
	}
	// Unknown outcome: the SMS may still arrive. Keep the flag, the code and the counts,
	// so no second SMS goes out within the interval and this code still verifies.
	s.logger.ErrorContext(ctx, "ginsms: sms provider outcome unknown; send kept, phone waits for the interval",
		"phone", mask.Phone(phone), "sender", s.senderKind, "err", err)
	return &retryError{err: fmt.Errorf("%w: %w", ErrSendFailed, err), wait: max(s.store.interval-time.Since(stored), time.Second)}
}
