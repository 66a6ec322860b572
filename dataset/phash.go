package dataset

import (
	"image"
	"math"
	"math/bits"
	"sort"
	"sync"
)

// PHash returns the 64-bit DCT perceptual hash of img, as in Zauner's
// pHash and Python's imagehash.phash: the image is reduced to a 32×32 grey
// image by area averaging, transformed with a 2-D DCT-II, and each of the
// 8×8 lowest-frequency coefficients becomes a bit that is set when the
// coefficient exceeds their median. Resizing, recompression, small colour
// changes and light noise leave the hash within a few bits.
func PHash(img image.Image) uint64 {
	const n = 32
	g := greyResize(img, n, n)
	c := dctTable()
	// Rows, then columns, keeping only the 8 lowest frequencies.
	var tmp [n][8]float64
	for y := range n {
		for u := range 8 {
			var s float64
			for x := range n {
				s += g[y*n+x] * c[u][x]
			}
			tmp[y][u] = s
		}
	}
	var coef [64]float64
	for v := range 8 {
		for u := range 8 {
			var s float64
			for y := range n {
				s += tmp[y][u] * c[v][y]
			}
			coef[v*8+u] = s
		}
	}
	sorted := coef
	sort.Float64s(sorted[:])
	med := (sorted[31] + sorted[32]) / 2
	var h uint64
	for i, v := range coef {
		if v > med {
			h |= 1 << (63 - i)
		}
	}
	return h
}

// DHash returns the 64-bit difference hash of img: on a 9×8 grey
// reduction, each bit says whether a pixel is brighter than its left
// neighbour. It is cheaper than PHash and a little less robust.
func DHash(img image.Image) uint64 {
	g := greyResize(img, 9, 8)
	var h uint64
	for y := range 8 {
		for x := range 8 {
			h <<= 1
			if g[y*9+x+1] > g[y*9+x] {
				h |= 1
			}
		}
	}
	return h
}

// Hamming returns the number of bits in which a and b differ.
func Hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }

var dct struct {
	once sync.Once
	c    [8][32]float64
}

func dctTable() *[8][32]float64 {
	dct.once.Do(func() {
		for u := range 8 {
			for x := range 32 {
				dct.c[u][x] = math.Cos(math.Pi * float64(u) * (2*float64(x) + 1) / 64)
			}
		}
	})
	return &dct.c
}

// greyResize reduces img to w×h luma values by averaging the source pixels
// falling in each cell (cells no pixel centre falls in take the nearest
// pixel, for images smaller than w×h).
func greyResize(img image.Image, w, h int) []float64 {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	out := make([]float64, w*h)
	if sw <= 0 || sh <= 0 {
		return out
	}
	cnt := make([]int, w*h)
	luma := lumaFunc(img)
	for y := range sh {
		ty := y * h / sh
		for x := range sw {
			i := ty*w + x*w/sw
			out[i] += luma(b.Min.X+x, b.Min.Y+y)
			cnt[i]++
		}
	}
	for i := range out {
		if cnt[i] > 0 {
			out[i] /= float64(cnt[i])
			continue
		}
		x, y := (i%w)*sw/w+sw/(2*w), (i/w)*sh/h+sh/(2*h)
		out[i] = luma(b.Min.X+min(x, sw-1), b.Min.Y+min(y, sh-1))
	}
	return out
}

// lumaFunc returns a fast luma accessor for common image types.
func lumaFunc(img image.Image) func(x, y int) float64 {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) float64 { return float64(m.Y[m.YOffset(x, y)]) }
	case *image.Gray:
		return func(x, y int) float64 { return float64(m.Pix[m.PixOffset(x, y)]) }
	case *image.RGBA:
		return func(x, y int) float64 {
			p := m.Pix[m.PixOffset(x, y):]
			return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		}
	case *image.NRGBA:
		return func(x, y int) float64 {
			p := m.Pix[m.PixOffset(x, y):]
			return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		}
	}
	return func(x, y int) float64 {
		r, g, b, _ := img.At(x, y).RGBA()
		return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
	}
}
