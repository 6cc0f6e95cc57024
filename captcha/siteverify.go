package captcha

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ginsms/ginsms/middleware"
)

var _ middleware.HumanChecker = (*SiteVerifier)(nil)

// tokenLife is how long a spent provider token is remembered: the longest validity the
// providers document (Turnstile 300 s; reCAPTCHA and hCaptcha 120 s).
const tokenLife = 5 * time.Minute

// maxVerifyAnswer bounds the siteverify answer read; the documented ones are a few
// hundred bytes.
const maxVerifyAnswer = 64 << 10

// SiteVerifier is a provider kind ("turnstile", "hcaptcha" or "recaptcha"): it checks
// the token of the provider's widget with the provider's siteverify API. It is safe for
// concurrent use.
type SiteVerifier struct {
	store  *Store
	kind   string
	cfg    ProviderConfig
	url    string
	client *http.Client
}

// NewSiteVerifier returns the provider kind of store's configuration (Config.Kind and
// its section). It does not talk to Redis nor to the provider.
func NewSiteVerifier(store *Store) (*SiteVerifier, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: NewSiteVerifier needs a Store", ErrInvalidConfig)
	}
	cfg, ok := store.cfg.provider()
	if !ok {
		return nil, fmt.Errorf("%w: captcha.kind: %q is not a provider kind", ErrInvalidConfig, store.cfg.kind())
	}
	v := &SiteVerifier{store: store, kind: store.cfg.kind(), cfg: cfg, url: cfg.VerifyURL, client: store.cfg.HTTPClient}
	if v.url == "" {
		v.url = defaultVerifyURL[v.kind]
	}
	if v.client == nil {
		v.client = &http.Client{}
	}
	return v, nil
}

// siteverifyAnswer is the JSON the three providers document (each uses a subset).
type siteverifyAnswer struct {
	Success    *bool    `json:"success"`
	ErrorCodes []string `json:"error-codes"`
	Hostname   string   `json:"hostname"`
	Action     string   `json:"action"`
	Score      *float64 `json:"score"`
}

// Check implements middleware.HumanChecker. The token is spent first, in Redis (SET NX
// of its SHA-256, one round trip, remembered for 5 minutes): a replay is refused
// (ErrProofRefused) without a call to the provider, even if the provider would accept the
// token again. Then the provider is asked, within ProviderConfig.Timeout: a "no", a
// hostname or action other than the configured one, or a score under MinScore is
// ErrProofRefused; no answer, a status other than 200, an answer that is not the
// documented JSON, or an error code that says the site's own request is wrong (secret,
// internal error) is ErrCheckUnavailable: fail closed.
func (v *SiteVerifier) Check(ctx context.Context, proof, clientIP string) error {
	sum := sha256.Sum256([]byte(proof))
	fresh, err := v.store.spend(ctx, hex.EncodeToString(sum[:]), tokenLife)
	if err != nil {
		return err
	}
	if !fresh {
		return fmt.Errorf("%w: %s token already spent", middleware.ErrProofRefused, v.kind)
	}
	answer, err := v.ask(ctx, proof, clientIP)
	if err != nil {
		return fmt.Errorf("%w: %s siteverify: %w", middleware.ErrCheckUnavailable, v.kind, err)
	}
	return v.judge(answer)
}

// ask posts the token to the siteverify API and decodes its answer.
func (v *SiteVerifier) ask(ctx context.Context, token, clientIP string) (siteverifyAnswer, error) {
	form := url.Values{"secret": {v.cfg.Secret}, "response": {token}}
	if clientIP != "" {
		form.Set("remoteip", clientIP)
	}
	switch v.kind {
	case KindHCaptcha:
		if v.cfg.SiteKey != "" {
			form.Set("sitekey", v.cfg.SiteKey)
		}
	case KindTurnstile:
		form.Set("idempotency_key", newUUID())
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.url, strings.NewReader(form.Encode()))
	if err != nil {
		return siteverifyAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := v.client.Do(req)
	if err != nil {
		return siteverifyAnswer{}, redact(err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxVerifyAnswer)) // the connection can serve the next call
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return siteverifyAnswer{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var a siteverifyAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxVerifyAnswer)).Decode(&a); err != nil || a.Success == nil {
		return siteverifyAnswer{}, fmt.Errorf("answer is not the documented JSON")
	}
	return a, nil
}

// siteFaults are error codes that blame the site's request, not the user's token: no
// token can pass while they last, so the check is unavailable rather than refused.
var siteFaults = map[string]bool{
	"missing-input-secret": true, "invalid-input-secret": true, "internal-error": true,
	"sitekey-secret-mismatch": true, "invalid-keys": true, "bad-request": true,
	"missing-remoteip": true, "invalid-remoteip": true, "not-using-dummy-passcode": true,
}

// judge turns a decoded answer into the check's outcome.
func (v *SiteVerifier) judge(a siteverifyAnswer) error {
	if !*a.Success {
		for _, code := range a.ErrorCodes {
			if siteFaults[code] {
				return fmt.Errorf("%w: %s siteverify: %s", middleware.ErrCheckUnavailable, v.kind, code)
			}
		}
		return fmt.Errorf("%w: %s says no (%s)", middleware.ErrProofRefused, v.kind, strings.Join(a.ErrorCodes, ","))
	}
	switch {
	case v.cfg.Hostname != "" && !strings.EqualFold(a.Hostname, v.cfg.Hostname):
		return fmt.Errorf("%w: %s token made on another hostname", middleware.ErrProofRefused, v.kind)
	case v.cfg.Action != "" && a.Action != v.cfg.Action:
		return fmt.Errorf("%w: %s token made for another action", middleware.ErrProofRefused, v.kind)
	case v.cfg.MinScore > 0 && (a.Score == nil || *a.Score < v.cfg.MinScore):
		return fmt.Errorf("%w: %s score under min_score", middleware.ErrProofRefused, v.kind)
	}
	return nil
}

// redact keeps what a transport error says without the request it carried (url.Error
// names the method and URL; the token and secret travel in the body, never in either).
func redact(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// newUUID is a random (version 4) UUID, Turnstile's idempotency_key.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
