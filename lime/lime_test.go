package lime_test

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/superpixel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scene draws objects of distinct colours on a noisy textured background.
func scene(w, h int, objects []image.Rectangle, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			base := 90 + 30*math.Sin(float64(x)/9)*math.Cos(float64(y)/7)
			c := color.RGBA{uint8(base + rng.Float64()*20), uint8(base + 20 + rng.Float64()*20), uint8(base/2 + rng.Float64()*20), 255}
			for i, o := range objects {
				if (image.Point{x, y}).In(o) {
					v := uint8(200 + rng.Float64()*30)
					c = color.RGBA{v, v - uint8(40*i), 60 + uint8(rng.Float64()*20), 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// visibleFraction is the best case for LIME: its score is the share of the
// objects' pixels that a perturbed image still shows unchanged.
func visibleFraction(orig *image.RGBA, objects []image.Rectangle) lime.Classifier {
	var total int
	for _, o := range objects {
		total += o.Dx() * o.Dy()
	}
	return lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		out := make([][]float64, len(imgs))
		for i, img := range imgs {
			p := img.(*image.RGBA)
			seen := 0
			for _, o := range objects {
				for y := o.Min.Y; y < o.Max.Y; y++ {
					for x := o.Min.X; x < o.Max.X; x++ {
						if p.RGBAAt(x, y) == orig.RGBAAt(x, y) {
							seen++
						}
					}
				}
			}
			f := float64(seen) / float64(total)
			out[i] = []float64{1 - f, f}
		}
		return out, nil
	})
}

func boxOf(r image.Rectangle) labelfree.Box {
	return labelfree.Box{X0: float64(r.Min.X), Y0: float64(r.Min.Y), X1: float64(r.Max.X), Y1: float64(r.Max.Y)}
}

func explainRow(t *testing.T, l *lime.ImageLIME, img image.Image) *labelfree.Row {
	t.Helper()
	r := labelfree.NewRow("img")
	labelfree.Set(r, labelfree.Image, img)
	require.NoError(t, l.Transform(context.Background(), r))
	return r
}

func TestOneObjectGivesItsBox(t *testing.T) {
	obj := image.Rect(50, 40, 110, 80)
	img := scene(160, 120, []image.Rectangle{obj}, 1)
	l := &lime.ImageLIME{Classifier: visibleFraction(img, []image.Rectangle{obj}), Class: 1}
	r := explainRow(t, l, img)
	ex, _ := labelfree.Get(r, lime.Explanations)
	require.NotNil(t, ex)
	assert.False(t, ex.LowFidelity)
	assert.Greater(t, ex.R2, 0.9)
	assert.InDelta(t, 1.0, ex.Probability, 1e-9)
	boxes, _ := labelfree.Get(r, labelfree.Boxes)
	require.Len(t, boxes, 1)
	assert.GreaterOrEqual(t, boxes[0].IoU(boxOf(obj)), 0.9, "box %v vs truth %v", boxes[0], obj)
	assert.Equal(t, 1, boxes[0].Class)
	assert.InDelta(t, 1.0, boxes[0].Score, 1e-9)
}

func TestTwoObjectsGiveTwoBoxes(t *testing.T) {
	objs := []image.Rectangle{image.Rect(15, 20, 65, 60), image.Rect(100, 60, 150, 105)}
	img := scene(160, 120, objs, 2)
	l := &lime.ImageLIME{Classifier: visibleFraction(img, objs), Class: 1}
	r := explainRow(t, l, img)
	boxes, _ := labelfree.Get(r, labelfree.Boxes)
	require.Len(t, boxes, 2)
	for _, o := range objs {
		best := 0.0
		for _, b := range boxes {
			best = math.Max(best, b.IoU(boxOf(o)))
		}
		assert.GreaterOrEqual(t, best, 0.8, "object %v boxes %v", o, boxes)
	}

	// The seed's single-box mode draws one rectangle around both.
	ex, _ := labelfree.Get(r, lime.Explanations)
	single := ex.Boxes(lime.BoxOptions{SingleBox: true, Share: 0.8})
	require.Len(t, single, 1)
	assert.Greater(t, single[0].Area(), boxOf(objs[0]).Area()+boxOf(objs[1]).Area())
}

func TestClassifierIgnoringTheImageIsFlagged(t *testing.T) {
	img := scene(96, 64, nil, 3)
	constant := lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		out := make([][]float64, len(imgs))
		for i := range out {
			out[i] = []float64{0.3, 0.7}
		}
		return out, nil
	})
	r := explainRow(t, &lime.ImageLIME{Classifier: constant, Class: -1, Samples: 200}, img)
	ex, _ := labelfree.Get(r, lime.Explanations)
	require.NotNil(t, ex)
	assert.Equal(t, 1, ex.Class, "class -1 explains the top class")
	assert.True(t, ex.LowFidelity)
	for _, w := range ex.Weights {
		assert.InDelta(t, 0, w, 1e-9)
	}
	boxes, _ := labelfree.Get(r, labelfree.Boxes)
	assert.Empty(t, boxes)
}

func TestRidgeRecoversALinearModel(t *testing.T) {
	// A classifier that is exactly linear in the superpixels: LIME with no
	// penalty must recover each coefficient.
	img := scene(64, 48, nil, 4)
	seg, err := superpixel.SLIC{Segments: 12}.Segment(context.Background(), img)
	require.NoError(t, err)
	coef := make([]float64, seg.N)
	for k := range coef {
		coef[k] = 0.02 * float64(k%5)
	}
	var mask []bool
	linear := lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		out := make([][]float64, len(imgs))
		for i, im := range imgs {
			mask = onSegments(seg, img, im.(*image.RGBA), mask)
			p := 0.1
			for k, on := range mask {
				if on {
					p += coef[k]
				}
			}
			out[i] = []float64{1 - p, p}
		}
		return out, nil
	})
	l := &lime.ImageLIME{Classifier: linear, Class: 1, RidgeAlpha: -1, Samples: 300}
	ex, err := l.Explain(context.Background(), img, seg, 7)
	require.NoError(t, err)
	for k := range coef {
		assert.InDelta(t, coef[k], ex.Weights[k], 1e-9, "segment %d", k)
	}
	assert.InDelta(t, 0.1, ex.Intercept, 1e-9)
	assert.InDelta(t, 1.0, ex.R2, 1e-9)
}

// onSegments tells which segments a perturbed image shows unchanged.
func onSegments(seg *superpixel.Segmentation, orig *image.RGBA, p *image.RGBA, buf []bool) []bool {
	buf = append(buf[:0], make([]bool, seg.N)...)
	for k := range buf {
		buf[k] = true
	}
	for y := 0; y < seg.Height; y++ {
		for x := 0; x < seg.Width; x++ {
			if p.RGBAAt(x, y) != orig.RGBAAt(x, y) {
				buf[seg.Labels[y*seg.Width+x]] = false
			}
		}
	}
	return buf
}

func TestDeterministicAtAnyParallelism(t *testing.T) {
	obj := image.Rect(20, 20, 60, 50)
	img := scene(96, 72, []image.Rectangle{obj}, 5)
	l := &lime.ImageLIME{Classifier: visibleFraction(img, []image.Rectangle{obj}), Class: 1, Samples: 150, Seed: 9}
	var want [][]float64
	for _, workers := range []int{1, 3} {
		rows := make([]*labelfree.Row, 4)
		for i := range rows {
			rows[i] = labelfree.NewRow(string(rune('a' + i)))
			labelfree.Set[image.Image](rows[i], labelfree.Image, img)
		}
		out, err := (&labelfree.Executor{Workers: workers}).Transform(context.Background(), l, labelfree.NewDataset(rows...))
		require.NoError(t, err)
		var got [][]float64
		for _, r := range out.Rows {
			ex, ok := labelfree.Get(r, lime.Explanations)
			require.True(t, ok)
			got = append(got, ex.Weights)
		}
		if want == nil {
			want = got
			assert.NotEqual(t, got[0], got[1], "rows draw different masks")
			continue
		}
		assert.Equal(t, want, got)
	}
}

func TestCancellationStopsAnExplanation(t *testing.T) {
	img := scene(64, 48, nil, 6)
	var calls atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	slow := lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		if calls.Add(1) == 2 {
			cancel()
		}
		out := make([][]float64, len(imgs))
		for i := range out {
			out[i] = []float64{0.5, 0.5}
		}
		return out, nil
	})
	l := &lime.ImageLIME{Classifier: slow, Samples: 100000, BatchSize: 10}
	r := labelfree.NewRow("x")
	labelfree.Set[image.Image](r, labelfree.Image, img)
	start := time.Now()
	err := l.Transform(ctx, r)
	require.ErrorIs(t, err, context.Canceled)
	assert.LessOrEqual(t, calls.Load(), int64(3))
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestValidate(t *testing.T) {
	ok := lime.ClassifierFunc(func(context.Context, []image.Image) ([][]float64, error) { return nil, nil })
	tests := []struct {
		field string
		l     lime.ImageLIME
	}{
		{"Classifier", lime.ImageLIME{}},
		{"Samples", lime.ImageLIME{Classifier: ok, Samples: 1}},
		{"KeepFraction", lime.ImageLIME{Classifier: ok, KeepFraction: 1}},
		{"Class", lime.ImageLIME{Classifier: ok, Class: -2}},
		{"MinFidelity", lime.ImageLIME{Classifier: ok, MinFidelity: 2}},
		{"Boxes.Share", lime.ImageLIME{Classifier: ok, Boxes: lime.BoxOptions{Share: 0.8, TopK: 3}}},
		{"Boxes.MinShare", lime.ImageLIME{Classifier: ok, Boxes: lime.BoxOptions{MinShare: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			var pe *labelfree.ParamError
			require.ErrorAs(t, tc.l.Validate(), &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.Equal(t, "ImageLIME", pe.Stage)
		})
	}
	assert.NoError(t, (&lime.ImageLIME{Classifier: ok}).Validate())
}

func TestClassifierErrorsFailTheRow(t *testing.T) {
	img := scene(32, 32, nil, 7)
	bad := lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		return [][]float64{{1}}, nil // wrong count
	})
	r := labelfree.NewRow("x")
	labelfree.Set[image.Image](r, labelfree.Image, img)
	err := (&lime.ImageLIME{Classifier: bad, Samples: 20, BatchSize: 5}).Transform(context.Background(), r)
	assert.ErrorContains(t, err, "returned 1 results for 5 images")
}

func TestSeedRuleKeepsTopShare(t *testing.T) {
	obj := image.Rect(40, 30, 100, 80)
	img := scene(160, 120, []image.Rectangle{obj}, 8)
	r := explainRow(t, &lime.ImageLIME{Classifier: visibleFraction(img, []image.Rectangle{obj}), Class: 1}, img)
	ex, _ := labelfree.Get(r, lime.Explanations)
	sel := ex.Selected(lime.BoxOptions{Share: 0.8})
	var sum, total float64
	for _, k := range sel {
		sum += ex.Weights[k]
	}
	for _, w := range ex.Weights {
		if w > 0 {
			total += w
		}
	}
	assert.GreaterOrEqual(t, sum, 0.8*total)
	// Dropping the last selected superpixel would fall short of the share.
	assert.Less(t, sum-ex.Weights[sel[len(sel)-1]], 0.8*total)
	for i := 1; i < len(sel); i++ {
		assert.GreaterOrEqual(t, ex.Weights[sel[i-1]], ex.Weights[sel[i]])
	}
	boxes := ex.Boxes(lime.BoxOptions{Share: 0.8, SingleBox: true})
	require.Len(t, boxes, 1)
	assert.Greater(t, boxes[0].IoU(boxOf(obj)), 0.5)

	top := ex.Selected(lime.BoxOptions{TopK: 3})
	assert.Equal(t, sel[:3], top)
}

func TestCheckpointedRunResumesWithoutRecomputing(t *testing.T) {
	obj := image.Rect(20, 20, 60, 50)
	img := scene(96, 72, []image.Rectangle{obj}, 10)
	var calls atomic.Int64
	base := visibleFraction(img, []image.Rectangle{obj})
	counted := lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		calls.Add(1)
		return base.Predict(ctx, imgs)
	})
	l := &lime.ImageLIME{Classifier: counted, Class: 1, Samples: 64, BatchSize: 64}
	rows := func() *labelfree.Dataset {
		var rs []*labelfree.Row
		for i := range 6 {
			r := labelfree.NewRow(string(rune('a' + i)))
			labelfree.Set[image.Image](r, labelfree.Image, img)
			rs = append(rs, r)
		}
		return labelfree.NewDataset(rs...)
	}
	dir := t.TempDir()
	ck, err := labelfree.OpenCheckpoint(dir)
	require.NoError(t, err)
	first, err := (&labelfree.Executor{Workers: 2, Checkpoint: ck}).Transform(context.Background(), l, rows())
	require.NoError(t, err)
	require.NoError(t, ck.Close())
	require.Equal(t, int64(6), calls.Load())

	ck, err = labelfree.OpenCheckpoint(dir)
	require.NoError(t, err)
	defer ck.Close()
	again, err := (&labelfree.Executor{Workers: 2, Checkpoint: ck}).Transform(context.Background(), l, rows())
	require.NoError(t, err)
	assert.Equal(t, int64(6), calls.Load(), "finished rows are restored, not recomputed")
	for i, r := range again.Rows {
		want, _ := labelfree.Get(first.Rows[i], lime.Explanations)
		got, ok := labelfree.Get(r, lime.Explanations)
		require.True(t, ok)
		assert.Equal(t, want.Weights, got.Weights)
		assert.Equal(t, want.Boxes(lime.BoxOptions{}), got.Boxes(lime.BoxOptions{}), "the restored segmentation still groups superpixels")
		wb, _ := labelfree.Get(first.Rows[i], labelfree.Boxes)
		gb, _ := labelfree.Get(r, labelfree.Boxes)
		assert.Equal(t, wb, gb)
	}
}

func BenchmarkOverhead(b *testing.B) {
	// LIME's own cost (segmenting, sampling, rendering, regression) with a
	// classifier that costs nothing.
	img := scene(320, 240, []image.Rectangle{image.Rect(100, 80, 200, 160)}, 11)
	free := lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		out := make([][]float64, len(imgs))
		for i := range out {
			out[i] = []float64{0.5, 0.5}
		}
		return out, nil
	})
	l := &lime.ImageLIME{Classifier: free, Class: 1, Segmenter: superpixel.SLIC{Segments: 200}}
	seg, err := superpixel.SLIC{Segments: 200}.Segment(context.Background(), img)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Explain(context.Background(), img, seg, 1); err != nil {
			b.Fatal(err)
		}
	}
}
