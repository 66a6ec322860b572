package features

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/internal/nn"
)

// TestONNXEngines runs the embedded MobileNetV2 on each engine this build
// has and compares the embeddings with TF.js's; onnxruntime (built with
// -tags onnxruntime) also survives a save and load of the pipeline.
func TestONNXEngines(t *testing.T) {
	img, ref := loadDog(t)
	for _, tc := range []struct {
		engine Engine
		built  bool
	}{
		{PureGo, true},
		{ONNXRuntime, nn.ONNXRuntimeBuilt()},
		{Engine(9), false},
	} {
		t.Run(tc.engine.String(), func(t *testing.T) {
			cfg := ONNXConfig{CutLayers: 1, Spec: MobileNetV2Spec, Engine: tc.engine}
			b, err := LoadONNX(bytes.NewReader(MobileNetV2ONNX()), cfg)
			if !tc.built {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "engine")
				return
			}
			require.NoError(t, err)
			f := &ImageFeaturizer{Backbone: b}
			var buf bytes.Buffer
			require.NoError(t, labelfree.Save(&buf, &labelfree.PipelineModel{Stages: []labelfree.Stage{f}}))
			m, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			require.NoError(t, err)
			for _, f := range []*ImageFeaturizer{f, m.Stages[0].(*ImageFeaturizer)} {
				r := labelfree.NewRow("dog")
				labelfree.Set(r, labelfree.Image, img)
				require.NoError(t, f.Transform(context.Background(), r))
				assert.Less(t, maxDiff(mustGet(t, r, labelfree.Embedding), ref), 2e-4)
				assert.Equal(t, tc.engine, f.Backbone.(*ONNXBackbone).cfg.Engine)
			}
		})
	}
}
