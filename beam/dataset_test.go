package lfbeam_test

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
	lfbeam "github.com/labelfree/labelfree/beam"
	"github.com/labelfree/labelfree/dataset"
)

// writtenDataset writes a small dataset with dataset.Write: PNG images in
// two classes, splits, true boxes, a failed row, and then one image file
// altered and one removed after writing.
func writtenDataset(t *testing.T) string {
	ctx := context.Background()
	ds := &labelfree.Dataset{Classes: []string{"empty", "snow leopard"}}
	for i := range 9 {
		r := labelfree.NewRow("img-" + string(rune('a'+i)))
		var obj []image.Rectangle
		if i%2 == 1 {
			obj = []image.Rectangle{image.Rect(3, 3, 12, 12)}
			labelfree.Set(r, labelfree.TrueBoxes, []labelfree.Box{{X0: 3, Y0: 3, X1: 12, Y1: 12, Score: 1, Class: 1}})
		}
		labelfree.Set(r, labelfree.ImageBytes, pngBytes(t, scene(20, 16, obj, uint64(i))))
		labelfree.Set(r, labelfree.Label, i%2)
		split := dataset.SplitTrain
		if i%3 == 0 {
			split = dataset.SplitTest
		}
		labelfree.Set(r, dataset.Split, split)
		ds.Rows = append(ds.Rows, r)
	}
	ds.Rows[4].Fail("dataset.Download", errors.New("HTTP 404"))
	dir := tempDir(t)
	require.NoError(t, dataset.Write(ctx, dir, ds, nil))
	read, err := dataset.Read(ctx, dir, nil)
	require.NoError(t, err)
	p2, _ := labelfree.Get(read.Rows[2], labelfree.ImagePath)
	require.NoError(t, os.WriteFile(p2, []byte("altered"), 0o644))
	p5, _ := labelfree.Get(read.Rows[5], labelfree.ImagePath)
	require.NoError(t, os.Remove(p5))
	return dir
}

func TestReadDatasetEqualsDatasetRead(t *testing.T) {
	ctx := context.Background()
	dir := writtenDataset(t)
	for _, load := range []bool{false, true} {
		opts := &dataset.ReadOptions{LoadImages: load}
		want, err := dataset.Read(ctx, dir, opts)
		require.NoError(t, err)
		if load {
			require.Len(t, want.Failed(), 3)
		}
		var classes []string
		got := runPipeline(t, func(s beam.Scope, out string) {
			rows, cl, err := lfbeam.ReadDataset(ctx, s, dir, opts)
			require.NoError(t, err)
			classes = cl
			require.NoError(t, lfbeam.WriteRows(s, out, rows))
		})
		require.Equal(t, want.Classes, classes)
		requireSameRows(t, want, got)
	}
}

func TestWriteDatasetEqualsDatasetWrite(t *testing.T) {
	ctx := context.Background()
	dir := writtenDataset(t)
	in, err := dataset.Read(ctx, dir, &dataset.ReadOptions{LoadImages: true})
	require.NoError(t, err)
	local := tempDir(t)
	require.NoError(t, dataset.Write(ctx, local, in, nil))

	dist := tempDir(t)
	p, s := beam.NewPipelineWithRoot()
	rows, classes, err := lfbeam.ReadDataset(ctx, s, dir, &dataset.ReadOptions{LoadImages: true})
	require.NoError(t, err)
	require.NoError(t, lfbeam.WriteDataset(s, dist, classes, rows, nil))
	require.NoError(t, ptest.Run(p))

	want, err := dataset.Read(ctx, local, &dataset.ReadOptions{LoadImages: true})
	require.NoError(t, err)
	got, err := dataset.Read(ctx, dist, &dataset.ReadOptions{LoadImages: true})
	require.NoError(t, err)
	require.Equal(t, want.Classes, got.Classes)
	for _, ds := range []*labelfree.Dataset{want, got} {
		for _, r := range ds.Rows {
			pth, ok := labelfree.Get(r, labelfree.ImagePath)
			if ok {
				base := map[*labelfree.Dataset]string{want: local, got: dist}[ds]
				rel, err := filepath.Rel(base, pth)
				require.NoError(t, err)
				labelfree.Set(r, labelfree.ImagePath, rel)
			}
		}
	}
	requireSameRows(t, want, got)
	require.Len(t, got.Failed(), 3)
}

func TestEmptyDatasetRoundTrips(t *testing.T) {
	ctx := context.Background()
	local := tempDir(t)
	empty := &labelfree.Dataset{Classes: []string{"a", "b"}}
	require.NoError(t, dataset.Write(ctx, local, empty, nil))

	dist := tempDir(t)
	rowsOut := filepath.Join(t.TempDir(), "rows")
	p, s := beam.NewPipelineWithRoot()
	rows, classes, err := lfbeam.ReadDataset(ctx, s, local, nil)
	require.NoError(t, err)
	require.Equal(t, empty.Classes, classes)
	require.NoError(t, lfbeam.WriteDataset(s, dist, classes, rows, nil))
	require.NoError(t, lfbeam.WriteRows(s, rowsOut, rows))
	require.NoError(t, ptest.Run(p))

	got, err := dataset.Read(ctx, dist, nil)
	require.NoError(t, err)
	require.Empty(t, got.Rows)
	require.Equal(t, empty.Classes, got.Classes)
	back, err := lfbeam.ReadRows(ctx, rowsOut)
	require.NoError(t, err)
	require.Empty(t, back.Rows)
}
