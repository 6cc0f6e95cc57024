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

// SameSlot reports whether t and u put the keys of any one id in the same Redis Cluster
// slot, for ids that contain neither "{" nor "}" (input validation guarantees it). Cluster
// hashes only a key's hash tag, the text between its first "{" and the first "}" after it
// when that text is not empty, and otherwise the whole key; so two templates share a slot
// for every id exactly when both have a hash tag built the same way around the id, such as
// "sms_{%s}" and "is_send_{%s}", or the same constant tag.
func SameSlot(t, u Template) bool {
	a, ok := t.hashTag()
	b, ok2 := u.hashTag()
	return ok && ok2 && a == b
}

// hashTag describes what Cluster hashes in the keys of t: a constant tag, or the id with
// fixed text around it. ok is false when the whole key is hashed, which then depends on
// the template's own text.
func (t Template) hashTag() (tag string, ok bool) {
	if i := strings.IndexByte(t.prefix, '{'); i >= 0 {
		open := t.prefix[i+1:]
		if j := strings.IndexByte(open, '}'); j >= 0 {
			if j == 0 {
				return "", false // "{}": Cluster hashes the whole key
			}
			return "const:" + open[:j], true
		}
		j := strings.IndexByte(t.suffix, '}')
		if j < 0 {
			return "", false
		}
		return "id:" + open + "\x00" + t.suffix[:j], true // the tag holds the (non-empty) id
	}
	if i := strings.IndexByte(t.suffix, '{'); i >= 0 {
		if j := strings.IndexByte(t.suffix[i+1:], '}'); j > 0 {
			return "const:" + t.suffix[i+1:i+1+j], true
		}
	}
	return "", false
}
