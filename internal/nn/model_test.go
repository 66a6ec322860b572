package nn

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadTiny(t testing.TB, opts *Options) *Model {
	t.Helper()
	f, err := os.Open("testdata/tiny_cnn.onnx")
	require.NoError(t, err)
	defer f.Close()
	m, err := Load(f, opts)
	require.NoError(t, err)
	return m
}

func tinyIO(t testing.TB) (in, want *Tensor) {
	t.Helper()
	in, err := readTensor("testdata/tiny_input.pb")
	require.NoError(t, err)
	want, err = readTensor("testdata/tiny_output.pb")
	require.NoError(t, err)
	return in, want
}

// maxRelErr is max |got-want| / max(|want|) over the tensor.
func maxRelErr(got, want []float32) float64 {
	var num, den float64
	for k := range want {
		num = math.Max(num, math.Abs(float64(got[k]-want[k])))
		den = math.Max(den, math.Abs(float64(want[k])))
	}
	return num / den
}

func TestTinyCNNMatchesPyTorch(t *testing.T) {
	in, want := tinyIO(t)
	for _, tc := range []struct {
		name string
		opts *Options
	}{{"fused", nil}, {"unfused", &Options{NoFusion: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			m := loadTiny(t, tc.opts)
			got, err := m.Run(context.Background(), in)
			require.NoError(t, err)
			require.Equal(t, want.Shape, got[0].Shape)
			assert.Less(t, maxRelErr(got[0].Data, want.Data), 1e-4)
		})
	}
}

func TestTinyCNNFusesAndFolds(t *testing.T) {
	m := loadTiny(t, nil)
	ops := map[string]int{}
	for _, st := range m.p.steps {
		ops[st.op]++
	}
	// BatchNormalization folded into Conv, Relu/Clip/residual Add fused,
	// the view() Shape/Gather/Unsqueeze/Concat chain still runs (its input
	// has a dynamic batch) but Constant nodes are folded away.
	assert.Zero(t, ops["BatchNormalization"], "BN not folded: %v", ops)
	assert.Zero(t, ops["Relu"], "Relu not fused: %v", ops)
	assert.Zero(t, ops["Clip"], "Clip not fused: %v", ops)
	assert.Zero(t, ops["Constant"], "Constant not folded: %v", ops)
	assert.Zero(t, ops["Add"], "residual Add not fused: %v", ops)
}

func TestSessionBatchOfOneAndNoAllocs(t *testing.T) {
	in, want := tinyIO(t)
	m := loadTiny(t, nil)
	s := m.NewSession()
	per := len(in.Data) / in.Shape[0]
	one := &Tensor{Shape: []int{1, 3, 32, 32}, Data: in.Data[per:]}
	out := []*Tensor{{}}
	ctx := context.Background()
	require.NoError(t, s.Run(ctx, []*Tensor{one}, out))
	assert.Less(t, maxRelErr(out[0].Data, want.Data[10:]), 1e-4)
	for k := 0; k < 3; k++ {
		require.NoError(t, s.Run(ctx, []*Tensor{one}, out))
	}
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	allocs := testing.AllocsPerRun(5, func() { _ = s.Run(ctx, []*Tensor{one}, out) })
	t.Logf("allocations per steady-state run: %v", allocs)
	assert.Zero(t, allocs)
}

func TestConcurrentRuns(t *testing.T) {
	in, want := tinyIO(t)
	m := loadTiny(t, nil)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				got, err := m.Run(context.Background(), in)
				if err != nil {
					errs[g] = err
					return
				}
				if maxRelErr(got[0].Data, want.Data) > 1e-4 {
					errs[g] = errors.New("wrong result under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

func TestTruncate(t *testing.T) {
	in, _ := tinyIO(t)
	m := loadTiny(t, nil)
	vals := m.Values()
	require.NotEmpty(t, vals)
	// cut before the classifier: the global pooling output
	var pooled string
	for _, st := range m.g.nodes {
		if st.op == "GlobalAveragePool" {
			pooled = m.g.vals[st.out[0]].name
		}
	}
	require.NotEmpty(t, pooled)
	tm, err := m.Truncate(pooled)
	require.NoError(t, err)
	got, err := tm.Run(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 24, 1, 1}, got[0].Shape)
	assert.Equal(t, pooled, tm.Outputs()[0].Name)
	_, err = m.Truncate("no such value")
	assert.Error(t, err)
	// the original is untouched
	full, err := m.Run(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 10}, full[0].Shape)
}

func TestRunErrors(t *testing.T) {
	m := loadTiny(t, nil)
	ctx := context.Background()
	_, err := m.Run(ctx)
	assert.ErrorContains(t, err, "inputs")
	_, err = m.Run(ctx, &Tensor{Shape: []int{1, 3, 32, 32}, Data: make([]float32, 5)})
	assert.ErrorContains(t, err, "needs")
	_, err = m.Run(ctx, &Tensor{Shape: []int{1, 4, 32, 32}, Data: make([]float32, 4*32*32)})
	assert.ErrorContains(t, err, "shape")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = m.Run(cctx, &Tensor{Shape: []int{1, 3, 32, 32}, Data: make([]float32, 3*32*32)})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []ValueInfo{{Name: "input", Shape: []int{-1, 3, 32, 32}}}, m.Inputs())
}

func TestLoadErrors(t *testing.T) {
	raw, err := os.ReadFile("testdata/tiny_cnn.onnx")
	require.NoError(t, err)
	_, err = Load(bytes.NewReader(raw[:len(raw)/2]), nil)
	assert.Error(t, err)
	_, err = Load(bytes.NewReader(raw), &Options{MaxModelBytes: 100})
	assert.ErrorContains(t, err, "larger")
	_, err = Load(bytes.NewReader(nil), nil)
	assert.Error(t, err)
	_, err = Load(bytes.NewReader(raw), &Options{MaxElements: -1})
	assert.ErrorContains(t, err, "MaxElements")
}
