package captcha

import (
	"bytes"
	"image"
	"image/png"
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

// Split returns a copy of s that takes the two-step path of Cluster and Ring clients.
func Split(s *Store) *Store {
	c := *s
	c.split = true
	return &c
}
