package captcha

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

var _ middleware.HumanChecker = (*Altcha)(nil)

// altchaAlgorithm is the only hash the challenges use.
const altchaAlgorithm = "SHA-256"

// Altcha is the "altcha" kind: proof-of-work challenges in the JSON of the ALTCHA widget
// (npm altcha; its v1 challenge format, which widget 3.x still solves), and the check
// of the widget's payload. It is safe for concurrent use.
//
// A challenge is stateless: salt = 24 random hex digits + "?expires=<unix seconds>&",
// challenge = hex SHA-256(salt + decimal secret number), signature = hex HMAC-SHA256 of
// challenge under AltchaConfig.HMACKey. The widget finds the number by trying them all.
// The salt must end with "&" and hold exactly one expiry: otherwise digits could move
// between the salt and the number without changing the hash, and an old challenge would
// come back with a later expiry (CVE-2025-68113). Handing out a challenge touches no
// Redis; checking a payload spends its challenge there, once.
type Altcha struct {
	store *Store
	key   []byte
	max   *big.Int
	now   func() time.Time
}

// NewAltcha returns the "altcha" kind of store's configuration (Config.Altcha, and
// Config.TTL for how long a challenge lives). It does not talk to Redis.
func NewAltcha(store *Store) (*Altcha, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: NewAltcha needs a Store", ErrInvalidConfig)
	}
	cfg := store.cfg
	cfg.Kind = KindAltcha // validate the altcha section whatever the kind
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Altcha{store: store, key: []byte(cfg.Altcha.HMACKey),
		max: big.NewInt(int64(cfg.Altcha.MaxNumber) + 1), now: time.Now}, nil
}

// altchaChallenge is what the widget fetches.
type altchaChallenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int    `json:"maxNumber"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// altchaPayload is what the widget sends back, base64 of this JSON.
type altchaPayload struct {
	Algorithm string      `json:"algorithm"`
	Challenge string      `json:"challenge"`
	Number    json.Number `json:"number"`
	Salt      string      `json:"salt"`
	Signature string      `json:"signature"`
}

// newChallenge draws a challenge valid until now + Config.TTL.
func (a *Altcha) newChallenge() (altchaChallenge, error) {
	n, err := rand.Int(rand.Reader, a.max)
	if err != nil {
		return altchaChallenge{}, err
	}
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return altchaChallenge{}, err
	}
	expires := a.now().Add(a.store.cfg.TTL).Unix()
	salt := hex.EncodeToString(nonce[:]) + "?expires=" + strconv.FormatInt(expires, 10) + "&"
	challenge := altchaHash(salt, n.String())
	return altchaChallenge{Algorithm: altchaAlgorithm, Challenge: challenge, MaxNumber: int(a.max.Int64() - 1),
		Salt: salt, Signature: a.sign(challenge)}, nil
}

func altchaHash(salt, number string) string {
	sum := sha256.Sum256([]byte(salt + number))
	return hex.EncodeToString(sum[:])
}

func (a *Altcha) sign(challenge string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(challenge))
	return hex.EncodeToString(m.Sum(nil))
}

// Challenge answers a new challenge in the widget's JSON, never cached. Mount it on
// GET /altcha_challenges and point the widget's challenge attribute at it.
func (a *Altcha) Challenge(c *gin.Context) {
	ch, err := a.newChallenge()
	if err != nil { // crypto/rand does not fail on a supported system
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, ch)
}

// Check implements middleware.HumanChecker for the widget's payload: the signature, the
// salt's form and the hash are checked without Redis (a forged or malformed payload is
// refused, ErrProofRefused), then the expiry (ErrProofExpired), then the challenge is
// spent in Redis until it expires (SET NX, one round trip): a second use is refused.
func (a *Altcha) Check(ctx context.Context, proof, _ string) error {
	raw, err := base64.StdEncoding.DecodeString(proof)
	if err != nil {
		return fmt.Errorf("%w: altcha payload is not base64", middleware.ErrProofRefused)
	}
	var p altchaPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("%w: altcha payload is not JSON", middleware.ErrProofRefused)
	}
	expires, ok := altchaExpiry(p.Salt)
	number, err := strconv.ParseUint(p.Number.String(), 10, 53)
	sig, sigErr := hex.DecodeString(p.Signature)
	if !ok || err != nil || sigErr != nil || p.Algorithm != altchaAlgorithm || !isHex64(p.Challenge) {
		return fmt.Errorf("%w: altcha payload is malformed", middleware.ErrProofRefused)
	}
	want, _ := hex.DecodeString(a.sign(p.Challenge))
	if !hmac.Equal(sig, want) {
		return fmt.Errorf("%w: altcha signature", middleware.ErrProofRefused)
	}
	got := altchaHash(p.Salt, strconv.FormatUint(number, 10))
	if subtle.ConstantTimeCompare([]byte(got), []byte(p.Challenge)) != 1 {
		return fmt.Errorf("%w: altcha number", middleware.ErrProofRefused)
	}
	left := time.Unix(expires, 0).Sub(a.now())
	if left <= 0 {
		return fmt.Errorf("%w: altcha challenge", middleware.ErrProofExpired)
	}
	fresh, err := a.store.spend(ctx, p.Challenge, left)
	if err != nil {
		return err
	}
	if !fresh {
		return fmt.Errorf("%w: altcha challenge already spent", middleware.ErrProofRefused)
	}
	return nil
}

// altchaExpiry parses a salt of the form newChallenge makes: 24 hex digits, then
// "?expires=" and 1 to 12 decimal digits, then "&" last.
func altchaExpiry(salt string) (int64, bool) {
	nonce, rest, ok := strings.Cut(salt, "?expires=")
	if !ok || len(nonce) != 24 || !isHex(nonce) || !strings.HasSuffix(rest, "&") {
		return 0, false
	}
	digits := rest[:len(rest)-1]
	if len(digits) < 1 || len(digits) > 12 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil
}

func isHex64(s string) bool { return len(s) == 64 && isHex(s) }

// isHex reports whether s is lower-case hexadecimal, as the challenges are written.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}
