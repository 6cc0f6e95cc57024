package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/middleware"
)

// fakeChecker answers err and records the proofs it was given.
type fakeChecker struct {
	err    error
	proofs []string
}

func (f *fakeChecker) Check(_ context.Context, proof, _ string) error {
	f.proofs = append(f.proofs, proof)
	return f.err
}

func TestHumanCheck(t *testing.T) {
	storage := errors.New("redis down")
	tests := []struct {
		name    string
		target  string
		err     error
		code    int
		status  int
		reached bool
		checked bool
	}{
		{"passed", "/sms/13800138000?altcha=p", nil, 0, 200, true, true},
		{"refused", "/sms/13800138000?altcha=p", fmt.Errorf("%w: x", middleware.ErrProofRefused), 4003, 400, false, true},
		{"expired", "/sms/13800138000?altcha=p", fmt.Errorf("%w: x", middleware.ErrProofExpired), 4002, 400, false, true},
		{"unavailable: fail closed", "/sms/13800138000?altcha=p", fmt.Errorf("%w: x", middleware.ErrCheckUnavailable), 5003, 503, false, true},
		{"storage", "/sms/13800138000?altcha=p", storage, 5002, 503, false, true},
		{"missing proof", "/sms/13800138000", nil, 4001, 400, false, false},
		{"uuid and imgcode are no proof", "/sms/13800138000?imgcode=1234&uuid=1b4e28ba-2fa1-41d2-883f-0016d3cca427", nil, 4001, 400, false, false},
	}
	for _, tt := range tests {
		for _, validated := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/after ValidateSend=%v", tt.name, validated), func(t *testing.T) {
				cfg := middleware.DefaultConfig()
				cfg.ProofFields = []string{"altcha"}
				checker := &fakeChecker{err: tt.err}
				guard, err := middleware.HumanCheck(checker, cfg)
				if err != nil {
					t.Fatal(err)
				}
				chain := []gin.HandlerFunc{guard}
				if validated {
					validate, _ := middleware.ValidateSend(cfg)
					chain = append([]gin.HandlerFunc{validate}, chain...)
				}
				reached := false
				r := gin.New()
				r.GET("/sms/:phone", append(chain, func(c *gin.Context) { reached = true; c.Status(200) })...)
				w := performRequest(r, "GET", tt.target, "", "")
				if reached != tt.reached || w.Code != tt.status || (len(checker.proofs) == 1) != tt.checked {
					t.Fatalf("HTTP %d %s, reached %v, checked %v; want %d, reached %v, checked %v",
						w.Code, w.Body, reached, checker.proofs, tt.status, tt.reached, tt.checked)
				}
				if tt.code != 0 && !containsCode(w.Body.String(), tt.code) {
					t.Fatalf("body %s, want code %d", w.Body, tt.code)
				}
			})
		}
	}
	if _, err := middleware.HumanCheck(nil, middleware.Config{ProofFields: []string{"altcha"}}); !errors.Is(err, middleware.ErrInvalidConfig) {
		t.Errorf("nil checker: %v", err)
	}
	if _, err := middleware.HumanCheck(&fakeChecker{}, middleware.DefaultConfig()); !errors.Is(err, middleware.ErrInvalidConfig) {
		t.Errorf("no ProofFields: %v", err)
	}
}

func containsCode(body string, code int) bool {
	return strings.HasPrefix(body, fmt.Sprintf(`{"code":%d,`, code))
}
