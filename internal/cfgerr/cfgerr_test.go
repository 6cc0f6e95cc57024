package cfgerr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ginsms/ginsms/internal/cfgerr"
)

func TestJoin(t *testing.T) {
	tests := []struct {
		name string
		errs []error
		want string // "" = nil
	}{
		{"none", []error{nil, nil}, ""},
		{"one", []error{cfgerr.New("sms.code_ttl", "must be at least 1s, got %v", 0)},
			"ginsms: invalid configuration: sms.code_ttl: must be at least 1s, got 0"},
		{"flattened, in order", []error{errors.Join(cfgerr.New("a", "x"), cfgerr.New("b", "y")), nil, cfgerr.New("c", "z")},
			"ginsms: invalid configuration:\n\ta: x\n\tb: y\n\tc: z"},
		{"wrapped list", []error{fmt.Errorf("ctx: %w", cfgerr.New("a", "x"))}, "ginsms: invalid configuration: a: x"},
		{"foreign error keeps its text", []error{errors.New("boom")}, "ginsms: invalid configuration: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cfgerr.Join(tt.errs...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Join = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want || !errors.Is(err, cfgerr.ErrInvalidConfig) {
				t.Fatalf("Join = %v, want %q wrapping ErrInvalidConfig", err, tt.want)
			}
		})
	}
}
