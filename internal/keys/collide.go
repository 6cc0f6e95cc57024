package keys

import (
	"fmt"
	"strings"
)

// Family is every key one template builds from the ids of one alphabet, such as the
// per-phone daily counters ("sms_%s" + ":daily" over the characters of a phone). Two
// families that can build the same key would make two counters, or a counter and a flag,
// one key: Collision refuses them at start-up.
type Family struct {
	Name     string // how an error names it, e.g. `sms.key + ":daily"`
	t        Template
	alphabet string // the characters of an id; "" for a single key (Fixed)
}

// Family returns the keys of t for every non-empty id of alphabet's characters.
func (t Template) Family(name, alphabet string) Family {
	return Family{Name: name, t: t, alphabet: alphabet}
}

// Fixed returns the one key t builds for id, as a Family.
func (t Template) Fixed(name, id string) Family {
	return Family{Name: name, t: Template{prefix: t.prefix + id + t.suffix}}
}

// Inner returns the template whose key for id is t's key for before+id: "sms_%s" with
// "ip:" is "sms_ip:%s".
func (t Template) Inner(before string) Template {
	return Template{prefix: t.prefix + before, suffix: t.suffix}
}

// Collision returns an error naming the first two families that can build one same key,
// with such a key; nil when every key of every family is its family's alone.
func Collision(families []Family) error {
	for i, a := range families {
		for _, b := range families[i+1:] {
			if key, ok := overlap(a, b); ok {
				return fmt.Errorf("%s (%q) and %s (%q) can name the same key, e.g. %q",
					a.Name, a.t.String(), b.Name, b.t.String(), key)
			}
		}
	}
	return nil
}

// A family's keys are a regular language: the prefix, one or more id characters, the
// suffix (just the prefix for a fixed key). overlap walks both automata in step, breadth
// first, and returns the shortest key both accept.
type token struct {
	lit   byte
	class string // id characters; "" for a literal
}

func (f Family) tokens() []token {
	var toks []token
	for i := 0; i < len(f.t.prefix); i++ {
		toks = append(toks, token{lit: f.t.prefix[i]})
	}
	if f.alphabet != "" {
		toks = append(toks, token{class: f.alphabet})
		for i := 0; i < len(f.t.suffix); i++ {
			toks = append(toks, token{lit: f.t.suffix[i]})
		}
	}
	return toks
}

// pos is a place in a family's tokens: i is the next token; looped says the class token
// i has already taken an id character (so it may take more, or be left).
type pos struct {
	i      int
	looped bool
}

// closure is p and where it may go without reading.
func closure(toks []token, p pos) []pos {
	if p.looped && p.i < len(toks) && toks[p.i].class != "" {
		return []pos{p, {i: p.i + 1}}
	}
	return []pos{p}
}

// next is where p goes on reading c.
func next(toks []token, p pos, c byte) (pos, bool) {
	if p.i >= len(toks) {
		return pos{}, false
	}
	t := toks[p.i]
	if t.class == "" {
		return pos{i: p.i + 1}, t.lit == c
	}
	return pos{i: p.i, looped: true}, strings.IndexByte(t.class, c) >= 0
}

// candidates are the characters p may read.
func candidates(toks []token, p pos) string {
	if p.i >= len(toks) {
		return ""
	}
	if t := toks[p.i]; t.class == "" {
		return string(t.lit)
	}
	return toks[p.i].class
}

func overlap(a, b Family) (string, bool) {
	ta, tb := a.tokens(), b.tokens()
	type pair struct{ a, b pos }
	seen := map[pair]bool{}
	type item struct {
		p   pair
		key string
	}
	var queue []item
	push := func(pa, pb pos, key string) {
		for _, x := range closure(ta, pa) {
			for _, y := range closure(tb, pb) {
				if p := (pair{x, y}); !seen[p] {
					seen[p] = true
					queue = append(queue, item{p, key})
				}
			}
		}
	}
	push(pos{}, pos{}, "")
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if it.p.a.i == len(ta) && it.p.b.i == len(tb) {
			return it.key, true
		}
		cands := candidates(ta, it.p.a)
		for k := 0; k < len(cands); k++ {
			c := cands[k]
			na, ok1 := next(ta, it.p.a, c)
			nb, ok2 := next(tb, it.p.b, c)
			if ok1 && ok2 {
				push(na, nb, it.key+string(c))
			}
		}
	}
	return "", false
}
