package captcha

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	dcaptcha "github.com/dchest/captcha"
	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
	"github.com/ginsms/ginsms/middleware"
)

// paramUUID is the path parameter the handlers read: mount them on routes such as
// GET /image_codes/:uuid and GET /image_codes/:uuid/audio.
const paramUUID = "uuid"

// languages lists the voices of the audio route (?lang=), as dchest/captcha names them.
var languages = []string{"en", "zh", "ru", "ja", "pt"}

// Handler serves captcha images and their audio version. It is safe for concurrent use.
type Handler struct {
	store *Store
	resp  *contract.Responder
	onErr func(*gin.Context, error)
}

// NewHandler returns a Handler serving the captchas of store; of cfg it uses Messages,
// LegacyStatus, Language, Answer, Logger and ErrorHandler, for its JSON answers. Mount
// Image and Audio on routes with a :uuid parameter.
func NewHandler(store *Store, cfg middleware.Config) (*Handler, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: NewHandler needs a Store", ErrInvalidConfig)
	}
	resp, err := contract.NewResponder(contract.Options{Messages: cfg.Messages, LegacyStatus: cfg.LegacyStatus,
		Language: cfg.Language, Envelope: contract.Envelope(cfg.Answer)})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &Handler{store: store, resp: resp, onErr: resp.OnStorageError(cfg.ErrorHandler, cfg.Logger)}, nil
}

// Headers of every image and audio answer: a captcha must never be cached, by the
// browser or by a proxy, or a reload would show an answer that is no longer stored.
var (
	pngContentType = []string{"image/png"}
	wavContentType = []string{"audio/wav"}
	noStore        = []string{"no-store"}
)

// Image creates a new captcha for the :uuid the client chose and answers with its PNG,
// replacing any earlier answer for that uuid. 4001 if the uuid is blank, 4005 if it is
// not a canonical UUID (nothing is stored then), 4004 with Retry-After once the client
// address has used up Config.HourlyLimitPerIP, 5002 through the error handler if Redis
// fails. One Redis round trip: the quota and the answer are written together, since they
// live in different cluster slots; a refused request then deletes the answer it wrote
// (a second round trip), so no answer is left for a uuid whose image was refused.
func (h *Handler) Image(c *gin.Context) {
	id, ok := h.uuid(c)
	if !ok {
		return
	}
	answer, wait, err := h.store.create(c.Request.Context(), id, input.ClientNetwork(c))
	if h.refused(c, wait, err) {
		return
	}
	cfg := &h.store.cfg
	buf, err := renderPNG(pngEncoder, id, toDigits(answer), cfg.Width, cfg.Height)
	if err != nil { // encoding into memory does not fail; answer as for any server fault
		h.onErr(c, err)
		return
	}
	defer releaseBuffer(buf)
	hdr := c.Writer.Header()
	hdr["Content-Type"] = pngContentType
	hdr["Cache-Control"] = noStore
	hdr["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	c.Writer.WriteHeader(http.StatusOK)
	_, _ = c.Writer.Write(buf.Bytes()) // a failed write means the client went away
}

// Audio answers with the captcha of :uuid spoken (WAVE, 8 kHz) in the voice ?lang=
// (en, zh, ru, ja or pt; default en), for users who cannot read the image. It reads the
// answer without changing or consuming it, so the image stays valid, and counts against
// Config.HourlyLimitPerIP like an image: rendering audio costs more than an image.
// 4001 blank uuid, 4005 malformed uuid or unknown lang, 4004 with Retry-After past the
// quota, 4002 if there is no captcha for the uuid (or its answer, written by another
// program, is not 1 to 10 digits), 5002 if Redis fails. One round trip.
func (h *Handler) Audio(c *gin.Context) {
	id, ok := h.uuid(c)
	if !ok {
		return
	}
	lang, ok := language(c.Query("lang"))
	if !ok {
		h.resp.Abort(c, contract.CodeMalformedInput)
		return
	}
	answer, found, wait, err := h.store.peek(c.Request.Context(), id, input.ClientNetwork(c))
	if h.refused(c, wait, err) {
		return
	}
	digits := toDigits(answer)
	if !found || digits == nil {
		h.resp.Abort(c, contract.CodeCaptchaExpired)
		return
	}
	audio := dcaptcha.NewAudio(id, digits, lang)
	// EncodedLen leaves out the pad byte WriteTo adds after an odd-length body; the
	// header is 44 bytes, so the body is odd exactly when the whole is.
	n := audio.EncodedLen()
	n += n & 1
	hdr := c.Writer.Header()
	hdr["Content-Type"] = wavContentType
	hdr["Cache-Control"] = noStore
	hdr["Content-Length"] = []string{strconv.Itoa(n)}
	c.Writer.WriteHeader(http.StatusOK)
	_, _ = audio.WriteTo(c.Writer) // a failed write means the client went away
}

// refused answers a storage failure (the error handler) or a used-up quota (4004 with
// Retry-After), and reports whether it did.
func (h *Handler) refused(c *gin.Context, wait time.Duration, err error) bool {
	switch {
	case err != nil:
		h.onErr(c, err)
	case wait > 0:
		h.resp.AbortRetry(c, contract.CodeTooFrequent, wait)
	default:
		return false
	}
	return true
}

// uuid reads and validates :uuid, answering 4001 or 4005 itself when it is not valid.
func (h *Handler) uuid(c *gin.Context) (string, bool) {
	raw := c.Param(paramUUID)
	id, ok := input.UUID(raw)
	switch {
	case ok:
		return id, true
	case strings.TrimSpace(strings.TrimSuffix(raw, "/")) == "":
		h.resp.Abort(c, contract.CodeMissingInput)
	default:
		h.resp.Abort(c, contract.CodeMalformedInput)
	}
	return "", false
}

// language returns the dchest voice for the lang query value.
func language(lang string) (string, bool) {
	if lang == "" {
		return "en", true
	}
	for _, l := range languages {
		if lang == l {
			return l, true
		}
	}
	return "", false
}

// toDigits turns an ASCII-digit answer into the 0-9 values dchest draws; nil if the
// answer is not 1 to 10 digits.
func toDigits(answer string) []byte {
	if len(answer) < minLength || len(answer) > maxLength {
		return nil
	}
	digits := make([]byte, len(answer))
	for i := 0; i < len(answer); i++ {
		if answer[i] < '0' || answer[i] > '9' {
			return nil
		}
		digits[i] = answer[i] - '0'
	}
	return digits
}
