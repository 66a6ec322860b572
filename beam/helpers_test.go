package lfbeam_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
	lfbeam "github.com/labelfree/labelfree/beam"
	"github.com/labelfree/labelfree/features"
)

// TestMain initialises Beam (workers run in this process on prism).
func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

func init() {
	labelfree.Register[*redness]()
	labelfree.Register[*doubler]()
	features.RegisterBackbone("lfbeam-test-mean", func(b []byte) (features.Backbone, error) {
		if len(b) != 1 {
			return nil, errors.New("bad mean backbone")
		}
		return &meanBackbone{Dim: int(b[0])}, nil
	})
}

// redness is a cheap classifier stage: the probability of class 1 is the
// share of clearly red pixels. It fails rows whose image has fewer than
// four pixels.
type redness struct {
	// Threshold is the red margin over green and blue.
	Threshold int
}

func (*redness) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "redness", Reads: []labelfree.ColumnRef{labelfree.Image.Ref()}, Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref()}}
}

func (s *redness) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	b := img.Bounds()
	if b.Dx()*b.Dy() < 4 {
		return errors.New("image too small")
	}
	red := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if int(cr>>8) > int(cg>>8)+s.Threshold && int(cr>>8) > int(cb>>8)+s.Threshold {
				red++
			}
		}
	}
	p := float64(red) / float64(b.Dx()*b.Dy())
	labelfree.Set(r, labelfree.Probabilities, []float64{1 - p, p})
	return nil
}

// doubler is a BatchTransformer: it writes Prediction = 2·Label, fails
// rows with a negative label, and counts batches.
type doubler struct{ Batch int }

func (*doubler) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "doubler", Reads: []labelfree.ColumnRef{labelfree.Label.Ref()}, Writes: []labelfree.ColumnRef{labelfree.Prediction.Ref()}}
}

func (d *doubler) BatchSize() int { return d.Batch }

func (d *doubler) Transform(ctx context.Context, r *labelfree.Row) error {
	l, err := labelfree.MustGet(r, labelfree.Label)
	if err != nil {
		return err
	}
	if l < 0 {
		return fmt.Errorf("label %d is negative", l)
	}
	labelfree.Set(r, labelfree.Prediction, 2*l)
	return nil
}

func (d *doubler) TransformBatch(ctx context.Context, rows []*labelfree.Row) error {
	if len(rows) > d.Batch {
		return fmt.Errorf("batch of %d rows, more than %d", len(rows), d.Batch)
	}
	for _, r := range rows {
		if err := d.Transform(ctx, r); err != nil {
			r.Fail("doubler", err)
		}
	}
	return nil
}

// meanBackbone is a fake network: per channel, the mean and the mean of
// squares of the 8×8 input, then zeros up to Dim.
type meanBackbone struct{ Dim int }

func (m *meanBackbone) Spec() features.InputSpec {
	return features.InputSpec{Width: 8, Height: 8, Layout: features.NCHW, Colour: features.RGB, Std: features.UnitStd, Dim: m.Dim}
}

func (m *meanBackbone) Embed(ctx context.Context, x []float32, n int) ([][]float32, error) {
	out := make([][]float32, n)
	for i := range out {
		e := make([]float32, m.Dim)
		for c := 0; c < 3; c++ {
			var s, q float32
			for _, v := range x[i*192+c*64 : i*192+(c+1)*64] {
				s += v
				q += v * v
			}
			e[2*c], e[2*c+1] = s/64, q/64
		}
		out[i] = e
	}
	return out, nil
}

func (m *meanBackbone) MarshalBinary() ([]byte, error) { return []byte{byte(m.Dim)}, nil }
func (m *meanBackbone) BackboneKind() string           { return "lfbeam-test-mean" }

// scene draws a w×h noisy background with red squares at objects.
func scene(w, h int, objects []image.Rectangle, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g := uint8(90 + rng.IntN(40))
			img.SetRGBA(x, y, color.RGBA{g, g + 20, g, 255})
		}
	}
	for _, o := range objects {
		for y := o.Min.Y; y < o.Max.Y; y++ {
			for x := o.Min.X; x < o.Max.X; x++ {
				img.SetRGBA(x, y, color.RGBA{220, uint8(20 + rng.IntN(20)), 30, 255})
			}
		}
	}
	return img
}

func pngBytes(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// runPipeline runs p on prism and reads back what build wrote with
// lfbeam.WriteRows.
func runPipeline(t testing.TB, build func(s beam.Scope, out string)) *labelfree.Dataset {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rows")
	p, s := beam.NewPipelineWithRoot()
	build(s, out)
	require.NoError(t, ptest.Run(p))
	ds, err := lfbeam.ReadRows(context.Background(), out)
	require.NoError(t, err)
	return ds
}

// requireSameRows checks two datasets hold the same rows, in the same
// order, byte for byte in their encoded form (ID, error stage and
// message, and every column).
func requireSameRows(t testing.TB, want, got *labelfree.Dataset) {
	t.Helper()
	require.Len(t, got.Rows, len(want.Rows))
	for i := range want.Rows {
		w, err := want.Rows[i].MarshalBinary()
		require.NoError(t, err)
		g, err := got.Rows[i].MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, want.Rows[i].ID, got.Rows[i].ID, "row %d", i)
		require.Equal(t, fmt.Sprint(want.Rows[i].Err), fmt.Sprint(got.Rows[i].Err), "row %s", want.Rows[i].ID)
		require.Equal(t, want.Rows[i].ColumnNames(), got.Rows[i].ColumnNames(), "row %s", want.Rows[i].ID)
		require.True(t, bytes.Equal(w, g), "row %s differs", want.Rows[i].ID)
	}
}

// cloneDataset deep-copies rows through their encoding.
func cloneDataset(t testing.TB, ds *labelfree.Dataset) *labelfree.Dataset {
	out := &labelfree.Dataset{Classes: ds.Classes}
	for _, r := range ds.Rows {
		b, err := r.MarshalBinary()
		require.NoError(t, err)
		c := &labelfree.Row{}
		require.NoError(t, c.UnmarshalBinary(b))
		out.Rows = append(out.Rows, c)
	}
	return out
}

func tempDir(t testing.TB) string {
	d, err := os.MkdirTemp(t.TempDir(), "ds")
	require.NoError(t, err)
	return d
}
