package dataset

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/labelfree/labelfree"
)

// AugmentStage is the Augment stage's name.
const AugmentStage = "dataset.Augment"

// Augment applies a random crop, horizontal flip, small rotation and colour
// jitter (brightness, contrast, saturation) to each row's Image, with
// disintegration/imaging. Each row draws its parameters from Row.Seed(Seed),
// so the result does not depend on parallelism, and copies made by
// Balance get different augmentations from their original.
//
// TrueBoxes, where present, are moved with the image: cropped, mirrored
// and, for a rotation, replaced by the bounds of the rotated box; a box
// left with under a quarter of its area is dropped. ImageBytes and
// ContentHash, which no longer describe the image, are removed, and
// Augmentation records what was done.
//
// Each transformation's zero value gives a moderate default; a negative
// value turns it off.
type Augment struct {
	// FlipProb is the probability of a horizontal flip; 0 means 0.5.
	FlipProb float64
	// MaxRotate is the largest rotation in degrees, either way; 0 means
	// 10. The rotated image keeps its size, corners filled with black.
	MaxRotate float64
	// MinCrop is the smallest share of each side a crop keeps, in (0, 1];
	// 0 means 0.8.
	MinCrop float64
	// Jitter is the largest relative change of brightness, contrast and
	// saturation; 0 means 0.2.
	Jitter float64
	// Splits lists the splits to augment; nil means rows in SplitTrain
	// and rows without a split. Other rows pass unchanged.
	Splits []string
	// Seed varies the augmentations.
	Seed uint64
}

// Info describes the stage.
func (a *Augment) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   AugmentStage,
		Reads:  []labelfree.ColumnRef{labelfree.Image.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Image.Ref(), Augmentation.Ref()},
	}
}

// Validate checks the parameters.
func (a *Augment) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: AugmentStage, Field: field, Reason: reason}
	}
	switch {
	case a.FlipProb > 1 || math.IsNaN(a.FlipProb):
		return bad("FlipProb", "must be at most 1")
	case a.MaxRotate > 45 || math.IsNaN(a.MaxRotate):
		return bad("MaxRotate", "must be at most 45 degrees")
	case a.MinCrop > 1 || math.IsNaN(a.MinCrop):
		return bad("MinCrop", "must be at most 1")
	case a.Jitter >= 1 || math.IsNaN(a.Jitter):
		return bad("Jitter", "must be below 1")
	}
	return nil
}

func param(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Transform augments one row.
func (a *Augment) Transform(ctx context.Context, r *labelfree.Row) error {
	if err := a.Validate(); err != nil {
		return err
	}
	split, hasSplit := labelfree.Get(r, Split)
	if a.Splits == nil {
		if hasSplit && split != SplitTrain {
			return nil
		}
	} else if !slices.Contains(a.Splits, split) {
		return nil
	}
	src, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(r.Seed(a.Seed), 0x617567))
	img := imaging.Clone(src)
	boxes, hasBoxes := labelfree.Get(r, labelfree.TrueBoxes)
	boxes = slices.Clone(boxes)
	var ops []string

	if mc := param(a.MinCrop, 0.8); mc > 0 && mc < 1 {
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		cw := max(1, int(float64(w)*(mc+(1-mc)*rng.Float64())))
		ch := max(1, int(float64(h)*(mc+(1-mc)*rng.Float64())))
		x0, y0 := rng.IntN(w-cw+1), rng.IntN(h-ch+1)
		rect := image.Rect(x0, y0, x0+cw, y0+ch)
		img = imaging.Crop(img, rect)
		boxes = moveBoxes(boxes, func(b labelfree.Box) labelfree.Box {
			b = b.Intersect(labelfree.Box{X0: float64(x0), Y0: float64(y0), X1: float64(x0 + cw), Y1: float64(y0 + ch)})
			b.X0, b.X1 = b.X0-float64(x0), b.X1-float64(x0)
			b.Y0, b.Y1 = b.Y0-float64(y0), b.Y1-float64(y0)
			return b
		})
		ops = append(ops, fmt.Sprintf("crop(%d,%d,%d,%d)", rect.Min.X, rect.Min.Y, rect.Max.X, rect.Max.Y))
	}
	if rng.Float64() < param(a.FlipProb, 0.5) {
		img = imaging.FlipH(img)
		w := float64(img.Bounds().Dx())
		boxes = moveBoxes(boxes, func(b labelfree.Box) labelfree.Box {
			b.X0, b.X1 = w-b.X1, w-b.X0
			return b
		})
		ops = append(ops, "flip")
	}
	if mr := param(a.MaxRotate, 10); mr > 0 {
		angle := (rng.Float64()*2 - 1) * mr
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		rot := imaging.Rotate(img, angle, color.Black)
		// Crop the rotated canvas back to the original size, centred.
		rw, rh := rot.Bounds().Dx(), rot.Bounds().Dy()
		ox, oy := (rw-w)/2, (rh-h)/2
		img = imaging.Crop(rot, image.Rect(ox, oy, ox+w, oy+h))
		cx, cy := float64(w)/2, float64(h)/2
		// imaging rotates counter-clockwise; in y-down pixel coordinates
		// that maps (dx, dy) to (dx cos + dy sin, -dx sin + dy cos).
		sin, cos := math.Sincos(angle * math.Pi / 180)
		boxes = moveBoxes(boxes, func(b labelfree.Box) labelfree.Box {
			x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
			for _, p := range [4][2]float64{{b.X0, b.Y0}, {b.X1, b.Y0}, {b.X0, b.Y1}, {b.X1, b.Y1}} {
				dx, dy := p[0]-cx, p[1]-cy
				x, y := cx+dx*cos+dy*sin, cy-dx*sin+dy*cos
				x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
			}
			r := b
			r.X0, r.Y0, r.X1, r.Y1 = x0, y0, x1, y1
			return r.Intersect(labelfree.Box{X1: float64(w), Y1: float64(h)})
		})
		ops = append(ops, fmt.Sprintf("rotate(%.2f)", angle))
	}
	if j := param(a.Jitter, 0.2); j > 0 {
		br, co, sa := (rng.Float64()*2-1)*j*100, (rng.Float64()*2-1)*j*100, (rng.Float64()*2-1)*j*100
		img = imaging.AdjustBrightness(img, br)
		img = imaging.AdjustContrast(img, co)
		img = imaging.AdjustSaturation(img, sa)
		ops = append(ops, fmt.Sprintf("brightness(%+.1f%%) contrast(%+.1f%%) saturation(%+.1f%%)", br, co, sa))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	labelfree.Set(r, labelfree.Image, image.Image(img))
	labelfree.Set(r, Size, img.Bounds().Size())
	labelfree.Set(r, Augmentation, strings.Join(ops, " "))
	labelfree.Delete(r, labelfree.ImageBytes)
	labelfree.Delete(r, ContentHash)
	if hasBoxes {
		labelfree.Set(r, labelfree.TrueBoxes, boxes)
	}
	return nil
}

// moveBoxes maps each box through f, dropping boxes left with less than a
// quarter of their area.
func moveBoxes(boxes []labelfree.Box, f func(labelfree.Box) labelfree.Box) []labelfree.Box {
	out := boxes[:0]
	for _, b := range boxes {
		nb := f(b)
		if nb.Area() >= 0.25*b.Area() && !nb.Empty() {
			out = append(out, nb)
		}
	}
	return out
}
