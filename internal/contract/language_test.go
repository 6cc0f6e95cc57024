package contract

import "testing"

func TestPrefersChinese(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"zh", true},
		{"zh-CN,zh;q=0.9", true},
		{"ZH-tw", true},
		{"zh-Hant-TW;q=0.8, en;q=0.7", true},
		{"en-US,en;q=0.9,zh-CN;q=0.8", false},
		{"en;q=0.5, zh;q=0.6", true},
		{"zh;q=0.5, en;q=0.5", true}, // equal: the first listed
		{"en;q=0.5, zh;q=0.5", false},
		{"zh;q=0, en;q=0.1", false},
		{"zh;q=0", false},
		{"zh;q=abc", false},
		{"fr, de;q=0.9", false},
		{"fr, zh;q=0.1", true},
		{"zhx", false},
		{"*", false},
	} {
		if got := prefersChinese(tt.header); got != tt.want {
			t.Errorf("prefersChinese(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
