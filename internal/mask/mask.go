// Package mask hides the middle of a phone number, so that a log line or an error can
// name the phone without revealing it.
package mask

import (
	"strings"
	"unicode/utf8"
)

// Phone hides the middle of a phone number for logs: "13800138000" → "138****8000".
// Numbers of 11 characters or more keep their first 3 and last 4; shorter ones keep at
// most a quarter at each end (at least half is hidden), and 4 characters or fewer are
// hidden entirely. The result has as many characters (runes) as phone; an invalid UTF-8
// byte counts as one character and, where it is kept, becomes U+FFFD.
func Phone(phone string) string {
	n := utf8.RuneCountInString(phone)
	head, tail := n/4, n/4
	switch {
	case n >= 11:
		head, tail = 3, 4
	case n <= 4:
		head, tail = 0, 0
	}
	var b strings.Builder
	b.Grow(len(phone))
	i := 0
	for _, r := range phone {
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}
