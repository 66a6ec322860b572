package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/megadetector"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/detect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	ds := labelfree.NewDataset()
	root := t.TempDir()
	for i := range 6 {
		sc, err := synth.Render(synth.Spec{Seed: uint64(i), Width: 96, Height: 96, Animals: i % 2})
		require.NoError(t, err)
		r := labelfree.NewRow(fmt.Sprint(i))
		labelfree.Set(r, labelfree.Image, image.Image(sc.Image))
		labelfree.Set(r, labelfree.TrueBoxes, sc.Boxes)
		ds.Rows = append(ds.Rows, r)
		var buf bytes.Buffer
		require.NoError(t, jpeg.Encode(&buf, sc.Image, nil))
		require.NoError(t, os.MkdirAll(filepath.Join(root, "cam"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, "cam", fmt.Sprintf("%d.jpg", i)), buf.Bytes(), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "cam", "broken.jpg"), []byte("nope"), 0o644))
	d, err := (&detect.Trainer{Input: labelfree.TrueBoxes, InputWidth: 64, InputHeight: 64, Hidden: 8, Epochs: 2, Augmentations: -1, ValidationFraction: -1}).Train(context.Background(), ds)
	require.NoError(t, err)
	model := filepath.Join(t.TempDir(), "det.lfm")
	require.NoError(t, labelfree.SaveFile(model, &labelfree.PipelineModel{Stages: []labelfree.Stage{d}}))
	out := filepath.Join(t.TempDir(), "out")

	require.Error(t, run([]string{"-model", model}), "missing flags")
	require.NoError(t, run([]string{"-q", "-model", model, "-root", root, "-out", out, "-classes", "other,snow leopard", "-min-score", "0.01"}))
	f, err := os.Open(filepath.Join(out, "megadetector.json"))
	require.NoError(t, err)
	defer f.Close()
	set, err := megadetector.Read(context.Background(), f, nil)
	require.NoError(t, err)
	require.Len(t, set.Images, 7)
	failed := 0
	for _, im := range set.Images {
		if im.Failure != "" {
			failed++
		}
	}
	assert.Equal(t, 1, failed)
	_, err = os.Stat(filepath.Join(out, "coco.json"))
	require.NoError(t, err)
	// Running again resumes from the journal and rewrites the same outputs.
	require.NoError(t, run([]string{"-q", "-model", model, "-root", root, "-out", out}))
}
