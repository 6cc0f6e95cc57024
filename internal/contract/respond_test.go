package contract_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/internal/contract"
)

func init() { gin.SetMode(gin.TestMode) }

type result struct {
	status int
	code   int
	errmsg string
}

func answer(t *testing.T, h gin.HandlerFunc) (result, *httptest.ResponseRecorder) {
	t.Helper()
	r := gin.New()
	r.GET("/", h)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	var b struct {
		Code   int    `json:"code"`
		ErrMsg string `json:"errormsg"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("not JSON: %q", w.Body)
	}
	return result{w.Code, b.Code, b.ErrMsg}, w
}

func newResponder(t *testing.T, opts contract.Options) *contract.Responder {
	t.Helper()
	r, err := contract.NewResponder(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResponder(t *testing.T) {
	if _, err := contract.NewResponder(contract.Options{Messages: map[int]string{4999: "x"}}); err == nil {
		t.Fatal("NewResponder accepted an unknown code")
	}
	def := newResponder(t, contract.Options{})
	custom := newResponder(t, contract.Options{Messages: map[int]string{4004: `Too "many" requests`}})
	legacy := newResponder(t, contract.Options{LegacyStatus: true})
	for _, tt := range []struct {
		r          *contract.Responder
		code       contract.Code
		wantStatus int
		wantText   string
	}{
		{def, contract.CodeOK, 200, "ok"},
		{def, contract.CodeTooFrequent, 429, "发送短信验证码过于频繁"},
		{def, contract.CodeSenderFailed, 502, "发送短信验证码错误"},
		{def, contract.CodeStorageDown, 503, "服务暂不可用"},
		{custom, contract.CodeTooFrequent, 429, `Too "many" requests`},
		{legacy, contract.CodeStorageDown, 200, "服务暂不可用"},
	} {
		got, w := answer(t, func(c *gin.Context) { tt.r.Write(c, tt.code) })
		if got.status != tt.wantStatus || got.code != int(tt.code) || got.errmsg != tt.wantText {
			t.Errorf("Write(%d) = %+v, want HTTP %d text %q", tt.code, got, tt.wantStatus, tt.wantText)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}
	}
	if len(contract.Codes()) != 12 {
		t.Fatalf("Codes() = %v, want the contract's 12", contract.Codes())
	}
}

func TestAbortRetry(t *testing.T) {
	got, w := answer(t, func(c *gin.Context) {
		newResponder(t, contract.Options{}).AbortRetry(c, contract.CodeSenderFailed, 1500*time.Millisecond)
	})
	if got.code != 5001 || got.status != 502 || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("AbortRetry(5001, 1.5s) = %+v, Retry-After %q", got, w.Header().Get("Retry-After"))
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tt := range []struct {
		wait time.Duration
		want int64
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {59 * time.Second, 59}} {
		if got := contract.RetryAfterSeconds(tt.wait); got != tt.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}

// The default storage answer logs through the logger it is given and never shows the
// error to the client.
func TestStorageFailed(t *testing.T) {
	var log strings.Builder
	logger := slog.New(slog.NewJSONHandler(&log, nil))
	secret := errors.New("dial tcp 10.0.0.9:6379: refused")
	got, w := answer(t, func(c *gin.Context) {
		newResponder(t, contract.Options{}).OnStorageError(nil, logger)(c, secret)
	})
	if got.code != 5002 || got.status != 503 || strings.Contains(w.Body.String(), "10.0.0.9") {
		t.Fatalf("answer %+v %s", got, w.Body)
	}
	if !strings.Contains(log.String(), `"msg":"ginsms: storage unavailable"`) || !strings.Contains(log.String(), "10.0.0.9") {
		t.Fatalf("not logged through the given logger: %q", log.String())
	}
}
