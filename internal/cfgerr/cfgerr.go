// Package cfgerr is the one configuration error of the module: every package's Validate
// and constructors report their problems as a List of keyed problems wrapping
// ErrInvalidConfig, so that the core and the loader merge and re-key them without parsing
// error texts.
package cfgerr

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidConfig is wrapped by every configuration error of the module; each package
// exports this same value under its own name.
var ErrInvalidConfig = errors.New("ginsms: invalid configuration")

// Problem is one bad setting. Key is its path in the configuration file
// ("sms.code_ttl"), "" for a setting made in code only (a nil client).
type Problem struct {
	Key, Msg string
}

func (p Problem) String() string {
	if p.Key == "" {
		return p.Msg
	}
	return p.Key + ": " + p.Msg
}

// List is every problem of a configuration, in the order found.
type List []Problem

func (l List) Error() string {
	if len(l) == 1 {
		return ErrInvalidConfig.Error() + ": " + l[0].String()
	}
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return ErrInvalidConfig.Error() + ":\n\t" + strings.Join(lines, "\n\t")
}

func (List) Unwrap() error { return ErrInvalidConfig }

// New is the error of one bad key.
func New(key, format string, args ...any) error {
	return List{{Key: key, Msg: fmt.Sprintf(format, args...)}}
}

// Join gathers the problems of errs (nil ones skipped, errors.Join trees flattened) into
// one List, nil when there are none. An error that is not a List becomes a problem without
// a key, its text as is.
func Join(errs ...error) error {
	l := Problems(errs...)
	if len(l) == 0 {
		return nil
	}
	return l
}

// Problems is Join's List, empty when errs hold no problem.
func Problems(errs ...error) List {
	var l List
	var walk func(err error)
	walk = func(err error) {
		var list List
		switch e := err.(type) {
		case nil:
		case List:
			l = append(l, e...)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &list) {
				l = append(l, list...)
				return
			}
			l = append(l, Problem{Msg: err.Error()})
		}
	}
	for _, err := range errs {
		walk(err)
	}
	return l
}
