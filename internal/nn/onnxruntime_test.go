//go:build onnxruntime

package nn

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests need the onnxruntime shared library: set
// LABELFREE_ONNXRUNTIME_LIB to its path (.ci/run takes it from the npm
// package onnxruntime-node). They fail, not skip, without it: the tag is
// only given where the library is meant to be there.

func ortOpts(o Options) *Options {
	o.Engine = EngineONNXRuntime
	return &o
}

// TestONNXRuntimeMatchesGo runs models on both engines and compares the
// outputs to 1e-4 relative (max abs error over max abs value).
func TestONNXRuntimeMatchesGo(t *testing.T) {
	compareEngines(t, modelCases(t))
}

// TestONNXRuntimeResNet18 does the same on torchvision's ResNet-18 (skipped
// where PyTorch is absent to export it, and in -short mode).
func TestONNXRuntimeResNet18(t *testing.T) {
	if testing.Short() {
		t.Skip("big model: skipped in -short mode")
	}
	resnet, err := os.ReadFile(filepath.Join(torchvisionDir(t), "resnet18.onnx"))
	require.NoError(t, err)
	compareEngines(t, []engineCase{{"resnet18", resnet, Options{}, []int{2, 3, 224, 224}}})
}

type engineCase struct {
	name  string
	onnx  []byte
	opts  Options
	shape []int
}

func modelCases(t *testing.T) []engineCase {
	tiny, err := os.ReadFile("testdata/tiny_cnn.onnx")
	require.NoError(t, err)
	mobilenet, err := os.ReadFile("../../features/models/mobilenetv2_nsfwjs.onnx")
	require.NoError(t, err)
	return []engineCase{
		{"tiny", tiny, Options{}, []int{2, 3, 32, 32}},
		{"tiny at 40x48", tiny, Options{InputShapes: map[string][]int{"input": {-1, 3, 40, 48}}}, []int{3, 3, 40, 48}},
		{"tiny cut", tiny, Options{Outputs: []string{tinyMiddle(t)}}, []int{1, 3, 32, 32}},
		{"mobilenetv2", mobilenet, Options{}, []int{2, 3, 224, 224}},
		{"mobilenetv2 detect backbone", mobilenet, Options{InputShapes: map[string][]int{"": {-1, 3, 192, 256}}, Outputs: []string{"block_12_add"}}, []int{2, 3, 192, 256}},
	}
}

func compareEngines(t *testing.T, cases []engineCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			goM, err := Load(bytes.NewReader(tc.onnx), &tc.opts)
			require.NoError(t, err)
			ortM, err := Load(bytes.NewReader(tc.onnx), ortOpts(tc.opts))
			require.NoError(t, err)
			assert.Equal(t, EngineONNXRuntime, ortM.Engine())
			assert.Equal(t, goM.Inputs(), ortM.Inputs())
			assert.Equal(t, goM.Outputs(), ortM.Outputs())
			n := 1
			for _, d := range tc.shape {
				n *= d
			}
			x := &Tensor{Shape: tc.shape, Data: make([]float32, n)}
			for i := range x.Data {
				x.Data[i] = float32(i%251)/251 - 0.4
			}
			want, err := goM.Run(context.Background(), x)
			require.NoError(t, err)
			got, err := ortM.Run(context.Background(), x)
			require.NoError(t, err)
			require.Len(t, got, len(want))
			for k := range want {
				assert.Equal(t, want[k].Shape, got[k].Shape)
				rel := maxRelErr(got[k].Data, want[k].Data)
				t.Logf("%s %v: output %d max rel error %.2g", tc.name, tc.shape, k, rel)
				assert.Less(t, rel, 1e-4)
			}
		})
	}
}

// tinyMiddle names a value half-way through the tiny CNN.
func tinyMiddle(t *testing.T) string {
	vals := loadTiny(t, nil).Values()
	return vals[len(vals)/2]
}

func TestONNXRuntimeSessionAndTruncate(t *testing.T) {
	m := loadTiny(t, ortOpts(Options{}))
	in, want := tinyIO(t)
	// A Session reuses its output tensors; several run at once.
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := m.NewSession()
			out := []*Tensor{{}}
			for range 3 {
				assert.NoError(t, s.Run(context.Background(), []*Tensor{in}, out))
				assert.Less(t, maxRelErr(out[0].Data, want.Data), 1e-4)
			}
		}()
	}
	wg.Wait()
	// Truncate gives a model that onnxruntime runs too.
	vals := m.Values()
	cut := vals[len(vals)/2]
	tm, err := m.Truncate(cut)
	require.NoError(t, err)
	assert.Equal(t, EngineONNXRuntime, tm.Engine())
	goTm, err := loadTiny(t, nil).Truncate(cut)
	require.NoError(t, err)
	a, err := tm.Run(context.Background(), in)
	require.NoError(t, err)
	b, err := goTm.Run(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, b[0].Shape, a[0].Shape)
	assert.Less(t, maxRelErr(a[0].Data, b[0].Data), 1e-4)
	// Input checks are the Go engine's.
	_, err = m.Run(context.Background(), &Tensor{Shape: []int{1, 4, 32, 32}, Data: make([]float32, 4*32*32)})
	assert.ErrorContains(t, err, "model wants")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = m.Run(ctx, in)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestONNXRuntimeLibrary(t *testing.T) {
	raw, err := os.ReadFile("testdata/tiny_cnn.onnx")
	require.NoError(t, err)
	_, err = Load(bytes.NewReader(raw), ortOpts(Options{}))
	require.NoError(t, err, "set LABELFREE_ONNXRUNTIME_LIB to libonnxruntime.so")
	_, err = Load(bytes.NewReader(raw), ortOpts(Options{ONNXRuntimeLib: "/nonexistent/libonnxruntime.so"}))
	assert.ErrorContains(t, err, "already loaded from")
}

// BenchmarkEnginesMobileNetV2 times the embedded MobileNetV2 (224×224) on
// each engine, batch 1 and 16.
func BenchmarkEnginesMobileNetV2(b *testing.B) {
	raw, err := os.ReadFile("../../features/models/mobilenetv2_nsfwjs.onnx")
	require.NoError(b, err)
	for _, engine := range []Engine{EngineGo, EngineONNXRuntime} {
		m, err := Load(bytes.NewReader(raw), &Options{Engine: engine})
		require.NoError(b, err)
		for _, batch := range []int{1, 16} {
			b.Run(fmt.Sprintf("%v/batch%d", engine, batch), func(b *testing.B) {
				x := &Tensor{Shape: []int{batch, 3, 224, 224}, Data: make([]float32, batch*3*224*224)}
				s, out := m.NewSession(), []*Tensor{{}}
				for b.Loop() {
					require.NoError(b, s.Run(context.Background(), []*Tensor{x}, out))
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}
