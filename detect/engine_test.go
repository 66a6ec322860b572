package detect

import (
	"bytes"
	"context"
	"image"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/internal/nn"
)

// TestDetectorEngines trains a small detector on each backbone engine this
// build has (onnxruntime with -tags onnxruntime and the library in
// $LABELFREE_ONNXRUNTIME_LIB): its feature maps match the pure-Go
// engine's, and the engine survives a save and load.
func TestDetectorEngines(t *testing.T) {
	ctx := context.Background()
	ds := scenes(t, 5, 4, 160, 120)
	var imgs []image.Image
	for _, r := range ds.Rows {
		img, _ := labelfree.Get(r, labelfree.Image)
		imgs = append(imgs, img)
	}
	const w, h = 128, 96
	ref, err := loadBackbone(nil, "", w, h, [3]float32{}, [3]float32{}, features.PureGo)
	require.NoError(t, err)
	x := make([]float32, 2*3*w*h)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*0.37)) * 0.8
	}
	want := make([]float32, 2*ref.len())
	require.NoError(t, ref.run(ctx, x, 2, want, 0))
	for _, tc := range []struct {
		engine features.Engine
		built  bool
	}{
		{features.PureGo, true},
		{features.ONNXRuntime, nn.ONNXRuntimeBuilt()},
		{features.Engine(9), false},
	} {
		t.Run(tc.engine.String(), func(t *testing.T) {
			tr := &Trainer{Input: labelfree.TrueBoxes, Epochs: 1, Augmentations: -1, ValidationFraction: -1,
				InputWidth: w, InputHeight: h, Engine: tc.engine}
			d, err := tr.Train(ctx, ds)
			if !tc.built {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "Engine")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.engine, d.Engine())

			got := make([]float32, len(want))
			require.NoError(t, d.bb.run(ctx, x, 2, got, 0))
			var scale, diff float64
			for i := range want {
				scale = math.Max(scale, math.Abs(float64(want[i])))
				diff = math.Max(diff, math.Abs(float64(got[i]-want[i])))
			}
			assert.Less(t, diff, 1e-4*scale, "feature maps differ from the pure-Go engine's")

			var buf bytes.Buffer
			require.NoError(t, labelfree.Save(&buf, &labelfree.PipelineModel{Stages: []labelfree.Stage{d}}))
			m, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			require.NoError(t, err)
			d2 := m.Stages[0].(*Detector)
			assert.Equal(t, tc.engine, d2.Engine())
			b1, err := d.DetectBatch(ctx, imgs)
			require.NoError(t, err)
			b2, err := d2.DetectBatch(ctx, imgs)
			require.NoError(t, err)
			assert.Equal(t, b1, b2)
		})
	}
}
