package keys_test

import (
	"errors"
	"strings"
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

// Collision finds two templates whose keys can coincide, with such a key, and passes
// templates that cannot.
func TestCollision(t *testing.T) {
	const phone, network = "0123456789+-.()", "0123456789abcdef.:/knouw"
	fams := func(code, flag string) []keys.Family {
		c, f := keys.MustParse(code), keys.MustParse(flag)
		return []keys.Family{
			c.Family("code", phone), f.Family("flag", phone),
			c.With(":tries").Family("tries", phone), c.With(":daily").Family("daily", phone),
			c.Inner("ip:").Family("ip", network), c.Fixed("total", "total"),
		}
	}
	for _, tt := range []struct {
		code, flag string
		want       string // "" = no collision; else the two names and a key, as the error says
	}{
		{"sms_%s", "is_send_%s", ""},
		{"sms_{%s}", "is_send_{%s}", ""},
		{"app:sms:%s", "app:flag:%s", ""},
		{"sms_%s", "sms_%s:daily", `daily ("sms_%s:daily") can name the same key, e.g. "sms_0:daily"`},
		{"sms_%s", "sms_%s:tries", `flag ("sms_%s:tries") and tries`},
		{"sms_%s", "sms_ip:%s", `flag ("sms_ip:%s") and ip ("sms_ip:%s")`},
		{"sms_%s", "sms_tot%s", ""},              // "sms_total" would need the phone "al"
		{"sms_%s", "sms_%s.", `code ("sms_%s")`}, // "sms_1." is a phone and a flag
		{"s%s", "s1%s", `code ("s%s") and flag ("s1%s") can name the same key, e.g. "s10"`},
		{"%s:x", "%s:y", ""},
	} {
		t.Run(tt.code+" "+tt.flag, func(t *testing.T) {
			err := keys.Collision(fams(tt.code, tt.flag))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Collision = %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Collision = %v, want one mentioning %s", err, tt.want)
			}
		})
	}
}
