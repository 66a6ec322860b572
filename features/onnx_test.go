package features

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
)

func loadDog(t testing.TB) (image.Image, []float32) {
	t.Helper()
	f, err := os.Open("testdata/dog224.png")
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	raw, err := os.ReadFile("testdata/dog224_tfjs_embedding.f32")
	require.NoError(t, err)
	ref := make([]float32, len(raw)/4)
	for i := range ref {
		ref[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return img, ref
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestDefaultBackboneMatchesTFJS runs the embedded MobileNetV2 through the
// whole featurizer on a 224×224 photo and compares the embedding with the
// one TF.js computes from the original nsfwjs model
// (models/check_nsfwjs_onnx.js wrote testdata/dog224_tfjs_embedding.f32).
func TestDefaultBackboneMatchesTFJS(t *testing.T) {
	img, ref := loadDog(t)
	require.Len(t, ref, 1280)
	f := &ImageFeaturizer{}
	require.NoError(t, f.Validate())
	assert.Equal(t, MobileNetV2Spec, f.mustBackbone(t).Spec())
	r := labelfree.NewRow("dog")
	labelfree.Set(r, labelfree.Image, img)
	require.NoError(t, f.Transform(context.Background(), r))
	e := mustGet(t, r, labelfree.Embedding)
	require.Len(t, e, 1280)
	assert.Less(t, maxDiff(e, ref), 2e-4, "largest value %v", slicesMax(ref))
}

func slicesMax(v []float32) float32 {
	m := float32(math.Inf(-1))
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func (f *ImageFeaturizer) mustBackbone(t testing.TB) Backbone {
	b, err := f.backbone()
	require.NoError(t, err)
	return b
}

func TestONNXBackboneCutAndSave(t *testing.T) {
	img, ref := loadDog(t)
	embed := func(b Backbone) []float32 {
		f := &ImageFeaturizer{Backbone: b}
		r := labelfree.NewRow("dog")
		labelfree.Set(r, labelfree.Image, img)
		require.NoError(t, f.Transform(context.Background(), r))
		return mustGet(t, r, labelfree.Embedding)
	}
	// The value before the final Flatten, and out_relu pooled here, give
	// the same embedding as the model's output.
	cut, err := LoadONNX(bytes.NewReader(MobileNetV2ONNX()), ONNXConfig{CutLayers: 1, Spec: MobileNetV2Spec})
	require.NoError(t, err)
	assert.Less(t, maxDiff(embed(cut), ref), 2e-4)
	assert.Contains(t, cut.Values(), "out_relu")
	pooled, err := LoadONNX(bytes.NewReader(MobileNetV2ONNX()), ONNXConfig{Output: "out_relu", Pool: true, Spec: MobileNetV2Spec})
	require.NoError(t, err)
	assert.Equal(t, 1280, pooled.Spec().Dim)
	assert.Less(t, maxDiff(embed(pooled), ref), 2e-4)
	// Without pooling the spatial map is flattened: 1280·7·7 values.
	spatial, err := LoadONNX(bytes.NewReader(MobileNetV2ONNX()), ONNXConfig{Output: "out_relu", Spec: MobileNetV2Spec})
	require.NoError(t, err)
	assert.Equal(t, 1280*7*7, spatial.Spec().Dim)
	// Zero Std means ImageNet normalisation; the size comes from the model.
	def, err := LoadONNX(bytes.NewReader(MobileNetV2ONNX()), ONNXConfig{})
	require.NoError(t, err)
	assert.Equal(t, ImageNetStd, def.Spec().Std)
	assert.Equal(t, 224, def.Spec().Width)

	// Saved pipelines carry the backbone: the default one by name, others
	// with their bytes.
	for _, f := range []*ImageFeaturizer{{}, {Backbone: pooled, Batch: 2}} {
		var buf bytes.Buffer
		require.NoError(t, labelfree.Save(&buf, &labelfree.PipelineModel{Stages: []labelfree.Stage{f}}))
		if f.Backbone == nil {
			assert.Less(t, buf.Len(), 10_000)
		} else {
			assert.Greater(t, buf.Len(), 1_000_000)
		}
		m, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		require.NoError(t, err)
		g := m.Stages[0].(*ImageFeaturizer)
		r := labelfree.NewRow("dog")
		labelfree.Set(r, labelfree.Image, img)
		require.NoError(t, g.Transform(context.Background(), r))
		assert.Less(t, maxDiff(mustGet(t, r, labelfree.Embedding), ref), 2e-4)
	}

	// Errors.
	_, err = LoadONNX(bytes.NewReader([]byte("not onnx")), ONNXConfig{})
	require.Error(t, err)
	_, err = LoadONNX(bytes.NewReader(MobileNetV2ONNX()), ONNXConfig{Output: "no such value"})
	require.ErrorContains(t, err, "no such value")
	_, err = LoadONNX(bytes.NewReader(MobileNetV2ONNX()), ONNXConfig{CutLayers: 100000})
	require.ErrorContains(t, err, "CutLayers")
	_, err = def.Embed(context.Background(), make([]float32, 5), 1)
	require.Error(t, err)
}

// TestEndToEnd runs the offline workflow's middle: encoded synthetic
// camera-trap scenes → ImageFeaturizer (embedded MobileNetV2) →
// LogisticRegression, then saves and reloads the fitted pipeline and checks
// it scores new rows identically.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 16 MobileNetV2 passes")
	}
	rows := func(offset int) *labelfree.Dataset {
		ds := &labelfree.Dataset{Classes: []string{"other", "snow leopard"}}
		for i := range 8 {
			sc, err := synth.Render(synth.Spec{Seed: uint64(offset + i), Animals: i % 2, Clutter: 4})
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, jpeg.Encode(&buf, sc.Image, nil))
			r := labelfree.NewRow(fmt.Sprint(offset + i))
			labelfree.Set(r, labelfree.ImageBytes, buf.Bytes())
			labelfree.Set(r, labelfree.Label, i%2)
			ds.Rows = append(ds.Rows, r)
		}
		return ds
	}
	p, err := labelfree.NewPipeline(&ImageFeaturizer{DecodeBytes: true, Batch: 4}, &LogisticRegression{})
	require.NoError(t, err)
	var ex labelfree.Executor
	model, scored, err := ex.Fit(context.Background(), p, rows(0))
	require.NoError(t, err)
	m, err := Evaluate(scored)
	require.NoError(t, err)
	assert.Equal(t, 1.0, m.Accuracy, "1280-d embeddings separate 8 training scenes")
	assert.True(t, model.Stages[1].(*LogisticModel).Result.Converged)

	var buf bytes.Buffer
	require.NoError(t, labelfree.Save(&buf, model))
	assert.Less(t, buf.Len(), 100_000, "the embedded backbone is saved by name")
	loaded, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	a, b := rows(100), rows(100)
	_, err = ex.Transform(context.Background(), model, a)
	require.NoError(t, err)
	_, err = ex.Transform(context.Background(), loaded, b)
	require.NoError(t, err)
	for i := range a.Rows {
		require.Nil(t, a.Rows[i].Err)
		assert.InDeltaSlice(t, mustGet(t, a.Rows[i], labelfree.Probabilities), mustGet(t, b.Rows[i], labelfree.Probabilities), 1e-6)
	}
}
