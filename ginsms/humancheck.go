package ginsms

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/middleware"
)

// routeAltcha is the observer's name of the ALTCHA challenge route.
const routeAltcha = "altcha"

// Outcomes of a human check, for Observer.HumanChecked.
const (
	checkPassed      = "passed"
	checkRefused     = "refused"
	checkExpired     = "expired"
	checkUnavailable = "unavailable"
	checkError       = "error"
)

// buildHumanCheck builds the human check of captcha.kind: for the image, nothing (the
// guard is CaptchaGuard on the captcha store); for the others, the HumanChecker the send
// route's guard asks. With guard, it is the one place that picks a kind's pieces.
func (s *Service) buildHumanCheck() error {
	switch s.kind {
	case captcha.KindImage:
		return nil
	case captcha.KindAltcha:
		a, err := captcha.NewAltcha(s.captchas)
		if err != nil {
			return err
		}
		s.altcha, s.checker = a, a
	default:
		v, err := captcha.NewSiteVerifier(s.captchas)
		if err != nil {
			return err
		}
		s.checker = v
	}
	if f := s.cfg.Observer.HumanChecked; f != nil {
		s.checker = observedChecker{HumanChecker: s.checker, kind: s.kind, report: f}
	}
	return nil
}

// captchaConfig is the captcha configuration with the provider's HTTP client timed for
// Observer.HumanCheckTook.
func (s *Service) captchaConfig() captcha.Config {
	cfg := s.cfg.Captcha
	if took := s.cfg.Observer.HumanCheckTook; took != nil {
		cfg.HTTPClient = timedClient(cfg.HTTPClient, func(d time.Duration) { took(s.kind, d) })
	}
	return cfg
}

// guard returns the send route's human-check step for captcha.kind.
func (s *Service) guard() (gin.HandlerFunc, error) {
	if s.checker != nil {
		return middleware.HumanCheck(s.checker, s.mw)
	}
	var v middleware.CaptchaVerifier = s.captchas
	if f := s.cfg.Observer.HumanChecked; f != nil {
		v = observedImage{CaptchaVerifier: v, report: f}
	}
	return middleware.CaptchaGuard(v, s.mw)
}

// HumanChecker returns the Service's human check when captcha.kind is not "image", for
// middleware.HumanCheck on a route of one's own (with ProofFields from
// Config.Captcha.ProofFields()); nil for the image, whose guard is CaptchaGuard on
// Captchas().
func (s *Service) HumanChecker() middleware.HumanChecker { return s.checker }

// observedChecker reports each check's outcome.
type observedChecker struct {
	middleware.HumanChecker
	kind   string
	report func(kind, outcome string)
}

func (o observedChecker) Check(ctx context.Context, proof, clientIP string) error {
	err := o.HumanChecker.Check(ctx, proof, clientIP)
	outcome := checkError
	switch {
	case err == nil:
		outcome = checkPassed
	case errors.Is(err, middleware.ErrProofRefused):
		outcome = checkRefused
	case errors.Is(err, middleware.ErrProofExpired):
		outcome = checkExpired
	case errors.Is(err, middleware.ErrCheckUnavailable):
		outcome = checkUnavailable
	}
	o.report(o.kind, outcome)
	return err
}

// observedImage reports each image captcha consumed.
type observedImage struct {
	middleware.CaptchaVerifier
	report func(kind, outcome string)
}

func (o observedImage) Consume(ctx context.Context, id, answer string) (found, matched bool, err error) {
	found, matched, err = o.CaptchaVerifier.Consume(ctx, id, answer)
	outcome := checkPassed
	switch {
	case err != nil:
		outcome = checkError
	case !found:
		outcome = checkExpired
	case !matched:
		outcome = checkRefused
	}
	o.report(captcha.KindImage, outcome)
	return found, matched, err
}

// timedClient is client (a default one if nil) whose every request reports its duration,
// from sending to the answer's headers or the failure.
func timedClient(client *http.Client, took func(time.Duration)) *http.Client {
	c := http.Client{}
	if client != nil {
		c = *client
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = timedTransport{base: base, took: took}
	return &c
}

type timedTransport struct {
	base http.RoundTripper
	took func(time.Duration)
}

func (t timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	t.took(time.Since(start))
	return resp, err
}
