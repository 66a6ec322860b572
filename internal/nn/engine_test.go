package nn

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEngineOption(t *testing.T) {
	raw, err := os.ReadFile("testdata/tiny_cnn.onnx")
	require.NoError(t, err)
	_, err = Load(bytes.NewReader(raw), &Options{Engine: Engine(7)})
	assert.ErrorContains(t, err, "Engine")
	if !ONNXRuntimeBuilt() {
		_, err = Load(bytes.NewReader(raw), &Options{Engine: EngineONNXRuntime})
		assert.ErrorIs(t, err, ErrNoONNXRuntime)
	}
	m, err := Load(bytes.NewReader(raw), nil)
	require.NoError(t, err)
	assert.Equal(t, EngineGo, m.Engine())
	assert.Equal(t, "onnxruntime", EngineONNXRuntime.String())
}

// TestRewriteForNative checks the model handed to a native engine: cut at
// the Go model's outputs, with its input shapes. The Go engine must load it
// and compute the same values.
func TestRewriteForNative(t *testing.T) {
	raw, err := os.ReadFile("testdata/tiny_cnn.onnx")
	require.NoError(t, err)
	full := loadTiny(t, nil)
	vals := full.Values()
	for _, tc := range []struct {
		name string
		opts *Options
		run  []int
	}{
		{"whole model", &Options{}, []int{2, 3, 32, 32}},
		{"cut in the middle", &Options{Outputs: []string{vals[len(vals)/2]}}, []int{1, 3, 32, 32}},
		{"two outputs", &Options{Outputs: []string{vals[3], vals[len(vals)-1]}}, []int{1, 3, 32, 32}},
		{"new size", &Options{InputShapes: map[string][]int{"input": {-1, 3, 40, 48}}}, []int{2, 3, 40, 48}},
		{"fixed batch", &Options{InputShapes: map[string][]int{"input": {3, 3, 32, 32}}}, []int{3, 3, 32, 32}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(bytes.NewReader(raw), tc.opts)
			require.NoError(t, err)
			rw, err := rewriteForNative(raw, m.Inputs(), m.Outputs())
			require.NoError(t, err)
			assert.Less(t, len(rw), len(raw)+1024)
			m2, err := Load(bytes.NewReader(rw), nil)
			require.NoError(t, err)
			assert.Equal(t, m.Inputs(), m2.Inputs())
			names := func(vs []ValueInfo) (out []string) {
				for _, v := range vs {
					out = append(out, v.Name)
				}
				return out
			}
			assert.Equal(t, names(m.Outputs()), names(m2.Outputs()))
			assert.LessOrEqual(t, len(m2.Values()), len(m.Values()))
			x := &Tensor{Shape: tc.run, Data: make([]float32, tc.run[0]*tc.run[1]*tc.run[2]*tc.run[3])}
			for i := range x.Data {
				x.Data[i] = float32(i%23)/23 - 0.5
			}
			want, err := m.Run(context.Background(), x)
			require.NoError(t, err)
			got, err := m2.Run(context.Background(), x)
			require.NoError(t, err)
			require.Len(t, got, len(want))
			for k := range want {
				assert.Equal(t, want[k].Shape, got[k].Shape)
				assert.Equal(t, want[k].Data, got[k].Data)
			}
		})
	}
}
