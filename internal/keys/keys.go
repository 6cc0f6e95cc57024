// Package keys builds every Redis key name of ginsms from configured templates.
//
// Nothing else in the module formats a key: a template is checked once at start-up
// (exactly one %s, no other verb) and split into a prefix and a suffix, so building a
// key is one string concatenation on the hot path, and a value that reaches a key has
// always been validated by the caller first.
package keys

import (
	"errors"
	"strings"
)

// ErrTemplate reports a key template that is not a literal text with exactly one %s.
var ErrTemplate = errors.New("key template must contain exactly one %s and no other % verb")

// Template is a parsed key template such as "sms_%s" or "sms_{%s}".
type Template struct {
	prefix, suffix string
}

// Parse checks tmpl and returns its parsed form.
func Parse(tmpl string) (Template, error) {
	i := strings.Index(tmpl, "%s")
	if i < 0 {
		return Template{}, ErrTemplate
	}
	prefix, suffix := tmpl[:i], tmpl[i+2:]
	if strings.Contains(prefix, "%") || strings.Contains(suffix, "%") {
		return Template{}, ErrTemplate
	}
	return Template{prefix: prefix, suffix: suffix}, nil
}

// MustParse is Parse for templates that are constants of the module; it panics on a bad one.
func MustParse(tmpl string) Template {
	t, err := Parse(tmpl)
	if err != nil {
		panic("keys: " + tmpl + ": " + err.Error())
	}
	return t
}

// Key returns the key for id.
func (t Template) Key(id string) string {
	return t.prefix + id + t.suffix
}

// With returns the template with extra appended after the whole key, so that a derived
// key ("sms_{%s}" + ":tries") keeps the hash tag, and therefore the cluster slot, of its
// parent key.
func (t Template) With(extra string) Template {
	return Template{prefix: t.prefix, suffix: t.suffix + extra}
}

// String returns the template in its configured form.
func (t Template) String() string {
	return t.prefix + "%s" + t.suffix
}
