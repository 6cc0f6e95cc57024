package prommetrics_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ginsms/ginsms/prommetrics"
)

// The cost of each hook on its own, beside the ~100 µs to 300 µs of a request's Redis
// round trips (BenchmarkSend* in package ginsms).
func BenchmarkObserver(b *testing.B) {
	obs, err := prommetrics.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		call func()
	}{
		{"Answered", func() { obs.Answered("send", 4004) }},
		{"QuotaRefused", func() { obs.QuotaRefused("interval") }},
		{"Sent", func() { obs.Sent("twilio", "sent", 300*time.Millisecond) }},
		{"VerifyExhausted", obs.VerifyExhausted},
		{"StorageFailed", func() { obs.StorageFailed("store") }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.call()
			}
		})
	}
}
