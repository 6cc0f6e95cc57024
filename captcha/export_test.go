package captcha

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"time"

	"github.com/ginsms/ginsms/internal/input"
)

// Test hooks: the external tests (package captcha_test) reach unexported pieces here.

// RenderPNG draws and encodes with the production encoder.
func RenderPNG(id string, digits []byte, width, height int) (*bytes.Buffer, error) {
	return renderPNG(pngEncoder, id, digits, width, height)
}

// PooledEncoder returns an encoder like the production one at level, to compare levels.
func PooledEncoder(level png.CompressionLevel) func(*image.Paletted) (*bytes.Buffer, error) {
	enc := &png.Encoder{CompressionLevel: level, BufferPool: newEncoderPool()}
	return func(img *image.Paletted) (*bytes.Buffer, error) { return encodePNG(enc, img) }
}

// ReleaseBuffer hands a rendered buffer back.
var ReleaseBuffer = releaseBuffer

// Create is the image route's store step: the answer, or the wait when ip's quota is used up.
func (s *Store) Create(ctx context.Context, id, ip string) (string, time.Duration, error) {
	return s.create(ctx, id, input.Network(ip))
}

// Peek is the audio route's read: the answer without consuming it, counted against ip's quota.
func (s *Store) Peek(ctx context.Context, id, ip string) (answer string, found bool, wait time.Duration, err error) {
	return s.peek(ctx, id, input.Network(ip))
}

// SetNow replaces the clock the challenges' expiry is read against.
func (a *Altcha) SetNow(now func() time.Time) { a.now = now }

// HidePalette is the recolouring renderPNG applies.
var HidePalette = hidePalette
