package ginsms_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/internal/redistest"
	"github.com/ginsms/ginsms/middleware"
)

// internationalConfig is an application's settings that the pieces must carry: an E.164
// pattern (under which a mainland number is malformed), its own texts, HTTP 200 for all.
func internationalConfig(ev *events) func(*ginsms.Config) {
	return func(c *ginsms.Config) {
		c.SMS.PhonePattern = `^\+[1-9]\d{6,14}$`
		c.SMS.LegacyStatus = true
		c.Messages = map[int]string{4005: "Check the number.", 4002: "The image code has expired."}
		c.Observer = ev.observer()
	}
}

// A route mounted from the Service's pieces answers exactly as Register's route does,
// with every setting of the Service; a broken implementation that builds the pieces from
// defaults answers the mainland number with 200 (or a Chinese 4005 with HTTP 400).
func TestPiecesBehaveAsRegister(t *testing.T) {
	ev := &events{}
	e := newEnv(t, internationalConfig(ev))
	e.router.POST("/own/otp/:phone", e.service.SendRoute()...)
	e.router.POST("/own/guarded/:phone", append(e.service.SendGuards(), func(c *gin.Context) {
		err := e.service.SendCode(c.Request.Context(), middleware.Phone(c), c.ClientIP())
		c.JSON(http.StatusOK, gin.H{"code": map[bool]int{true: 200, false: 500}[err == nil], "errormsg": "own"})
	})...)
	e.router.GET("/own/captcha/:uuid", e.service.ImageRoute()...)

	tests := []struct {
		name          string
		phone, answer string // answer "" = no captcha seeded
		wantCode      int
		wantMsg       string
	}{
		{"a mainland number is malformed under E.164", "13800138009", "1234", 4005, "Check the number."},
		{"no captcha", "+447700900123", "", 4002, "The image code has expired."},
		{"sent", "+447700900124", "1234", 200, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for j, path := range []string{"/sms_codes/", "/own/otp/", "/own/guarded/"} {
				u := uuidN(100*i + j + 1)
				if tt.answer != "" {
					e.seedCaptcha(u, tt.answer)
				}
				phone := tt.phone
				if tt.wantCode == 200 {
					phone += string(rune('0' + j)) // one phone per route: the interval holds per phone
				}
				got := performRequest(e.router, "POST", path+phone+"?imgcode=1234&uuid="+u, "", "")
				if got.Status != http.StatusOK || got.Code != tt.wantCode {
					t.Errorf("%s: HTTP %d, code %d; want HTTP 200 (legacy_status), code %d", path, got.Status, got.Code, tt.wantCode)
				}
				if tt.wantMsg != "" && got.ErrMsg != tt.wantMsg {
					t.Errorf("%s: errormsg %q, want %q", path, got.ErrMsg, tt.wantMsg)
				}
				if _, left := e.get("img_" + u); tt.answer != "" && tt.wantCode == 4005 && !left {
					t.Errorf("%s: a malformed phone consumed the captcha", path)
				}
			}
		})
	}
	if got := performRequest(e.router, "GET", "/own/captcha/not-a-uuid", "", ""); got.Status != 200 || got.Code != 4005 || got.ErrMsg != "Check the number." {
		t.Errorf("own captcha route: %+v, want legacy 4005 with the configured text", got)
	}
	// The observer hears the routes of one's own as the send route; the final handler
	// of one's own answers for itself, so its route is not counted.
	if got := strings.Count(ev.sorted(), "answered send "); got != 6 {
		t.Errorf("observer heard %d send answers, want 6 (3 on Register's route, 3 on SendRoute's):\n%s", got, ev.sorted())
	}
}

// Storage failures are counted on a route of one's own and from Go, as on Register's.
func TestPiecesCountStorageFailures(t *testing.T) {
	ev := &events{}
	cfg := ginsms.DefaultConfig()
	internationalConfig(ev)(&cfg)
	cfg.Logger = slog.New(slog.DiscardHandler)
	svc, err := ginsms.New(redistest.DeadClient(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	router := gin.New()
	router.POST("/own/otp/:phone", svc.SendRoute()...)
	got := performRequest(router, "POST", "/own/otp/+447700900123?imgcode=1234&uuid="+uuidN(1), "", "")
	if got.Code != 5002 {
		t.Fatalf("send on a dead Redis: %+v, want 5002", got)
	}
	ctx := context.Background()
	if err := svc.SendCode(ctx, "+447700900123", "192.0.2.1"); !errors.Is(err, ginsms.ErrStorage) {
		t.Fatalf("SendCode on a dead Redis = %v", err)
	}
	if err := svc.Verify(ctx, "+447700900123", "123456", "192.0.2.1"); !errors.Is(err, ginsms.ErrStorage) {
		t.Fatalf("Verify on a dead Redis = %v", err)
	}
	want := "answered send 5002\nstorage send_wait\nstorage store\nstorage verify"
	if got := ev.sorted(); got != want {
		t.Errorf("observer heard:\n%s\nwant:\n%s", got, want)
	}
}
