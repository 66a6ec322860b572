package labelfree

import (
	"fmt"
	"math"
)

// A Box is an axis-aligned rectangle in pixel coordinates of its image, with
// the origin at the top-left corner: X0 ≤ x < X1, Y0 ≤ y < Y1. Score is the
// confidence in [0, 1] of whoever produced the box and Class indexes the
// dataset's class names.
type Box struct {
	X0, Y0, X1, Y1 float64
	Score          float64
	Class          int
}

// Width returns X1-X0, or 0 for an empty box.
func (b Box) Width() float64 { return math.Max(0, b.X1-b.X0) }

// Height returns Y1-Y0, or 0 for an empty box.
func (b Box) Height() float64 { return math.Max(0, b.Y1-b.Y0) }

// Area returns the box's area in square pixels.
func (b Box) Area() float64 { return b.Width() * b.Height() }

// Empty reports whether the box has no area.
func (b Box) Empty() bool { return b.Area() == 0 }

// Intersect returns the overlap of b and o, with b's score and class.
func (b Box) Intersect(o Box) Box {
	r := b
	r.X0, r.Y0 = math.Max(b.X0, o.X0), math.Max(b.Y0, o.Y0)
	r.X1, r.Y1 = math.Min(b.X1, o.X1), math.Min(b.Y1, o.Y1)
	if r.X1 < r.X0 {
		r.X1 = r.X0
	}
	if r.Y1 < r.Y0 {
		r.Y1 = r.Y0
	}
	return r
}

// IoU returns the intersection over union of b and o, 0 when both are empty.
func (b Box) IoU(o Box) float64 {
	inter := b.Intersect(o).Area()
	union := b.Area() + o.Area() - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// Validate reports a box that is not a proper rectangle inside a w×h image.
func (b Box) Validate(w, h int) error {
	for _, v := range []float64{b.X0, b.Y0, b.X1, b.Y1, b.Score} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("box %v has a non-finite coordinate or score", b)
		}
	}
	switch {
	case b.X1 <= b.X0 || b.Y1 <= b.Y0:
		return fmt.Errorf("box %v has no area", b)
	case b.X0 < 0 || b.Y0 < 0 || b.X1 > float64(w) || b.Y1 > float64(h):
		return fmt.Errorf("box %v lies outside the %dx%d image", b, w, h)
	case b.Score < 0 || b.Score > 1:
		return fmt.Errorf("box %v has score outside [0, 1]", b)
	case b.Class < 0:
		return fmt.Errorf("box %v has a negative class", b)
	}
	return nil
}

// String formats the box as [x0,y0 x1,y1].
func (b Box) String() string {
	return fmt.Sprintf("[%.1f,%.1f %.1f,%.1f]", b.X0, b.Y0, b.X1, b.Y1)
}
