// Package annottest holds the sample set and comparisons that the format
// packages' tests share.
package annottest

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// Sample returns a set exercising what the formats hold: several classes,
// images with several boxes, one without objects, one with only an
// image-level label, a failed image, capture times, deployments and events,
// non-square sizes and boxes touching the image border.
func Sample() *annot.Set {
	t0 := time.Date(2024, 2, 11, 5, 3, 7, 0, time.UTC)
	return &annot.Set{
		Classes: []string{"snow leopard", "ibex", "person"},
		Images: []annot.Image{
			{File: "cam01/IMG_0001.JPG", Width: 640, Height: 480, Time: t0, Deployment: "cam01", Event: "cam01-0001", Split: "train",
				Boxes: []labelfree.Box{
					{X0: 12.5, Y0: 30.25, X1: 200, Y1: 333.75, Score: 0.91, Class: 0},
					{X0: 0, Y0: 0, X1: 640, Y1: 480, Score: 0.12, Class: 1},
				}, Labels: []int{0}},
			{File: "cam01/IMG_0002.JPG", Width: 640, Height: 480, Time: t0.Add(4 * time.Second), Deployment: "cam01", Event: "cam01-0001", Split: "train",
				Boxes: []labelfree.Box{{X0: 320.125, Y0: 100, X1: 639.5, Y1: 479, Score: 1, Class: 0}}, Labels: []int{0}},
			{File: "cam01/IMG_0003.JPG", Width: 640, Height: 480, Time: t0.Add(2 * time.Hour), Deployment: "cam01", Event: "cam01-0002", Split: "train",
				Boxes: []labelfree.Box{}},
			{File: "cam02/DSC 0004.jpg", Width: 1920, Height: 1080, Time: t0.Add(26 * time.Hour), Deployment: "cam02", Event: "cam02-0001", Split: "test",
				Boxes: []labelfree.Box{
					{X0: 100, Y0: 200, X1: 300.5, Y1: 250, Score: 0.5, Class: 2},
					{X0: 1000, Y0: 500, X1: 1919, Y1: 1079, Score: 0, Class: 0},
					{X0: 1, Y0: 2, X1: 3, Y1: 4, Score: 0.333333333333, Class: 1},
				}, Labels: []int{1}},
			{File: "cam02/DSC 0005.jpg", Width: 1080, Height: 1920, Time: t0.Add(26*time.Hour + 10*time.Second), Deployment: "cam02", Event: "cam02-0001", Split: "test",
				Labels: []int{1}, Boxes: []labelfree.Box{}},
			{File: "cam02/broken.jpg", Time: t0.Add(27 * time.Hour), Deployment: "cam02", Failure: "decode: unexpected EOF"},
		},
	}
}

// Holds says which parts of an image a format keeps, for Equal.
type Holds struct {
	Size, Score, Labels, Time, Deployment, Event, Failure, Split bool
	// Unlabelled keeps images with labels but no boxes; formats for
	// detector training skip them.
	Unlabelled bool
	// Tol is the coordinate tolerance in pixels (0 means 1e-6).
	Tol float64
}

// Expect returns what reading a written set back should give for a format
// that holds h: parts it does not hold are cleared, images it skips are
// removed.
func Expect(s *annot.Set, h Holds) *annot.Set {
	out := &annot.Set{Classes: slices.Clone(s.Classes)}
	for _, im := range s.Images {
		if !h.Failure && im.Failure != "" {
			continue
		}
		if !h.Unlabelled && len(im.Boxes) == 0 && len(im.Labels) > 0 {
			continue
		}
		im.Boxes = slices.Clone(im.Boxes)
		if !h.Score {
			for i := range im.Boxes {
				im.Boxes[i].Score = 0
			}
		}
		if !h.Labels {
			im.Labels = nil
		}
		if !h.Time {
			im.Time = time.Time{}
		}
		if !h.Deployment {
			im.Deployment = ""
		}
		if !h.Event {
			im.Event = ""
		}
		if !h.Split {
			im.Split = ""
		} else if im.Split == "" {
			im.Split = "train" // formats with splits put unsplit images in train
		}
		if !h.Size && im.Failure != "" {
			im.Width, im.Height = 0, 0
		}
		out.Images = append(out.Images, im)
	}
	return out
}

// Equal fails t unless got equals want, comparing box coordinates to within
// tol pixels and scores to within 1e-9.
func Equal(t testing.TB, want, got *annot.Set, tol float64) {
	t.Helper()
	if err := Diff(want, got, tol); err != nil {
		t.Fatal(err)
	}
}

// Diff returns an error describing the first difference between want and
// got, or nil.
func Diff(want, got *annot.Set, tol float64) error {
	if tol == 0 {
		tol = 1e-6
	}
	if !slices.Equal(want.Classes, got.Classes) {
		return fmt.Errorf("classes: want %q, got %q", want.Classes, got.Classes)
	}
	if len(want.Images) != len(got.Images) {
		return fmt.Errorf("want %d images, got %d", len(want.Images), len(got.Images))
	}
	for i := range want.Images {
		w, g := want.Images[i], got.Images[i]
		if w.File != g.File || w.Width != g.Width || w.Height != g.Height || w.Deployment != g.Deployment ||
			w.Event != g.Event || w.Split != g.Split || w.Failure != g.Failure || !w.Time.Equal(g.Time) || !slices.Equal(w.Labels, g.Labels) {
			return fmt.Errorf("image %d:\nwant %+v\ngot  %+v", i, w, g)
		}
		if len(w.Boxes) != len(g.Boxes) {
			return fmt.Errorf("image %q: want %d boxes, got %d", w.File, len(w.Boxes), len(g.Boxes))
		}
		for j := range w.Boxes {
			a, b := w.Boxes[j], g.Boxes[j]
			if a.Class != b.Class || math.Abs(a.Score-b.Score) > 1e-9 ||
				math.Abs(a.X0-b.X0) > tol || math.Abs(a.Y0-b.Y0) > tol || math.Abs(a.X1-b.X1) > tol || math.Abs(a.Y1-b.Y1) > tol {
				return fmt.Errorf("image %q box %d: want %+v, got %+v", w.File, j, a, b)
			}
		}
	}
	return nil
}
