package ginsms

import (
	"fmt"
	"testing"
)

// BenchmarkClassify is the destination guard's CPU before Redis for a number it has not
// seen (libphonenumber's parse, region and type lookup with the default rules), then for
// one in its cache (a send's second look, its verify): the in-process part of what the
// guard costs a send.
func BenchmarkClassify(b *testing.B) {
	cfg := DefaultConfig()
	k, err := newSMSKeys(cfg.SMS)
	if err != nil {
		b.Fatal(err)
	}
	phones := make([]string, seenMax)
	for i := range phones {
		phones[i] = fmt.Sprintf("139%08d", i)
	}
	b.Run("new", func(b *testing.B) {
		g := newDestGuard(cfg.Destination, k)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if d := g.classifyNumber(phones[i%len(phones)]); d.refused != "" {
				b.Fatal(d.refused)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		g := newDestGuard(cfg.Destination, k)
		g.classify(phones[0])
		b.ReportAllocs()
		for b.Loop() {
			if d := g.classify(phones[0]); d.refused != "" {
				b.Fatal(d.refused)
			}
		}
	})
}
