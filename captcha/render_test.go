package captcha_test

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"testing"

	dcaptcha "github.com/dchest/captcha"

	"github.com/ginsms/ginsms/captcha"
)

const benchID = "0b7e5a2c-3c1f-4d8e-9a6b-2f4c8d1e7a90"

var benchDigits = []byte{3, 1, 4, 1}

// BenchmarkRender compares the whole image path, drawing included, on identical id,
// digits and size (240x80): ours (pooled PNG encoder at BestSpeed, pooled output buffer)
// against dchest's Image.WriteTo (png.Encode, a new compressor per image).
func BenchmarkRender(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, err := captcha.RenderPNG(benchID, benchDigits, 240, 80)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Discard.Write(buf.Bytes())
			captcha.ReleaseBuffer(buf)
		}
	})
	b.Run("dchest_WriteTo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dcaptcha.NewImage(benchID, benchDigits, 240, 80).WriteTo(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The floor: dchest's drawing alone, which neither path can avoid.
	b.Run("dchest_NewImage_only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = dcaptcha.NewImage(benchID, benchDigits, 240, 80)
		}
	})
}

// BenchmarkEncode compares compression levels on one image already drawn, encoding
// only; bytes/png is the size sent to the client. It chose BestSpeed for render.go.
func BenchmarkEncode(b *testing.B) {
	img := dcaptcha.NewImage(benchID, benchDigits, 240, 80).Paletted
	for _, tt := range []struct {
		name  string
		level png.CompressionLevel
	}{
		{"BestSpeed", png.BestSpeed},
		{"Default", png.DefaultCompression},
		{"BestCompression", png.BestCompression},
	} {
		b.Run(tt.name, func(b *testing.B) {
			encode := captcha.PooledEncoder(tt.level)
			b.ReportAllocs()
			var size int
			for b.Loop() {
				buf, err := encode(img)
				if err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
				captcha.ReleaseBuffer(buf)
			}
			b.ReportMetric(float64(size), "bytes/png")
		})
	}
	b.Run("png.Encode", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := png.Encode(&buf, img); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes/png")
	})
}

// TestRenderDecodes renders every corner of the configurable space (digits and size),
// so no valid Config can make dchest panic, and checks the PNG decodes to the size asked.
func TestRenderDecodes(t *testing.T) {
	sizes := []struct{ w, h int }{
		{240, 80}, // the default
		{40, 40},
		{40, 1000},
		{1000, 40},
		{1000, 1000},
		{123, 45},
	}
	for _, n := range []int{1, 4, 10} {
		digits := make([]byte, n)
		for i := range digits {
			digits[i] = byte(9 - i%10)
		}
		for _, sz := range sizes {
			buf, err := captcha.RenderPNG(benchID, digits, sz.w, sz.h)
			if err != nil {
				t.Fatalf("%d digits %dx%d: %v", n, sz.w, sz.h, err)
			}
			img, err := png.Decode(bytes.NewReader(buf.Bytes()))
			captcha.ReleaseBuffer(buf)
			if err != nil {
				t.Fatalf("%d digits %dx%d: decode: %v", n, sz.w, sz.h, err)
			}
			if got, want := img.Bounds(), image.Rect(0, 0, sz.w, sz.h); got != want {
				t.Errorf("%d digits: bounds %v, want %v", n, got, want)
			}
		}
	}
}

// TestRenderMatchesDchest checks our encoder changes the encoding only: the pixels are
// those dchest draws, recoloured by HidePalette, and drawn where dchest draws them.
func TestRenderMatchesDchest(t *testing.T) {
	ours, err := captcha.RenderPNG(benchID, benchDigits, 240, 80)
	if err != nil {
		t.Fatal(err)
	}
	defer captcha.ReleaseBuffer(ours)
	var theirs bytes.Buffer
	original := dcaptcha.NewImage(benchID, benchDigits, 240, 80).Paletted
	recoloured := *original
	recoloured.Pix = append([]uint8(nil), original.Pix...)
	captcha.HidePalette(&recoloured, benchID, benchDigits)
	if err := png.Encode(&theirs, &recoloured); err != nil {
		t.Fatal(err)
	}
	a, err := png.Decode(bytes.NewReader(ours.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := png.Decode(&theirs)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 80; y++ {
		for x := 0; x < 240; x++ {
			if a.At(x, y) != b.At(x, y) {
				t.Fatalf("pixel (%d,%d) = %v, dchest %v", x, y, a.At(x, y), b.At(x, y))
			}
			if drawn := original.ColorIndexAt(x, y) != 0; drawn != (recoloured.ColorIndexAt(x, y) != 0) {
				t.Fatalf("pixel (%d,%d): drawn %v by dchest, not after recolouring", x, y, drawn)
			}
		}
	}
}
