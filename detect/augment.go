package detect

import (
	"image"
	"math"
	"math/rand/v2"

	"github.com/labelfree/labelfree"
)

// Augment configures the random transformations applied to training
// images. Every transformation moves the boxes with the pixels. The zero
// value enables all of them with the defaults below; set Disable to train
// on the original images only.
type Augment struct {
	// Disable turns augmentation off.
	Disable bool
	// NoFlip disables horizontal mirroring (done with probability 1/2).
	NoFlip bool
	// MinScale is the smallest side of the random crop as a fraction of
	// the image's (the crop is then stretched to the input size, so this
	// also zooms in by up to 1/MinScale); 0 means 0.6, 1 disables
	// cropping.
	MinScale float64
	// Brightness, Contrast and Saturation are the largest relative
	// changes drawn uniformly in ±value; 0 means 0.25, 0.25 and 0.4,
	// negative disables.
	Brightness, Contrast, Saturation float64
	// Gray is the probability of turning the image grey, as infrared
	// night shots are; 0 means 0.1, negative disables.
	Gray float64
	// MinVisible drops a box from a crop when less than this share of its
	// area remains inside; 0 means 0.4.
	MinVisible float64
}

func (a Augment) withDefaults() Augment {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		} else if *v < 0 {
			*v = 0
		}
	}
	def(&a.MinScale, 0.6)
	def(&a.Brightness, 0.25)
	def(&a.Contrast, 0.25)
	def(&a.Saturation, 0.4)
	def(&a.Gray, 0.1)
	def(&a.MinVisible, 0.4)
	return a
}

// view is one training view of an image: a crop, a mirror flag and
// colour changes. The identity view has crop = image bounds and unit
// factors.
type view struct {
	crop                             image.Rectangle
	flip, gray                       bool
	brightness, contrast, saturation float64
}

func identityView(b image.Rectangle) view {
	return view{crop: b, brightness: 1, contrast: 1, saturation: 1}
}

// randomView draws a view of an image with bounds b.
func (a Augment) randomView(rng *rand.Rand, b image.Rectangle) view {
	v := identityView(b)
	if !a.NoFlip {
		v.flip = rng.IntN(2) == 1
	}
	if a.MinScale < 1 {
		s := a.MinScale + (1-a.MinScale)*rng.Float64()
		w := max(1, int(math.Round(s*float64(b.Dx()))))
		h := max(1, int(math.Round(s*float64(b.Dy()))))
		x0 := b.Min.X + rng.IntN(b.Dx()-w+1)
		y0 := b.Min.Y + rng.IntN(b.Dy()-h+1)
		v.crop = image.Rect(x0, y0, x0+w, y0+h)
	}
	jitter := func(m float64) float64 { return 1 + m*(2*rng.Float64()-1) }
	v.brightness = jitter(a.Brightness)
	v.contrast = jitter(a.Contrast)
	v.saturation = jitter(a.Saturation)
	v.gray = rng.Float64() < a.Gray
	return v
}

// boxes maps boxes from image coordinates into the view's input pixels
// (inW×inH), dropping those with less than minVisible of their area left.
func (v view) boxes(in []labelfree.Box, inW, inH int, minVisible float64) []labelfree.Box {
	cr := labelfree.Box{X0: float64(v.crop.Min.X), Y0: float64(v.crop.Min.Y), X1: float64(v.crop.Max.X), Y1: float64(v.crop.Max.Y)}
	sx := float64(inW) / float64(v.crop.Dx())
	sy := float64(inH) / float64(v.crop.Dy())
	var out []labelfree.Box
	for _, b := range in {
		c := b.Intersect(cr)
		if b.Area() <= 0 || c.Area() < minVisible*b.Area() || c.Empty() {
			continue
		}
		o := labelfree.Box{X0: (c.X0 - cr.X0) * sx, Y0: (c.Y0 - cr.Y0) * sy, X1: (c.X1 - cr.X0) * sx, Y1: (c.Y1 - cr.Y0) * sy, Score: b.Score, Class: b.Class}
		if v.flip {
			o.X0, o.X1 = float64(inW)-o.X1, float64(inW)-o.X0
		}
		out = append(out, o)
	}
	return out
}

// colour applies the view's colour changes to the RGBA pixels in place.
func (v view) colour(img *image.RGBA) {
	if v.brightness == 1 && v.contrast == 1 && v.saturation == 1 && !v.gray {
		return
	}
	// Contrast pivots on the image's mean luma.
	var sum float64
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		row := img.Pix[(y-img.Rect.Min.Y)*img.Stride:]
		for x := range img.Rect.Dx() {
			p := row[4*x:]
			sum += 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
			n++
		}
	}
	mean := sum / float64(max(n, 1))
	sat := v.saturation
	if v.gray {
		sat = 0
	}
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		row := img.Pix[(y-img.Rect.Min.Y)*img.Stride:]
		for x := range img.Rect.Dx() {
			p := row[4*x : 4*x+3]
			r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
			l := 0.299*r + 0.587*g + 0.114*b
			for c, ch := range [3]float64{r, g, b} {
				u := l + (ch-l)*sat
				u = (u-mean)*v.contrast + mean
				u *= v.brightness
				p[c] = uint8(math.Max(0, math.Min(255, math.Round(u))))
			}
		}
	}
}
