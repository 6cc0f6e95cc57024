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
	}
}

func TestWithKeepsHashTag(t *testing.T) {
	tm := keys.MustParse("sms_{%s}").With(":tries")
	if got, want := tm.Key("13800138000"), "sms_{13800138000}:tries"; got != want {
		t.Fatalf("Key = %q, want %q", got, want)
	}
}

func TestSameSlot(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"sms_%s", "is_send_%s", false}, // the defaults: each key hashed whole
		{"sms_{%s}", "is_send_{%s}", true},
		{"{%s}:sms", "{%s}:is_send", true},
		{"sms_{%s}", "is_send_{x%s}", false},       // different tags around the id
		{"{app}:sms_%s", "{app}:is_send_%s", true}, // one constant tag: one slot for everything
		{"{app}:sms_%s", "{other}:is_send_%s", false},
		{"sms_%s{app}", "is_send_%s{app}", true},
		{"sms_{}%s", "is_send_{}%s", false}, // an empty tag does not count
		{"sms_{%s", "is_send_{%s", false},   // never closed
		{"sms_{%s}", "sms_{%s}", true},
	}
	for _, tt := range tests {
		got := keys.SameSlot(keys.MustParse(tt.a), keys.MustParse(tt.b))
		if got != tt.want {
			t.Errorf("SameSlot(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		// With keeps the slot of its parent.
		if tt.want && !keys.SameSlot(keys.MustParse(tt.a).With(":tries"), keys.MustParse(tt.b)) {
			t.Errorf("SameSlot(%q + :tries, %q) = false", tt.a, tt.b)
		}
	}
}
