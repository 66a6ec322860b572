package superpixel

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"
)

// CIELAB conversion, as scikit-image's rgb2lab does it: sRGB with the
// standard transfer curve, the sRGB/D65 matrix, the D65 2° white point
// (0.95047, 1, 1.08883), and the CIE f(t) with the 0.008856 / 7.787 linear
// toe.
//
// Speed comes from two tables: 8-bit sRGB to linear light (256 entries) and
// f(t) on [0, 1] (4096 intervals, linearly interpolated; the error is below
// 1e-3 L units). Results are stored as int16 fixed point in units of 1/64
// (L in [0, 6400], a and b within ±8192): half the memory traffic of
// float32, and every later sum of Lab values is an exact integer, so the
// algorithm gives the same answer whatever the number of workers.

const (
	labScale = 64    // stored Lab values are round(v*labScale)
	fSteps   = 4096  // intervals of the f(t) table on [0, 1]
	fBias    = 32768 // keeps v*labScale+fBias positive for |v| < 512
)

var labTables = sync.OnceValue(func() *labLUT {
	t := &labLUT{}
	for i := range t.lin {
		c := float64(i) / 255
		if c > 0.04045 {
			c = math.Pow((c+0.055)/1.055, 2.4)
		} else {
			c /= 12.92
		}
		t.lin[i] = float32(c)
	}
	for i := range t.f {
		v := float64(i) / fSteps
		if v > 0.008856 {
			v = math.Cbrt(v)
		} else {
			v = 7.787*v + 16.0/116
		}
		t.f[i] = float32(v)
	}
	t.f[fSteps+1] = t.f[fSteps]
	m := [3][3]float64{
		{0.412453, 0.357580, 0.180423},
		{0.212671, 0.715160, 0.072169},
		{0.019334, 0.119193, 0.950227},
	}
	white := [3]float64{0.95047, 1, 1.08883}
	for r := range 3 {
		for c := range 3 {
			t.m[r*3+c] = float32(m[r][c] / white[r])
		}
	}
	return t
})

type labLUT struct {
	lin [256]float32
	f   [fSteps + 2]float32
	m   [9]float32
}

// fInterp evaluates the CIE f on t in [0, 1] from the table.
func (t *labLUT) fInterp(v float32) float32 {
	if v <= 0 {
		return t.f[0]
	}
	p := v * fSteps
	i := int(p)
	if i >= fSteps {
		return t.f[fSteps]
	}
	fr := p - float32(i)
	f0 := t.f[i]
	return f0 + float32((t.f[i+1]-f0)*fr)
}

// fixLab rounds a Lab value, in units of 1/labScale, to int16.
func fixLab(v float32) int16 {
	return int16(int32(v+(fBias+0.5)) - fBias)
}

// linear converts linear-light RGB to fixed-point Lab. The explicit
// conversions keep the compiler from fusing multiply-adds (GOAMD64=v3
// would), so every build gives the same values.
func (t *labLUT) linear(r, g, b float32) (L, A, B int16) {
	m := &t.m
	fx := t.fInterp(float32(float32(m[0]*r)+float32(m[1]*g)) + float32(m[2]*b))
	fy := t.fInterp(float32(float32(m[3]*r)+float32(m[4]*g)) + float32(m[5]*b))
	fz := t.fInterp(float32(float32(m[6]*r)+float32(m[7]*g)) + float32(m[8]*b))
	return fixLab(float32(float32(float32(116*fy)-16) * labScale)),
		fixLab(float32(500 * labScale * (fx - fy))),
		fixLab(float32(200 * labScale * (fy - fz)))
}

// labCache remembers recent colour conversions: photos have far fewer
// distinct colours than pixels (a 1.2 MP photo has about 110,000), so most
// pixels are a table probe instead of a conversion. It is direct-mapped,
// keyed by the 24-bit colour; one per goroutine.
type labCache struct {
	key [labCacheSize]uint32 // colour | 1<<24 when filled
	val [labCacheSize]uint64 // L, a, b as three int16
}

const labCacheBits = 15
const labCacheSize = 1 << labCacheBits

// rgbaRowToLab converts one row of packed RGBA bytes (alpha ignored) into
// fixed-point Lab planes l, a, b, and, where lf is not nil, their float32
// copies lf, af, bf.
func (t *labLUT) rgbaRowToLab(px []uint8, l, a, b []int16, lf, af, bf []float32, c *labCache) {
	if lf != nil && labRowSIMD(t, px, l, a, b, lf, af, bf) {
		return
	}
	t.rgbaRowToLabGo(px, l, a, b, c)
	if lf != nil {
		toFloat32(l, a, b, lf, af, bf)
	}
}

// toFloat32 copies fixed-point Lab planes into float32 planes.
func toFloat32(l, a, b []int16, lf, af, bf []float32) {
	a, b, lf, af, bf = a[:len(l)], b[:len(l)], lf[:len(l)], af[:len(l)], bf[:len(l)]
	for i, v := range l {
		lf[i], af[i], bf[i] = float32(v), float32(a[i]), float32(b[i])
	}
}

// rgbaRowToLabGo is rgbaRowToLab's portable path, through the cache.
func (t *labLUT) rgbaRowToLabGo(px []uint8, l, a, b []int16, c *labCache) {
	n := len(l)
	a = a[:n]
	b = b[:n]
	px = px[:4*n]
	lin := &t.lin
	for i := range n {
		r, g, bb := uint32(px[4*i]), uint32(px[4*i+1]), uint32(px[4*i+2])
		key := r<<16 | g<<8 | bb | 1<<24
		h := (key * 0x9e3779b1) >> (32 - labCacheBits)
		if c.key[h] == key {
			v := c.val[h]
			l[i], a[i], b[i] = int16(v), int16(v>>16), int16(v>>32)
			continue
		}
		L, A, B := t.linear(lin[r], lin[g], lin[bb])
		c.key[h] = key
		c.val[h] = uint64(uint16(L)) | uint64(uint16(A))<<16 | uint64(uint16(B))<<32
		l[i], a[i], b[i] = L, A, B
	}
}

// A rowReader yields an image's rows as packed, alpha-premultiplied 8-bit
// RGBA (the layout of image.RGBA.Pix), relative to the image's Bounds().Min.
// Fast paths cover *image.RGBA (no copy), *image.NRGBA, *image.YCbCr and
// *image.Gray; other types go through draw.Draw row by row. Not safe for
// concurrent use: give each goroutine its own.
type rowReader struct {
	img  image.Image
	r    image.Rectangle
	buf  []uint8
	tmp  *image.RGBA
	kind int
}

const (
	kindGeneric = iota
	kindRGBA
	kindNRGBA
	kindYCbCr
	kindGray
)

func newRowReader(img image.Image) *rowReader {
	rr := &rowReader{img: img, r: img.Bounds()}
	switch img.(type) {
	case *image.RGBA:
		rr.kind = kindRGBA
	case *image.NRGBA:
		rr.kind = kindNRGBA
	case *image.YCbCr:
		rr.kind = kindYCbCr
	case *image.Gray:
		rr.kind = kindGray
	}
	if rr.kind != kindRGBA {
		rr.buf = make([]uint8, 4*rr.r.Dx())
	}
	return rr
}

// row returns row y (0-based) of the image. The slice is valid until the
// next call and must not be modified.
func (rr *rowReader) row(y int) []uint8 {
	w := rr.r.Dx()
	sy := rr.r.Min.Y + y
	switch rr.kind {
	case kindRGBA:
		m := rr.img.(*image.RGBA)
		o := m.PixOffset(rr.r.Min.X, sy)
		return m.Pix[o : o+4*w : o+4*w]
	case kindNRGBA:
		m := rr.img.(*image.NRGBA)
		o := m.PixOffset(rr.r.Min.X, sy)
		src := m.Pix[o : o+4*w]
		dst := rr.buf[:4*w]
		for i := 0; i < len(src); i += 4 {
			s := src[i : i+4 : i+4]
			d := dst[i : i+4 : i+4]
			switch al := uint32(s[3]); al {
			case 0xff:
				d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 0xff
			case 0:
				d[0], d[1], d[2], d[3] = 0, 0, 0, 0
			default:
				// As color.NRGBA.RGBA does, then back to 8 bits.
				a16 := al | al<<8
				d[0] = uint8((uint32(s[0]) * 0x101 * a16 / 0xffff) >> 8)
				d[1] = uint8((uint32(s[1]) * 0x101 * a16 / 0xffff) >> 8)
				d[2] = uint8((uint32(s[2]) * 0x101 * a16 / 0xffff) >> 8)
				d[3] = uint8(al)
			}
		}
		return dst
	case kindGray:
		m := rr.img.(*image.Gray)
		o := m.PixOffset(rr.r.Min.X, sy)
		src := m.Pix[o : o+w]
		dst := rr.buf[:4*w]
		for i, g := range src {
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = g, g, g, 0xff
		}
		return dst
	case kindYCbCr:
		m := rr.img.(*image.YCbCr)
		dst := rr.buf[:4*w]
		yo := m.YOffset(rr.r.Min.X, sy)
		ys := m.Y[yo : yo+w]
		for i, yy := range ys {
			co := m.COffset(rr.r.Min.X+i, sy)
			r, g, b := color.YCbCrToRGB(yy, m.Cb[co], m.Cr[co])
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = r, g, b, 0xff
		}
		return dst
	default:
		if rr.tmp == nil {
			rr.tmp = &image.RGBA{Pix: rr.buf, Stride: 4 * w, Rect: image.Rect(0, 0, w, 1)}
		}
		draw.Draw(rr.tmp, rr.tmp.Rect, rr.img, image.Pt(rr.r.Min.X, sy), draw.Src)
		return rr.buf[:4*w]
	}
}
