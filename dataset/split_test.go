package dataset

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func labelled(counts ...int) *labelfree.Dataset {
	ds := &labelfree.Dataset{}
	for c, n := range counts {
		ds.Classes = append(ds.Classes, fmt.Sprint("class", c))
		for i := range n {
			r := labelfree.NewRow(fmt.Sprintf("c%d-%d", c, i))
			labelfree.Set(r, labelfree.Label, c)
			ds.Rows = append(ds.Rows, r)
		}
	}
	return ds
}

func splits(ds *labelfree.Dataset) map[string]string {
	out := map[string]string{}
	for _, r := range ds.Rows {
		s, _ := labelfree.Get(r, Split)
		out[r.ID] = s
	}
	return out
}

func TestTrainTestSplit(t *testing.T) {
	ds := run(t, &TrainTestSplit{TestFraction: 0.25, Seed: 1}, labelled(100, 40, 2, 1))
	test := map[int]int{}
	for _, r := range ds.Rows {
		s, ok := labelfree.Get(r, Split)
		require.True(t, ok)
		require.Contains(t, []string{SplitTrain, SplitTest}, s)
		if s == SplitTest {
			l, _ := labelfree.Get(r, labelfree.Label)
			test[l]++
		}
	}
	assert.Equal(t, map[int]int{0: 25, 1: 10, 2: 1}, test, "stratified; tiny classes keep a train row")

	// Seeded and independent of row order.
	a := splits(run(t, &TrainTestSplit{Seed: 7}, labelled(50, 50)))
	rev := labelled(50, 50)
	for i, j := 0, len(rev.Rows)-1; i < j; i, j = i+1, j-1 {
		rev.Rows[i], rev.Rows[j] = rev.Rows[j], rev.Rows[i]
	}
	assert.Equal(t, a, splits(run(t, &TrainTestSplit{Seed: 7}, rev)))
	assert.NotEqual(t, a, splits(run(t, &TrainTestSplit{Seed: 8}, labelled(50, 50))))

	// Copies follow their original.
	ds = labelled(10, 3)
	ds = run(t, &Balance{Oversample: true, Seed: 1}, ds)
	ds = run(t, &TrainTestSplit{Seed: 3, TestFraction: 0.3}, ds)
	sp := splits(ds)
	for id, s := range sp {
		assert.Equal(t, sp[groupKey(id)], s, id)
	}

	_, err := (&labelfree.Executor{}).Transform(t.Context(), &TrainTestSplit{TestFraction: 1}, ds)
	var pe *labelfree.ParamError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "TestFraction", pe.Field)
}

func TestBalance(t *testing.T) {
	count := func(ds *labelfree.Dataset) map[int]int {
		m := map[int]int{}
		for _, r := range ds.OK() {
			l, _ := labelfree.Get(r, labelfree.Label)
			m[l]++
		}
		return m
	}
	ds := run(t, &Balance{Seed: 1}, labelled(30, 10, 12))
	assert.Equal(t, map[int]int{0: 10, 1: 10, 2: 10}, count(ds))
	assert.Len(t, ds.Rows, 52, "surplus rows are set aside, not dropped")
	for _, r := range ds.Failed() {
		assert.ErrorIs(t, r.Err, ErrSurplus)
	}

	ds = run(t, &Balance{Oversample: true, Seed: 1}, labelled(30, 10, 12))
	assert.Equal(t, map[int]int{0: 30, 1: 30, 2: 30}, count(ds))
	assert.Len(t, ds.Rows, 90)
	ids := map[string]bool{}
	for _, r := range ds.Rows {
		require.False(t, ids[r.ID], "unique IDs")
		ids[r.ID] = true
	}

	ds = run(t, &Balance{MaxPerClass: 5}, labelled(30, 10, 12))
	assert.Equal(t, map[int]int{0: 5, 1: 5, 2: 5}, count(ds))

	// Seeded choice independent of order.
	pick := func(seed uint64) map[string]bool {
		out := map[string]bool{}
		for _, r := range run(t, &Balance{Seed: seed}, labelled(20, 5)).OK() {
			out[r.ID] = true
		}
		return out
	}
	assert.Equal(t, pick(4), pick(4))
	assert.NotEqual(t, pick(4), pick(5))

	// Only one split.
	ds = run(t, &TrainTestSplit{Seed: 1}, labelled(40, 10))
	ds = run(t, &Balance{Split: SplitTrain}, ds)
	test := 0
	for _, r := range ds.OK() {
		if s, _ := labelfree.Get(r, Split); s == SplitTest {
			test++
		}
	}
	assert.Equal(t, 10, test, "test rows untouched")
}

// boxImage draws a white rectangle on black.
func boxImage(w, h int, b labelfree.Box) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{0, 0, 0, 255}
			if float64(x) >= b.X0 && float64(x) < b.X1 && float64(y) >= b.Y0 && float64(y) < b.Y1 {
				c = color.RGBA{255, 255, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// whiteBounds returns the bounds of the bright pixels.
func whiteBounds(img image.Image) labelfree.Box {
	b := img.Bounds()
	out := labelfree.Box{X0: math.Inf(1), Y0: math.Inf(1), X1: math.Inf(-1), Y1: math.Inf(-1)}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r > 0x8000 {
				out.X0, out.Y0 = math.Min(out.X0, float64(x)), math.Min(out.Y0, float64(y))
				out.X1, out.Y1 = math.Max(out.X1, float64(x+1)), math.Max(out.Y1, float64(y+1))
			}
		}
	}
	return out
}

func TestAugmentMovesBoxes(t *testing.T) {
	truth := labelfree.Box{X0: 60, Y0: 40, X1: 140, Y1: 90, Score: 1, Class: 1}
	var ds labelfree.Dataset
	for i := range 40 {
		r := labelfree.NewRow(fmt.Sprint(i))
		labelfree.Set(r, labelfree.Image, image.Image(boxImage(200, 150, truth)))
		labelfree.Set(r, labelfree.TrueBoxes, []labelfree.Box{truth})
		labelfree.Set(r, labelfree.ImageBytes, []byte("stale"))
		ds.Rows = append(ds.Rows, r)
	}
	out := run(t, &Augment{Jitter: -1, MaxRotate: 20, MinCrop: 0.7, Seed: 3}, &ds)
	flips, rotated := 0, 0
	for _, r := range out.Rows {
		require.Nil(t, r.Err)
		img, _ := labelfree.Get(r, labelfree.Image)
		boxes, _ := labelfree.Get(r, labelfree.TrueBoxes)
		op, _ := labelfree.Get(r, Augmentation)
		_, stale := labelfree.Get(r, labelfree.ImageBytes)
		assert.False(t, stale, "stale bytes removed")
		if len(boxes) == 0 {
			continue // cropped away
		}
		require.Len(t, boxes, 1)
		require.NoError(t, boxes[0].Validate(img.Bounds().Dx(), img.Bounds().Dy()))
		got := whiteBounds(img)
		assert.Greater(t, boxes[0].IoU(got), 0.8, "row %s %s: box %v, pixels %v", r.ID, op, boxes[0], got)
		if strings.Contains(op, "flip") {
			flips++
		}
		if strings.Contains(op, "rotate") {
			rotated++
		}
	}
	assert.Greater(t, flips, 5)
	assert.Greater(t, rotated, 30)
}

func TestAugmentDeterministicAndSplits(t *testing.T) {
	mk := func(id, split string) *labelfree.Row {
		r := labelfree.NewRow(id)
		labelfree.Set(r, labelfree.Image, image.Image(scene(t, 5)))
		if split != "" {
			labelfree.Set(r, Split, split)
		}
		return r
	}
	a := run(t, &Augment{Seed: 1}, labelfree.NewDataset(mk("x", ""), mk("y", SplitTrain), mk("z", SplitTest)))
	b := run(t, &Augment{Seed: 1}, labelfree.NewDataset(mk("x", ""), mk("y", SplitTrain), mk("z", SplitTest)))
	for i := range a.Rows {
		ai, _ := labelfree.Get(a.Rows[i], labelfree.Image)
		bi, _ := labelfree.Get(b.Rows[i], labelfree.Image)
		assert.Equal(t, ai, bi)
	}
	_, augmented := labelfree.Get(a.Rows[0], Augmentation)
	assert.True(t, augmented)
	_, augmented = labelfree.Get(a.Rows[2], Augmentation)
	assert.False(t, augmented, "test rows are not augmented")
	ox, _ := labelfree.Get(a.Rows[0], Augmentation)
	oy, _ := labelfree.Get(a.Rows[1], Augmentation)
	assert.NotEqual(t, ox, oy, "rows get their own parameters")

	c := run(t, &Augment{Seed: 1, Splits: []string{SplitTest}}, labelfree.NewDataset(mk("z", SplitTest)))
	_, augmented = labelfree.Get(c.Rows[0], Augmentation)
	assert.True(t, augmented)

	for _, bad := range []*Augment{{FlipProb: 2}, {MaxRotate: 90}, {MinCrop: 1.5}, {Jitter: 1}} {
		_, err := (&labelfree.Executor{}).Transform(t.Context(), bad, a)
		var pe *labelfree.ParamError
		require.ErrorAs(t, err, &pe)
	}
}
