package captcha

import (
	"bytes"
	"image"
	"image/png"
	"runtime"
	"sync"

	dcaptcha "github.com/dchest/captcha"
)

// pngEncoder encodes every captcha image. dchest's Image.WriteTo calls png.Encode, which
// builds a new zlib compressor (about 1 MB, whatever the level) for each image; the
// pooled EncoderBuffers keep one per concurrent request instead. Level: BenchmarkEncode
// (render_test.go) measured BestSpeed at about 1/10 of the time of the default level
// (60 µs against 650 µs for 240x80) for a PNG of 1.5 KB instead of 1.2 KB; the noise
// dchest draws compresses poorly at any level, so the bytes saved are not worth the CPU.
var pngEncoder = &png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: newEncoderPool()}

// encoderPool is a png.EncoderBufferPool. A few buffers are kept for good in a small free
// list; the rest go to a sync.Pool. A sync.Pool alone drops what it holds over two
// garbage collections, and the buffer a P keeps privately is invisible to the other Ps;
// each miss costs a 1 MB allocation, which brings the next collection closer. Measured
// with BenchmarkRender/ours: 44 to 93 KB allocated per image with a sync.Pool alone,
// a steady 43 KB (dchest's drawing) with the free list. The free list (at most 4 buffers,
// about 4 MB, kept for good) serves a steady load without a miss; bursts above it still
// use the sync.Pool, which gives the memory back when they end.
type encoderPool struct {
	free chan *png.EncoderBuffer
	pool sync.Pool
}

func newEncoderPool() *encoderPool {
	return &encoderPool{free: make(chan *png.EncoderBuffer, min(runtime.GOMAXPROCS(0), 4))}
}

// Get returns a pooled buffer, or nil, which makes the encoder allocate one.
func (p *encoderPool) Get() *png.EncoderBuffer {
	select {
	case b := <-p.free:
		return b
	default:
		b, _ := p.pool.Get().(*png.EncoderBuffer)
		return b
	}
}

// Put returns b to the pool.
func (p *encoderPool) Put(b *png.EncoderBuffer) {
	select {
	case p.free <- b:
	default:
		p.pool.Put(b)
	}
}

// bufferPool holds the buffers a PNG is encoded into, so that it can be sent with a
// Content-Length and without growing a new buffer per image.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps a buffer that once held a huge image (maxSize squared) from
// staying in the pool for good.
const maxPooledBuffer = 256 << 10

// renderPNG draws digits (each 0 to 9) for id at width x height and returns the PNG in a
// pooled buffer, which the caller hands back with releaseBuffer. The same id and digits
// draw the same image within one process (dchest seeds its noise with them). The
// palette is recoloured first (hidePalette), so that no colour index marks the digits.
func renderPNG(enc *png.Encoder, id string, digits []byte, width, height int) (*bytes.Buffer, error) {
	img := dcaptcha.NewImage(id, digits, width, height).Paletted
	hidePalette(img, id, digits)
	return encodePNG(enc, img)
}

// encodePNG encodes img with enc into a pooled buffer.
func encodePNG(enc *png.Encoder, img *image.Paletted) (*bytes.Buffer, error) {
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	if err := enc.Encode(buf, img); err != nil {
		releaseBuffer(buf)
		return nil, err
	}
	return buf, nil
}

// releaseBuffer returns buf to the pool.
func releaseBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		bufferPool.Put(buf)
	}
}
