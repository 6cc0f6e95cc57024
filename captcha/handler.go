package captcha

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	dcaptcha "github.com/dchest/captcha"
	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

// ParamUUID is the path parameter the handlers read: mount them on routes such as
// GET /image_codes/:uuid and GET /image_codes/:uuid/audio.
const ParamUUID = "uuid"

// languages lists the voices of the audio route (?lang=), as dchest/captcha names them.
var languages = []string{"en", "zh", "ru", "ja", "pt"}

// ErrNoStore is returned by NewHandler without a Store.
var ErrNoStore = errors.New("captcha: handler: store is required")

// HandlerOptions configures a Handler.
type HandlerOptions struct {
	// Responder writes the JSON answers. Optional. Default: middleware.DefaultResponder().
	Responder *middleware.Responder
	// ErrorHandler answers when Redis fails. Optional. Default: middleware.DefaultErrorHandler.
	ErrorHandler middleware.ErrorHandler
}

// Handler serves captcha images and their audio version. It is safe for concurrent use.
type Handler struct {
	store *Store
	resp  *middleware.Responder
	onErr middleware.ErrorHandler
}

// NewHandler returns a Handler serving the captchas of store.
func NewHandler(store *Store, opts HandlerOptions) (*Handler, error) {
	if store == nil {
		return nil, ErrNoStore
	}
	h := &Handler{store: store, resp: opts.Responder, onErr: opts.ErrorHandler}
	if h.resp == nil {
		h.resp = middleware.DefaultResponder()
	}
	if h.onErr == nil {
		h.onErr = middleware.DefaultErrorHandler
	}
	return h, nil
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
// address has used up Config.HourlyLimitPerIP, 5002 through the ErrorHandler if Redis
// fails. One Redis round trip.
func (h *Handler) Image(c *gin.Context) {
	id, ok := h.uuid(c)
	if !ok {
		return
	}
	answer, err := h.store.New(c.Request.Context(), id, middleware.ClientIP(c))
	if err != nil {
		var limited *LimitError
		if errors.As(err, &limited) {
			h.resp.AbortRetry(c, limited.Wait)
			return
		}
		h.onErr(c, h.resp, err)
		return
	}
	cfg := &h.store.cfg
	buf, err := renderPNG(pngEncoder, id, toDigits(answer), cfg.Width, cfg.Height)
	if err != nil { // encoding into memory does not fail; answer as for any server fault
		h.onErr(c, h.resp, err)
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
// answer without changing or consuming it, so the image stays valid. 4001 blank uuid,
// 4005 malformed uuid or unknown lang (rather than a voice the user did not ask for), 4002 if there is no captcha for the uuid (or its
// answer, written by another program, is not 1 to 10 digits), 5002 if Redis fails.
func (h *Handler) Audio(c *gin.Context) {
	id, ok := h.uuid(c)
	if !ok {
		return
	}
	lang, ok := language(c.Query("lang"))
	if !ok {
		h.resp.Abort(c, middleware.CodeMalformedInput)
		return
	}
	answer, err := h.store.Answer(c.Request.Context(), id)
	if errors.Is(err, ErrNotFound) {
		h.resp.Abort(c, middleware.CodeCaptchaExpired)
		return
	}
	if err != nil {
		h.onErr(c, h.resp, err)
		return
	}
	digits := toDigits(answer)
	if digits == nil {
		h.resp.Abort(c, middleware.CodeCaptchaExpired)
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

// uuid reads and validates :uuid, answering 4001 or 4005 itself when it is not valid.
func (h *Handler) uuid(c *gin.Context) (string, bool) {
	raw := c.Param(ParamUUID)
	if strings.Trim(strings.TrimSpace(raw), "/") == "" {
		h.resp.Abort(c, middleware.CodeMissingInput)
		return "", false
	}
	id, ok := middleware.ValidUUID(raw)
	if !ok {
		h.resp.Abort(c, middleware.CodeMalformedInput)
		return "", false
	}
	return id, true
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
// answer is not 1 to MaxLength digits.
func toDigits(answer string) []byte {
	if len(answer) < MinLength || len(answer) > MaxLength {
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
