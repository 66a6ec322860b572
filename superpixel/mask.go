package superpixel

import (
	"fmt"
	"image"
	"image/color"
	"runtime"
)

// FillKind says how hidden segments are painted in a perturbed image.
type FillKind int

// Fill kinds.
const (
	// FillMean paints each hidden segment in its own mean colour
	// (Segment.Mean), as Python lime does with hide_color=None.
	FillMean FillKind = iota
	// FillSolid paints hidden segments in Fill.Color (lime's hide_color=0
	// is black).
	FillSolid
	// FillBlur shows hidden segments through a Gaussian blur of the image
	// of standard deviation Fill.Sigma: the shapes stay, the detail goes.
	FillBlur
)

// DefaultBlurSigma is FillBlur's standard deviation when Fill.Sigma is 0.
const DefaultBlurSigma = 5

// String returns the kind's name: "mean", "solid" or "blur".
func (k FillKind) String() string {
	switch k {
	case FillMean:
		return "mean"
	case FillSolid:
		return "solid"
	case FillBlur:
		return "blur"
	}
	return fmt.Sprintf("FillKind(%d)", int(k))
}

// A Fill says what hidden segments look like. The zero value is FillMean.
type Fill struct {
	Kind FillKind
	// Color is FillSolid's colour.
	Color color.RGBA
	// Sigma is FillBlur's standard deviation in pixels; 0 means
	// DefaultBlurSigma.
	Sigma float64
}

// A Masker renders perturbed copies of one image for LIME: segments switched
// on show the image, the others show the fill. NewMasker does the per-image
// work once (the image in RGBA, the fill image, the label runs); Mask then
// only copies runs of pixels, so each perturbed sample costs a few
// memmoves per superpixel row and no allocation.
//
// A Masker is safe for concurrent use as long as each goroutine renders
// into its own dst.
type Masker struct {
	seg  *Segmentation
	src  []uint8 // the image, packed RGBA
	fill []uint8 // the fill image, packed RGBA
	runs []maskRun
}

type maskRun struct {
	y, x0, x1, k int32
}

// NewMasker prepares the masking of src, which must have the
// segmentation's size.
func (s *Segmentation) NewMasker(src image.Image, fill Fill) (*Masker, error) {
	if src == nil {
		return nil, fmt.Errorf("superpixel: mask: %w: nil image", ErrEmpty)
	}
	w, h := s.Width, s.Height
	if b := src.Bounds(); b.Dx() != w || b.Dy() != h {
		return nil, fmt.Errorf("superpixel: mask: image is %d×%d, segmentation %d×%d", b.Dx(), b.Dy(), w, h)
	}
	if len(s.Segments) != s.N || len(s.Labels) != w*h {
		return nil, fmt.Errorf("superpixel: mask: segmentation is incomplete")
	}
	switch fill.Kind {
	case FillMean, FillSolid, FillBlur:
	default:
		return nil, fmt.Errorf("superpixel: mask: unknown fill kind %v", fill.Kind)
	}
	if fill.Kind == FillBlur && (fill.Sigma < 0 || fill.Sigma > 1000 || fill.Sigma != fill.Sigma) {
		return nil, fmt.Errorf("superpixel: mask: blur sigma %v not in [0, 1000]", fill.Sigma)
	}
	m := &Masker{seg: s, src: make([]uint8, 4*w*h), fill: make([]uint8, 4*w*h)}
	rr := newRowReader(src)
	for y := range h {
		copy(m.src[4*w*y:4*w*(y+1)], rr.row(y))
	}
	for y := range h {
		row := s.Labels[y*w : (y+1)*w]
		for i := 0; i < w; {
			k := row[i]
			j := i + 1
			for j < w && row[j] == k {
				j++
			}
			m.runs = append(m.runs, maskRun{int32(y), int32(i), int32(j), k})
			i = j
		}
	}
	switch fill.Kind {
	case FillMean, FillSolid:
		for _, r := range m.runs {
			c := fill.Color
			if fill.Kind == FillMean {
				c = s.Segments[r.k].Mean
			}
			px := m.fill[4*(int(r.y)*w+int(r.x0)) : 4*(int(r.y)*w+int(r.x1))]
			for i := 0; i < len(px); i += 4 {
				px[i], px[i+1], px[i+2], px[i+3] = c.R, c.G, c.B, c.A
			}
		}
	case FillBlur:
		sigma := fill.Sigma
		if sigma == 0 {
			sigma = DefaultBlurSigma
		}
		blurRGBA(m.fill, m.src, w, h, sigma)
	}
	return m, nil
}

// blurRGBA writes a Gaussian blur of the packed RGBA image src into dst.
func blurRGBA(dst, src []uint8, w, h int, sigma float64) {
	n := w * h
	plane, tmp := make([]float32, n), make([]float32, n)
	workers := runtime.GOMAXPROCS(0)
	if n < minParallelPixels {
		workers = 1
	}
	cr := newCrew(workers)
	defer cr.stop()
	for c := range 4 {
		for i := range plane {
			plane[i] = float32(src[4*i+c])
		}
		gaussianPlane(plane, tmp, w, h, sigma, cr)
		for i, v := range plane {
			dst[4*i+c] = uint8(min(255, max(0, v+0.5)))
		}
	}
}

// Segmentation returns the segmentation the masker was made from.
func (m *Masker) Segmentation() *Segmentation { return m.seg }

// NewImage returns an image of the right size for Mask.
func (m *Masker) NewImage() *image.RGBA {
	return image.NewRGBA(image.Rect(0, 0, m.seg.Width, m.seg.Height))
}

// Mask renders into dst the image with segment k shown where on[k] is true
// and filled where it is false. dst must have the segmentation's size (any
// origin and stride) and len(on) must be N. Mask does not allocate.
func (m *Masker) Mask(dst *image.RGBA, on []bool) error {
	w, h := m.seg.Width, m.seg.Height
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("superpixel: mask: destination must be %d×%d", w, h)
	}
	if len(on) != m.seg.N {
		return fmt.Errorf("superpixel: mask: %d switches for %d segments", len(on), m.seg.N)
	}
	base := dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y)
	for _, r := range m.runs {
		so := 4 * (int(r.y)*w + int(r.x0))
		n := 4 * int(r.x1-r.x0)
		do := base + int(r.y)*dst.Stride + 4*int(r.x0)
		if on[r.k] {
			copy(dst.Pix[do:do+n], m.src[so:so+n])
		} else {
			copy(dst.Pix[do:do+n], m.fill[so:so+n])
		}
	}
	return nil
}

// Mask is the one-off form of NewMasker and Masker.Mask. To render many
// perturbations of one image, make a Masker once instead.
func (s *Segmentation) Mask(dst *image.RGBA, src image.Image, on []bool, fill Fill) error {
	m, err := s.NewMasker(src, fill)
	if err != nil {
		return err
	}
	return m.Mask(dst, on)
}
