package keys_test

import (
	"errors"
	"testing"

	"github.com/ginsms/ginsms/internal/keys"
)

func TestParse(t *testing.T) {
	tests := []struct {
		tmpl, id, want string
		err            bool
	}{
		{tmpl: "sms_%s", id: "13800138000", want: "sms_13800138000"},
		{tmpl: "sms_{%s}", id: "13800138000", want: "sms_{13800138000}"},
		{tmpl: "%s", id: "x", want: "x"},
		{tmpl: "sms_", err: true},
		{tmpl: "sms_%s_%s", err: true},
		{tmpl: "sms_%d", err: true},
		{tmpl: "%%sms_%s", err: true},
		{tmpl: "", err: true},
	}
	for _, tt := range tests {
		got, err := keys.Parse(tt.tmpl)
		if tt.err {
			if !errors.Is(err, keys.ErrTemplate) {
				t.Errorf("Parse(%q) error = %v, want ErrTemplate", tt.tmpl, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.tmpl, err)
		}
		if k := got.Key(tt.id); k != tt.want {
			t.Errorf("Parse(%q).Key(%q) = %q, want %q", tt.tmpl, tt.id, k, tt.want)
		}
		if got.String() != tt.tmpl {
			t.Errorf("String() = %q, want %q", got.String(), tt.tmpl)
		}
	}
}

func TestWithKeepsHashTag(t *testing.T) {
	tm := keys.MustParse("sms_{%s}").With(":tries")
	if got, want := tm.Key("13800138000"), "sms_{13800138000}:tries"; got != want {
		t.Fatalf("Key = %q, want %q", got, want)
	}
}
