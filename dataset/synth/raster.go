package synth

import (
	"math"
	"math/rand/v2"
)

// canvas is a float RGB image, values nominally in [0, 1].
type canvas struct {
	w, h int
	pix  []float32 // RGB, row-major
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, pix: make([]float32, 3*w*h)} }

type rgb struct{ r, g, b float32 }

func (c rgb) scale(f float32) rgb { return rgb{c.r * f, c.g * f, c.b * f} }

func mix(a, b rgb, t float32) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

func (c *canvas) set(x, y int, v rgb) {
	i := 3 * (y*c.w + x)
	c.pix[i], c.pix[i+1], c.pix[i+2] = v.r, v.g, v.b
}

func (c *canvas) at(x, y int) rgb {
	i := 3 * (y*c.w + x)
	return rgb{c.pix[i], c.pix[i+1], c.pix[i+2]}
}

// noise is 2-D value noise: random values on a lattice, smoothly
// interpolated. at returns values in [0, 1].
type noise struct {
	gw, gh int
	inv    float32
	v      []float32
}

func newNoise(rng *rand.Rand, w, h int, cell float32) *noise {
	gw, gh := int(float32(w)/cell)+3, int(float32(h)/cell)+3
	n := &noise{gw: gw, gh: gh, inv: 1 / cell, v: make([]float32, gw*gh)}
	for i := range n.v {
		n.v[i] = rng.Float32()
	}
	return n
}

func (n *noise) at(x, y float32) float32 {
	fx, fy := x*n.inv, y*n.inv
	// Clamp to the lattice: beyond it the noise is constant.
	fx = max(0, min(fx, float32(n.gw-2)+0.999))
	fy = max(0, min(fy, float32(n.gh-2)+0.999))
	ix, iy := int(fx), int(fy)
	tx, ty := fx-float32(ix), fy-float32(iy)
	tx = tx * tx * (3 - 2*tx)
	ty = ty * ty * (3 - 2*ty)
	i := iy*n.gw + ix
	a := n.v[i] + (n.v[i+1]-n.v[i])*tx
	b := n.v[i+n.gw] + (n.v[i+n.gw+1]-n.v[i+n.gw])*tx
	return a + (b-a)*ty
}

// row fills out[x] with at(x, y) for x in [0, len(out)), interpolating
// the lattice once per row instead of once per pixel.
func (n *noise) row(y float32, out []float32, scratch []float32) {
	fy := max(0, min(y*n.inv, float32(n.gh-2)+0.999))
	iy := int(fy)
	ty := fy - float32(iy)
	ty = ty * ty * (3 - 2*ty)
	r0 := n.v[iy*n.gw : (iy+1)*n.gw]
	r1 := n.v[(iy+1)*n.gw : (iy+2)*n.gw]
	lat := scratch[:n.gw]
	for i := range lat {
		lat[i] = r0[i] + (r1[i]-r0[i])*ty
	}
	maxX := float32(n.gw-2) + 0.999
	for x := range out {
		fx := min(float32(x)*n.inv, maxX)
		ix := int(fx)
		tx := fx - float32(ix)
		tx = tx * tx * (3 - 2*tx)
		out[x] = lat[ix] + (lat[ix+1]-lat[ix])*tx
	}
}

// row fills out with the fbm's values along row y.
func (f fbm) row(y float32, out, tmp, scratch []float32) {
	clear(out)
	var wsum float32
	wt := float32(1)
	for _, n := range f {
		n.row(y, tmp, scratch)
		for i, v := range tmp {
			out[i] += wt * v
		}
		wsum += wt
		wt /= 2
	}
	inv := 1 / wsum
	for i := range out {
		out[i] *= inv
	}
}

// fbm sums octaves of noise with halving weights; the result is in [0, 1].
type fbm []*noise

func newFBM(rng *rand.Rand, w, h int, cell float32, octaves int) fbm {
	f := make(fbm, octaves)
	for i := range f {
		f[i] = newNoise(rng, w, h, cell)
		cell /= 2
		if cell < 1 {
			cell = 1
		}
	}
	return f
}

func (f fbm) at(x, y float32) float32 {
	var s, wsum float32
	wt := float32(1)
	for _, n := range f {
		s += wt * n.at(x, y)
		wsum += wt
		wt /= 2
	}
	return s / wsum
}

// mask is a coverage layer the size of the canvas; non-zero marks pixels
// covered by one object, for shading and ground truth.
type mask struct {
	w, h                   int
	on                     []bool
	minX, minY, maxX, maxY int // bounding box of set pixels, max exclusive
}

func newMask(w, h int) *mask {
	return &mask{w: w, h: h, on: make([]bool, w*h), minX: w, minY: h}
}

func (m *mask) empty() bool { return m.maxX <= m.minX || m.maxY <= m.minY }

func (m *mask) mark(x, y int) {
	m.on[y*m.w+x] = true
	m.minX, m.minY = min(m.minX, x), min(m.minY, y)
	m.maxX, m.maxY = max(m.maxX, x+1), max(m.maxY, y+1)
}

func clampBox(w, h int, x0, y0, x1, y1 float64) (int, int, int, int) {
	ix0 := max(0, int(math.Floor(x0)))
	iy0 := max(0, int(math.Floor(y0)))
	ix1 := min(w, int(math.Ceil(x1))+1)
	iy1 := min(h, int(math.Ceil(y1))+1)
	return ix0, iy0, ix1, iy1
}

// ellipse marks the pixels whose centres fall inside the ellipse centred at
// (cx, cy) with semi-axes a, b, rotated by angle radians.
func (m *mask) ellipse(cx, cy, a, b, angle float64) {
	if a <= 0 || b <= 0 {
		return
	}
	r := math.Max(a, b)
	x0, y0, x1, y1 := clampBox(m.w, m.h, cx-r, cy-r, cx+r, cy+r)
	sin, cos := math.Sincos(angle)
	ia, ib := 1/(a*a), 1/(b*b)
	for y := y0; y < y1; y++ {
		dy := float64(y) + 0.5 - cy
		for x := x0; x < x1; x++ {
			dx := float64(x) + 0.5 - cx
			u := dx*cos + dy*sin
			v := -dx*sin + dy*cos
			if u*u*ia+v*v*ib <= 1 {
				m.mark(x, y)
			}
		}
	}
}

// capsule marks the pixels within radius r of the segment (x0,y0)-(x1,y1).
func (m *mask) capsule(ax, ay, bx, by, r float64) {
	if r <= 0 {
		return
	}
	x0, y0, x1, y1 := clampBox(m.w, m.h, math.Min(ax, bx)-r, math.Min(ay, by)-r, math.Max(ax, bx)+r, math.Max(ay, by)+r)
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	r2 := r * r
	for y := y0; y < y1; y++ {
		py := float64(y) + 0.5
		for x := x0; x < x1; x++ {
			px := float64(x) + 0.5
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
			}
			ex, ey := px-(ax+t*dx), py-(ay+t*dy)
			if ex*ex+ey*ey <= r2 {
				m.mark(x, y)
			}
		}
	}
}

// rect marks an axis-aligned rectangle.
func (m *mask) rect(x0f, y0f, x1f, y1f float64) {
	x0, y0 := max(0, int(x0f)), max(0, int(y0f))
	x1, y1 := min(m.w, int(x1f)), min(m.h, int(y1f))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			m.mark(x, y)
		}
	}
}

// paint fills the mask's pixels on the canvas with colour f(x, y).
func (c *canvas) paint(m *mask, f func(x, y int) rgb) {
	for y := m.minY; y < m.maxY; y++ {
		row := y * m.w
		for x := m.minX; x < m.maxX; x++ {
			if m.on[row+x] {
				c.set(x, y, f(x, y))
			}
		}
	}
}
