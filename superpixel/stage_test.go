package superpixel

import (
	"bytes"
	"context"
	"errors"
	"image"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/require"
)

func TestStageInPipeline(t *testing.T) {
	ctx := context.Background()
	var rows []*labelfree.Row
	for i := range 5 {
		r := labelfree.NewRow("")
		labelfree.Set[image.Image](r, labelfree.Image, makeScene(uint64(20+i), 96, 64).img)
		rows = append(rows, r)
	}
	noImage := labelfree.NewRow("no-image")
	empty := labelfree.NewRow("empty")
	labelfree.Set[image.Image](empty, labelfree.Image, image.NewRGBA(image.Rect(0, 0, 0, 0)))
	ds := labelfree.NewDataset(append(rows, noImage, empty)...)

	stage := &Transformer{SLIC: SLIC{Segments: 50}}
	p, err := labelfree.NewPipeline(stage)
	require.NoError(t, err)
	model, out, err := (&labelfree.Executor{Workers: 2}).Fit(ctx, p, ds)
	require.NoError(t, err)
	for i, r := range out.Rows[:5] {
		require.Nil(t, r.Err)
		seg, ok := labelfree.Get(r, Segments)
		require.True(t, ok)
		want, err := SLIC{Segments: 50}.Segment(ctx, makeScene(uint64(20+i), 96, 64).img)
		require.NoError(t, err)
		require.Equal(t, want.Labels, seg.Labels)
	}
	require.ErrorContains(t, noImage.Err, "image")
	require.ErrorIs(t, empty.Err, ErrEmpty)
	require.Equal(t, 2, out.Reports[len(out.Reports)-1].Failed)

	// The fitted model saves and loads with its parameters.
	var buf bytes.Buffer
	require.NoError(t, labelfree.Save(&buf, model))
	loaded, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	require.Len(t, loaded.Stages, 1)
	require.Equal(t, stage, loaded.Stages[0])
}

func TestStageValidation(t *testing.T) {
	_, err := labelfree.NewPipeline(&Transformer{SLIC: SLIC{Compactness: -1}})
	var pe *labelfree.ParamError
	require.True(t, errors.As(err, &pe), "%v", err)
	require.Equal(t, "Compactness", pe.Field)

	require.True(t, (&Transformer{}).Recomputable())
	info := (&Transformer{}).Info()
	require.Equal(t, "superpixel", info.Name)
	require.Equal(t, []labelfree.ColumnRef{labelfree.Image.Ref()}, info.Reads)
	require.Equal(t, []labelfree.ColumnRef{Segments.Ref()}, info.Writes)
}

func TestStageCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := labelfree.NewRow("a")
	labelfree.Set[image.Image](r, labelfree.Image, makeScene(1, 50, 40).img)
	require.ErrorIs(t, (&Transformer{}).Transform(ctx, r), context.Canceled)
}
