package captcha_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/captcha"
	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/middleware"
)

func init() { gin.SetMode(gin.TestMode) }

// testRouter mounts the handlers as ginsms does, the trailing slash of the original
// client included, plus /raw/*uuid, which hands the handler a value with a leading "/".
func testRouter(t *testing.T, s *captcha.Store) *gin.Engine {
	t.Helper()
	h, err := captcha.NewHandler(s, middleware.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.GET("/image_codes/:uuid", h.Image)
	r.GET("/image_codes/:uuid/", h.Image)
	r.GET("/image_codes/:uuid/audio", h.Audio)
	r.GET("/raw/*uuid", h.Image)
	return r
}

func performRequest(r http.Handler, method, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// contractStatus is the HTTP status the contract (README "Responses") gives each code,
// stated here rather than read from the code under test.
var contractStatus = map[contract.Code]int{
	contract.CodeOK: 200, contract.CodeMissingInput: 400, contract.CodeCaptchaExpired: 400,
	contract.CodeCaptchaMismatch: 400, contract.CodeTooFrequent: 429, contract.CodeMalformedInput: 400,
	contract.CodeStorageDown: 503,
}

// wantCode checks a contract JSON answer.
func wantCode(t *testing.T, w *httptest.ResponseRecorder, code contract.Code) {
	t.Helper()
	var body struct {
		Code     int    `json:"code"`
		ErrorMsg string `json:"errormsg"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	if body.Code != int(code) || w.Code != contractStatus[code] {
		t.Fatalf("answer %d (HTTP %d), want %d (HTTP %d)", body.Code, w.Code, code, contractStatus[code])
	}
}

// keysWith lists the keys starting with prefix (SCAN, never KEYS on a shared server).
func keysWith(t *testing.T, rdb *redis.Client, prefix string) []string {
	t.Helper()
	var out []string
	iter := rdb.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImage(t *testing.T) {
	upper := strings.ToUpper(testID)
	tests := []struct {
		name, path string
		code       contract.Code // 0: a PNG
	}{
		{name: "canonical", path: "/image_codes/" + testID},
		{name: "upper case stored lower", path: "/image_codes/" + upper},
		{name: "trailing slash", path: "/image_codes/" + testID + "/"},
		{name: "slashes around the value", path: "/raw/" + testID + "/", code: contract.CodeMalformedInput},
		{name: "blanks around the value", path: "/image_codes/%20" + testID + "%20", code: contract.CodeMalformedInput},
		{name: "malformed", path: "/image_codes/not-a-uuid", code: contract.CodeMalformedInput},
		{name: "no dashes", path: "/image_codes/" + strings.ReplaceAll(testID, "-", ""), code: contract.CodeMalformedInput},
		{name: "too long", path: "/image_codes/" + testID + "0", code: contract.CodeMalformedInput},
		{name: "blank", path: "/image_codes/%20", code: contract.CodeMissingInput},
		{name: "only a slash", path: "/raw/", code: contract.CodeMissingInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rdb, prefix := testStore(t, nil)
			w := performRequest(testRouter(t, s), http.MethodGet, tt.path)
			if tt.code != 0 {
				wantCode(t, w, tt.code)
				if ks := keysWith(t, rdb, prefix); len(ks) != 0 {
					t.Errorf("bad input created keys %v", ks)
				}
				return
			}
			if w.Code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", w.Code, w.Body.String())
			}
			hdr := w.Header()
			if hdr.Get("Content-Type") != "image/png" || hdr.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v, want image/png and no-store", hdr)
			}
			if cl := hdr.Get("Content-Length"); cl != strconv.Itoa(w.Body.Len()) {
				t.Errorf("Content-Length %s, body %d bytes", cl, w.Body.Len())
			}
			img, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() != 240 || b.Dy() != 80 {
				t.Errorf("image %v, want 240x80", b)
			}
			answer := rdb.Get(context.Background(), prefix+"img_"+testID).Val()
			if len(answer) != 4 || !isDigits(answer) {
				t.Errorf("stored answer %q, want 4 digits", answer)
			}
		})
	}
}

func TestImageRateLimited(t *testing.T) {
	s, rdb, prefix := testStore(t, func(c *captcha.Config) { c.HourlyLimitPerIP = 2 })
	r := testRouter(t, s)
	for i := range 2 {
		if w := performRequest(r, http.MethodGet, "/image_codes/"+testID); w.Code != http.StatusOK {
			t.Fatalf("image %d: HTTP %d", i+1, w.Code)
		}
	}
	w := performRequest(r, http.MethodGet, "/image_codes/"+testID)
	wantCode(t, w, contract.CodeTooFrequent)
	retry, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || retry < 1 || retry > 3600 {
		t.Errorf("Retry-After %q, want 1 to 3600", w.Header().Get("Retry-After"))
	}
	// The refused request was counted in the same round trip as its answer was written;
	// the answer was taken back, so no answer is left that no image shows.
	if n := rdb.Exists(context.Background(), prefix+"img_"+testID).Val(); n != 0 {
		t.Errorf("a limited request left an answer")
	}
	// The audio route counts against the same quota: a client cannot render audio past it.
	w = performRequest(r, http.MethodGet, "/image_codes/"+testID+"/audio")
	wantCode(t, w, contract.CodeTooFrequent)
	if w.Header().Get("Retry-After") == "" {
		t.Error("audio refusal without Retry-After")
	}
}

func TestAudio(t *testing.T) {
	tests := []struct {
		name, lang string
		code       contract.Code
	}{
		{name: "default voice", lang: ""},
		{name: "en", lang: "en"},
		{name: "zh", lang: "zh"},
		{name: "ru", lang: "ru"},
		{name: "ja", lang: "ja"},
		{name: "pt", lang: "pt"},
		{name: "unknown voice", lang: "xx", code: contract.CodeMalformedInput},
		{name: "upper case voice", lang: "EN", code: contract.CodeMalformedInput},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rdb, prefix := testStore(t, nil)
			r := testRouter(t, s)
			if w := performRequest(r, http.MethodGet, "/image_codes/"+testID); w.Code != http.StatusOK {
				t.Fatalf("image: HTTP %d", w.Code)
			}
			key := prefix + "img_" + testID
			answer, pttl := rdb.Get(ctx, key).Val(), rdb.PTTL(ctx, key).Val()
			w := performRequest(r, http.MethodGet, "/image_codes/"+testID+"/audio?lang="+tt.lang)
			if tt.code != 0 {
				wantCode(t, w, tt.code)
			} else {
				wantWAV(t, w)
			}
			if got := rdb.Get(ctx, key).Val(); got != answer {
				t.Errorf("answer changed from %q to %q", answer, got)
			}
			// Not renewed (a SET would raise it), not dropped; rendering under -race on a
			// loaded machine can take over a second, so only a gross drop counts.
			if after := rdb.PTTL(ctx, key).Val(); after > pttl || after < pttl-10*time.Second {
				t.Errorf("PTTL went from %v to %v: audio must leave the key alone", pttl, after)
			}
		})
	}
}

// TestAudioLength checks Content-Length against the body, for bodies of both parities:
// dchest pads an odd body with one byte that its EncodedLen does not count.
func TestAudioLength(t *testing.T) {
	s, rdb, prefix := testStore(t, nil)
	r := testRouter(t, s)
	seen := map[bool]bool{} // body length odd
	for i := 0; i < 40 && len(seen) < 2; i++ {
		id := "00000000-0000-4000-8000-0000000000" + strconv.Itoa(10+i)
		n := 1 + i%10
		rdb.Set(context.Background(), prefix+"img_"+id, "9876543210"[:n], time.Minute)
		w := performRequest(r, http.MethodGet, "/image_codes/"+id+"/audio")
		wantWAV(t, w)
		// The chunk size at byte 40 is the unpadded body length.
		seen[binary.LittleEndian.Uint32(w.Body.Bytes()[40:44])%2 == 1] = true
	}
	if len(seen) < 2 {
		t.Fatalf("40 answers gave bodies of one parity only: %v", seen)
	}
}

func wantWAV(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body.String())
	}
	hdr, body := w.Header(), w.Body.Bytes()
	if hdr.Get("Content-Type") != "audio/wav" || hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v, want audio/wav and no-store", hdr)
	}
	if cl := hdr.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %s, body %d bytes", cl, len(body))
	}
	if len(body) < 44 || string(body[:4]) != "RIFF" || string(body[8:12]) != "WAVE" {
		t.Errorf("body does not start with a RIFF/WAVE header")
	}
}

func TestAudioNotFound(t *testing.T) {
	tests := []struct {
		name, stored string
	}{
		{name: "unknown uuid"},
		{name: "answer of another program, not digits", stored: "abcd"},
		{name: "answer too long to speak", stored: "12345678901"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rdb, prefix := testStore(t, nil)
			if tt.stored != "" {
				rdb.Set(context.Background(), prefix+"img_"+testID, tt.stored, time.Minute)
			}
			wantCode(t, performRequest(testRouter(t, s), http.MethodGet, "/image_codes/"+testID+"/audio"),
				contract.CodeCaptchaExpired)
		})
	}
}

func TestAudioMalformedUUID(t *testing.T) {
	s, rdb, prefix := testStore(t, nil)
	counter := new(redistest.CommandCounter)
	rdb.AddHook(counter)
	wantCode(t, performRequest(testRouter(t, s), http.MethodGet, "/image_codes/nope/audio"), contract.CodeMalformedInput)
	if trips, _ := counter.Counts(); trips != 0 {
		t.Errorf("a malformed uuid cost %d round trips, want 0", trips)
	}
	if ks := keysWith(t, rdb, prefix); len(ks) != 0 {
		t.Errorf("keys created: %v", ks)
	}
}

func TestHandlersRedisDown(t *testing.T) {
	s, err := captcha.NewStore(deadClient(t), captcha.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := testRouter(t, s)
	for _, path := range []string{"/image_codes/" + testID, "/image_codes/" + testID + "/audio"} {
		t.Run(path, func(t *testing.T) {
			wantCode(t, performRequest(r, http.MethodGet, path), contract.CodeStorageDown)
		})
	}
}

// TestHandlerRoundTrips proves the image route costs one Redis round trip (the quota and
// the answer) and the send flow's consumption one more.
func TestHandlerRoundTrips(t *testing.T) {
	s, rdb, _ := testStore(t, nil)
	r := testRouter(t, s)
	// Load the script first: on a fresh server EVALSHA answers NOSCRIPT once.
	performRequest(r, http.MethodGet, "/image_codes/"+testID2)
	counter := new(redistest.CommandCounter)
	rdb.AddHook(counter)
	if w := performRequest(r, http.MethodGet, "/image_codes/"+testID); w.Code != http.StatusOK {
		t.Fatalf("HTTP %d", w.Code)
	}
	if trips, cmds := counter.Counts(); trips != 1 || cmds != 2 {
		t.Errorf("image: %d round trips, %d commands; want 1, 2", trips, cmds)
	}
	counter.Reset()
	if _, _, err := s.Consume(context.Background(), testID, "0000"); err != nil {
		t.Fatal(err)
	}
	if trips, _ := counter.Counts(); trips != 1 {
		t.Errorf("consume: %d round trips, want 1", trips)
	}
}

func TestNewHandlerNeedsStore(t *testing.T) {
	if _, err := captcha.NewHandler(nil, middleware.DefaultConfig()); !errors.Is(err, captcha.ErrInvalidConfig) {
		t.Fatalf("NewHandler(nil) = %v, want ErrNoStore", err)
	}
}

// FuzzImageUUID sends arbitrary uuid values: whatever is not a valid UUID answers 4001 or
// 4005 without a single Redis command (the client points nowhere), and nothing panics.
func FuzzImageUUID(f *testing.F) {
	for _, seed := range []string{testID, strings.ToUpper(testID) + "/", " ", "", "../../etc", testID + "x", "%s", "\x00"} {
		f.Add(seed)
	}
	rdb := redis.NewClient(&redis.Options{Addr: redistest.DeadAddr, MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	f.Cleanup(func() { _ = rdb.Close() })
	counter := new(redistest.CommandCounter)
	rdb.AddHook(counter)
	s, err := captcha.NewStore(rdb, captcha.DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	h, err := captcha.NewHandler(s, middleware.DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, ok := input.UUID(raw); ok {
			return // a valid one goes to Redis; the other tests cover it
		}
		for _, handle := range []gin.HandlerFunc{h.Image, h.Audio} {
			counter.Reset()
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
			c.Params = gin.Params{{Key: "uuid", Value: raw}}
			handle(c)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("uuid %q: HTTP %d, want 400", raw, w.Code)
			}
			if trips, _ := counter.Counts(); trips != 0 {
				t.Fatalf("uuid %q cost %d Redis round trips", raw, trips)
			}
		}
	})
}
