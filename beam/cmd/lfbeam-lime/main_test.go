package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
	lfbeam "github.com/labelfree/labelfree/beam"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/superpixel"
)

func TestMain(m *testing.M) {
	beam.Init()
	m.Run()
}

func init() { labelfree.Register[*brightness]() }

// brightness is a cheap classifier: class 1's probability is the mean
// brightness of the image.
type brightness struct{}

func (*brightness) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "brightness", Reads: []labelfree.ColumnRef{labelfree.Image.Ref()}, Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref()}}
}

func (*brightness) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	b := img.Bounds()
	sum := 0.0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			sum += float64(g.Y) / 255
		}
	}
	p := sum / float64(b.Dx()*b.Dy())
	labelfree.Set(r, labelfree.Probabilities, []float64{1 - p, p})
	return nil
}

// TestCommandEqualsLocalRun runs the command on prism over a dataset
// written by dataset.Write and checks its rows against dataset.Read,
// dataset.Decoder and ImageLIME run on the local executor.
func TestCommandEqualsLocalRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in := &labelfree.Dataset{Classes: []string{"leopard"}}
	for i, id := range []string{"bright", "broken", "dark"} {
		r := labelfree.NewRow(id)
		img := image.NewGray(image.Rect(0, 0, 32, 24))
		for p := range img.Pix {
			img.Pix[p] = uint8(40 + 60*i + p%50)
		}
		for y := 6; y < 16; y++ {
			for x := 8; x < 20; x++ {
				img.SetGray(x, y, color.Gray{Y: 250})
			}
		}
		var buf bytes.Buffer
		require.NoError(t, png.Encode(&buf, img))
		labelfree.Set(r, labelfree.ImageBytes, buf.Bytes())
		labelfree.Set(r, labelfree.Label, 0)
		in.Rows = append(in.Rows, r)
	}
	require.NoError(t, dataset.Write(ctx, dir, in, nil))
	// Damage one image after writing: its row fails on the worker that
	// reads it, as dataset.Read fails it.
	written, err := dataset.Read(ctx, dir, nil)
	require.NoError(t, err)
	broken, _ := labelfree.Get(written.Rows[1], labelfree.ImagePath)
	require.NoError(t, os.WriteFile(broken, []byte("not an image"), 0o644))
	classifier := &labelfree.PipelineModel{Stages: []labelfree.Stage{&brightness{}}}
	modelPath := filepath.Join(t.TempDir(), "classifier.lfm")
	require.NoError(t, labelfree.SaveFile(modelPath, classifier))
	out := filepath.Join(t.TempDir(), "rows")

	*datasetDir, *classifierPath, *output, *samples, *segments, *seed = dir, modelPath, out, 64, 12, 3
	require.NoError(t, run(ctx))
	got, err := lfbeam.ReadRows(ctx, out)
	require.NoError(t, err)

	want, err := dataset.Read(ctx, dir, &dataset.ReadOptions{LoadImages: true})
	require.NoError(t, err)
	l := &lime.ImageLIME{Classifier: lime.PipelineClassifier{Model: classifier}, Samples: 64, Segmenter: superpixel.SLIC{Segments: 12}, Seed: 3}
	want, err = (&labelfree.Executor{}).Transform(ctx, &labelfree.PipelineModel{Stages: []labelfree.Stage{&dataset.Decoder{}, l}}, want)
	require.NoError(t, err)

	require.Len(t, got.Rows, len(want.Rows))
	for i := range want.Rows {
		w, err := want.Rows[i].MarshalBinary()
		require.NoError(t, err)
		g, err := got.Rows[i].MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, w, g, "row %s", want.Rows[i].ID)
		_, ok := labelfree.Get(got.Rows[i], lime.Explanations)
		require.Equal(t, got.Rows[i].Err == nil, ok, "row %s: explained unless failed", got.Rows[i].ID)
	}
	require.Len(t, got.Failed(), 1)
	require.Equal(t, dataset.ReadStage, got.Rows[1].Err.Stage)
}
