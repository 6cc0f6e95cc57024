package mask_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ginsms/ginsms/internal/mask"
)

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13800138000", "138****8000"},
		{"+8613800138000", "+86*******8000"},
		{"2025550123", "20******23"},
		{"12345678", "12****78"},
		{"1234567", "1*****7"},
		{"12345", "1***5"},
		{"1234", "****"},
		{"12", "**"},
		{"", ""},
		{"١٣٨٠٠١٣٨٠٠٠", "١٣٨****٨٠٠٠"}, // Arabic-Indic digits: runes, not bytes
	}
	for _, tt := range tests {
		if got := mask.Phone(tt.in); got != tt.want {
			t.Errorf("Phone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzMaskPhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+8613800138000", "12345", "", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, phone string) {
		got := mask.Phone(phone)
		n := utf8.RuneCountInString(phone)
		if utf8.RuneCountInString(got) != n {
			t.Fatalf("Phone(%q) = %q: %d characters, want %d", phone, got, utf8.RuneCountInString(got), n)
		}
		in, out := []rune(phone), []rune(got)
		for i := range out {
			if out[i] != '*' && out[i] != in[i] {
				t.Fatalf("Phone(%q) = %q: character %d changed", phone, got, i)
			}
		}
		if stars := strings.Count(got, "*"); stars < min((n+1)/2, 4) {
			t.Fatalf("Phone(%q) = %q hides only %d characters", phone, got, stars)
		}
	})
}
