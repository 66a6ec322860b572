package lime

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/labelfree/labelfree"
)

// Heatmap returns img with the explanation laid over it: superpixels with
// positive weight tinted green and negative ones red, in proportion to
// their weight per pixel relative to the strongest.
func (e *Explanation) Heatmap(img image.Image) *image.RGBA {
	seg := e.Segmentation
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	if seg == nil || seg.Width != b.Dx() || seg.Height != b.Dy() {
		return out
	}
	dens := make([]float64, seg.N)
	var peak float64
	for k, w := range e.Weights {
		dens[k] = w / float64(max(seg.Segments[k].Pixels, 1))
		peak = math.Max(peak, math.Abs(dens[k]))
	}
	if peak == 0 {
		return out
	}
	for y := 0; y < seg.Height; y++ {
		row := out.Pix[y*out.Stride:]
		for x := 0; x < seg.Width; x++ {
			a := dens[seg.Labels[y*seg.Width+x]] / peak * 0.6
			p := row[4*x : 4*x+3]
			if a > 0 {
				p[0] = uint8(float64(p[0]) * (1 - a))
				p[1] = uint8(float64(p[1])*(1-a) + 255*a)
				p[2] = uint8(float64(p[2]) * (1 - a))
			} else if a < 0 {
				a = -a
				p[0] = uint8(float64(p[0])*(1-a) + 255*a)
				p[1] = uint8(float64(p[1]) * (1 - a))
				p[2] = uint8(float64(p[2]) * (1 - a))
			}
		}
	}
	return out
}

// DrawBoxes draws each box's outline onto dst, thickness pixels wide,
// clipped to dst's bounds. Box coordinates are relative to dst.Bounds().Min.
func DrawBoxes(dst draw.Image, boxes []labelfree.Box, c color.Color, thickness int) {
	thickness = max(thickness, 1)
	origin := dst.Bounds().Min
	u := image.NewUniform(c)
	for _, bx := range boxes {
		r := image.Rect(int(math.Floor(bx.X0)), int(math.Floor(bx.Y0)), int(math.Ceil(bx.X1)), int(math.Ceil(bx.Y1))).Add(origin)
		t := thickness
		for _, edge := range []image.Rectangle{
			{r.Min, image.Pt(r.Max.X, r.Min.Y+t)},
			{image.Pt(r.Min.X, r.Max.Y-t), r.Max},
			{r.Min, image.Pt(r.Min.X+t, r.Max.Y)},
			{image.Pt(r.Max.X-t, r.Min.Y), r.Max},
		} {
			draw.Draw(dst, edge.Intersect(dst.Bounds()), u, image.Point{}, draw.Over)
		}
	}
}
