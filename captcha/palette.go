package captcha

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"image"
	"image/color"
	mrand "math/rand/v2"
)

// paletteSize is how many entries drawn pixels spread over: dchest's 20 colours.
const paletteSize = 20

// shadeStep is the brightness step between neighbouring entries of the new palette:
// 20 shades within ±19 of dchest's primary colour, too close for an eye to tell digits
// from noise by colour, or for the PNG to give it away by index.
const shadeStep = 2

// paletteKey seeds the recolouring, so an image is the same for one id and answer
// within a process (as dchest draws it) and unknowable outside it.
var paletteKey = func() [16]byte {
	var k [16]byte
	_, _ = rand.Read(k[:])
	return k
}()

// hidePalette recolours img in place so that its colour indices say nothing about which
// pixels are digits. dchest draws the digits and the strike-through line with palette
// entry 1 only, and most noise circles with the other entries, so "keep the pixels of
// entry 1" cuts the digits out of the noise (see TestPaletteSegmentation). Here every
// drawn pixel (any entry but the transparent 0) gets an entry drawn at random from 20
// shades of the primary colour; where the pixels are does not change.
func hidePalette(img *image.Paletted, id string, digits []byte) {
	if len(img.Palette) < 2 {
		return
	}
	prim, ok := img.Palette[1].(color.RGBA)
	if !ok {
		return
	}
	pal := make(color.Palette, paletteSize+1)
	pal[0] = img.Palette[0]
	for i := 1; i <= paletteSize; i++ {
		d := (i - 1 - paletteSize/2) * shadeStep
		pal[i] = color.RGBA{shade(prim.R, d), shade(prim.G, d), shade(prim.B, d), 0xFF}
	}
	h := sha256.New()
	h.Write(paletteKey[:])
	h.Write([]byte(id))
	h.Write(digits)
	sum := h.Sum(nil)
	rng := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
	for i, ix := range img.Pix {
		if ix != 0 {
			img.Pix[i] = uint8(1 + rng.IntN(paletteSize))
		}
	}
	img.Palette = pal
}

func shade(c uint8, d int) uint8 {
	return uint8(max(0, min(255, int(c)+d)))
}
