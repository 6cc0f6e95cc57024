package ginsms

import (
	"errors"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
)

// Observer receives what the Service does, for metrics (see package prommetrics for a
// Prometheus one). Every field is optional. Each is called on the request's goroutine, so
// it must be quick and must not block; none is given a phone, an IP or a code, and every
// label it is given comes from a short fixed list.
type Observer struct {
	// Answered is called for every answer of the routes: route is "image", "audio",
	// "send", "verify" or "altcha" (the challenges of captcha.kind altcha), code the
	// contract code (200 for an image, audio or challenge served).
	Answered func(route string, code int)
	// QuotaRefused is called when a limit refused a request: "interval", "phone_daily",
	// "ip_hourly", "total_daily" (send), "captcha_ip" (image and audio), "verify_ip".
	QuotaRefused func(quota string)
	// DestinationRefused is called when the destination guard refused a send (4008):
	// "range" or "country" (blocked), "total" (unverified sends at their cap),
	// "country_rule" or "number_type" (refused by configuration).
	DestinationRefused func(reason string)
	// BlockStarted is called when a number range ("range") or a foreign country
	// ("country") is blocked because its unverified sends passed the limit.
	BlockStarted func(scope string)
	// Sent is called after each call to the SMS provider: sender is sender.kind ("log",
	// "webhook", "twilio", "aliyun"), "custom", or "test" for a test number (no provider
	// call); outcome is "sent", "refused" (taken back)
	// or "unknown" (kept: the SMS may still arrive); took is how long the call lasted.
	Sent func(sender, outcome string, took time.Duration)
	// VerifyExhausted is called when a code is deleted after sms.max_verify_attempts
	// wrong tries.
	VerifyExhausted func()
	// StorageFailed is called when a Redis step failed: op is "captcha", "send_wait",
	// "store", "take_back", "verify" or "check".
	StorageFailed func(op string)
	// UnknownClient is called when a send or verify comes from a client address that is
	// not an IP ("" or "<nil>": a unix-socket listener, a platform header that is
	// missing). Such clients share one bucket of every per-IP quota, so many of them
	// means legitimate users refusing each other: fix the listener or the trusted
	// proxies (see the README on client IPs).
	UnknownClient func()
	// HumanChecked is called for each human check the send route decided: kind is
	// captcha.kind ("image", "altcha", "turnstile", "hcaptcha", "recaptcha"); outcome is
	// "passed", "refused" (wrong, forged or already spent), "expired", "unavailable"
	// (the provider did not answer usably: 5003) or "error" (Redis failed).
	HumanChecked func(kind, outcome string)
	// HumanCheckTook is called after each call to a human-check provider's siteverify
	// API (kinds turnstile, hcaptcha, recaptcha) with how long it took to answer or fail.
	HumanCheckTook func(kind string, took time.Duration)
}

// Route names of the observer.
const (
	routeImage  = "image"
	routeAudio  = "audio"
	routeSend   = "send"
	routeVerify = "verify"
)

// observe returns the handler that reports the answer of route, first in its chain; nil
// when nobody listens.
func (s *Service) observe(route string) gin.HandlerFunc {
	answered := s.cfg.Observer.Answered
	refused := s.cfg.Observer.QuotaRefused
	if answered == nil && (refused == nil || (route != routeImage && route != routeAudio)) {
		return nil
	}
	return func(c *gin.Context) {
		c.Next()
		code, ok := contract.Written(c)
		if !ok { // an image, audio, or an answer of the application's own error handler
			code = contract.CodeOK
			if c.Writer.Status() >= 400 {
				code = contract.CodeStorageDown
			}
		}
		if answered != nil {
			answered(route, int(code))
		}
		if refused != nil && code == contract.CodeTooFrequent && (route == routeImage || route == routeAudio) {
			refused("captcha_ip")
		}
	}
}

// storageOp is the op of a storage error, for StorageFailed.
func storageOp(err error) string {
	var se *contract.StorageError
	if errors.As(err, &se) {
		return se.Op
	}
	return "unknown"
}

// unknownClient returns what the Service does for a client address that is not an IP:
// a warning the first time only (a misconfigured listener would otherwise log every
// request), and the observer's count every time.
func (s *Service) unknownClient(count func()) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			s.logger.Warn("ginsms: a client address is not an IP (a unix-socket listener, or a trusted proxy's header missing?): " +
				"such clients share one bucket of every per-IP quota; logged once")
		})
		if count != nil {
			count()
		}
	}
}
