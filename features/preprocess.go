package features

import (
	"fmt"
	"image"
	"math"

	"golang.org/x/image/draw"
)

// CropMode says how an image's aspect ratio is matched to the network's.
type CropMode int

const (
	// CenterCrop scales the image so it covers the input and cuts the
	// overflow equally from both sides (torchvision's Resize + CenterCrop),
	// keeping the aspect ratio.
	CenterCrop CropMode = iota
	// Stretch scales the whole image to the input size, distorting the
	// aspect ratio (what nsfwjs and many TF.js models do).
	Stretch
)

// String names the mode.
func (m CropMode) String() string {
	switch m {
	case CenterCrop:
		return "CenterCrop"
	case Stretch:
		return "Stretch"
	}
	return fmt.Sprintf("CropMode(%d)", int(m))
}

// cropRect returns the source rectangle that maps onto the w×h input.
// fraction in (0, 1] keeps that share of the covering rectangle's sides
// (torchvision's 224/256 = 0.875).
func cropRect(b image.Rectangle, w, h int, mode CropMode, fraction float64) image.Rectangle {
	if mode == Stretch {
		return b
	}
	sw, sh := float64(b.Dx()), float64(b.Dy())
	// The largest rectangle of aspect w:h inside the source.
	cw, ch := sw, sw*float64(h)/float64(w)
	if ch > sh {
		cw, ch = sh*float64(w)/float64(h), sh
	}
	cw, ch = cw*fraction, ch*fraction
	x0 := b.Min.X + int(math.Round((sw-cw)/2))
	y0 := b.Min.Y + int(math.Round((sh-ch)/2))
	r := image.Rect(x0, y0, x0+max(1, int(math.Round(cw))), y0+max(1, int(math.Round(ch))))
	return r.Intersect(b)
}

// preprocess resizes img to the spec's input and writes its normalised
// values into dst (spec.imageLen() values, in the spec's layout for one
// image). scratch is a reusable w×h RGBA image.
func preprocess(dst []float32, img image.Image, spec InputSpec, mode CropMode, fraction float64, scratch *image.RGBA) error {
	b := img.Bounds()
	if b.Empty() {
		return fmt.Errorf("image is empty (%v)", b)
	}
	w, h := spec.Width, spec.Height
	sr := cropRect(b, w, h, mode, fraction)
	if sr.Empty() {
		return fmt.Errorf("crop of %v is empty", b)
	}
	// BiLinear is a kernel scaler: when it shrinks it widens its kernel,
	// so large photos are filtered rather than aliased.
	draw.BiLinear.Scale(scratch, scratch.Bounds(), img, sr, draw.Src, nil)

	pix := scratch.Pix
	stride := scratch.Stride
	ch := spec.Colour.Channels()
	var scale, shift [3]float32
	for c := range ch {
		scale[c] = 1 / (255 * spec.Std[c])
		shift[c] = -spec.Mean[c] / spec.Std[c]
	}
	plane := w * h
	for y := range h {
		row := pix[y*stride : y*stride+4*w]
		for x := range w {
			p := row[4*x : 4*x+4 : 4*x+4]
			var v [3]float32
			switch spec.Colour {
			case RGB:
				v = [3]float32{float32(p[0]), float32(p[1]), float32(p[2])}
			case BGR:
				v = [3]float32{float32(p[2]), float32(p[1]), float32(p[0])}
			case Gray:
				// image/color's luma weights (ITU-R 601).
				v[0] = (19595*float32(p[0]) + 38470*float32(p[1]) + 7471*float32(p[2])) / 65536
			}
			i := y*w + x
			for c := range ch {
				f := v[c]*scale[c] + shift[c]
				if spec.Layout == NCHW {
					dst[c*plane+i] = f
				} else {
					dst[i*ch+c] = f
				}
			}
		}
	}
	return nil
}
