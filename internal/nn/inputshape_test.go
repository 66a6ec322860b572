package nn

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/labelfree/labelfree/internal/nn/onnxpb"
)

func TestInputShapesRunsAtNewSize(t *testing.T) {
	in, want := tinyIO(t) // batch 2 at 32×32
	for _, tc := range []struct {
		name      string
		shape     []int
		run       []int
		wantIn    []int
		wantOut   []int
		reference bool
	}{
		{"same size, fixed batch", []int{2, 3, 32, 32}, []int{2, 3, 32, 32}, []int{2, 3, 32, 32}, []int{2, 10}, true},
		{"larger, free batch", []int{-1, 3, 48, 40}, []int{3, 3, 48, 40}, []int{-1, 3, 48, 40}, []int{-1, 10}, false},
		{"smaller, fixed batch", []int{1, 3, 20, 24}, []int{1, 3, 20, 24}, []int{1, 3, 20, 24}, []int{1, 10}, false},
		{"first input by empty name", []int{-1, 3, 40, 48}, []int{1, 3, 40, 48}, []int{-1, 3, 40, 48}, []int{-1, 10}, false},
		{"free height and width: no check", []int{-1, 3, -1, -1}, []int{1, 3, 64, 16}, []int{-1, 3, -1, -1}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "input"
			if tc.name == "first input by empty name" {
				name = ""
			}
			m := loadTiny(t, &Options{InputShapes: map[string][]int{name: tc.shape}})
			assert.Equal(t, []ValueInfo{{Name: "input", Shape: tc.wantIn}}, m.Inputs())
			assert.Equal(t, tc.wantOut, m.Outputs()[0].Shape)
			x := in
			if !tc.reference {
				n, err := numel(tc.run)
				require.NoError(t, err)
				x = &Tensor{Shape: tc.run, Data: make([]float32, n)}
				for i := range x.Data {
					x.Data[i] = float32(i%17) / 17
				}
			}
			out, err := m.Run(context.Background(), x)
			require.NoError(t, err)
			assert.Equal(t, []int{tc.run[0], 10}, out[0].Shape)
			if tc.reference {
				assert.Less(t, maxRelErr(out[0].Data, want.Data), 1e-4)
			}
			// The old size is refused where the override fixed the size.
			if tc.shape[2] > 0 && tc.shape[2] != 32 {
				_, err = m.Run(context.Background(), &Tensor{Shape: []int{1, 3, 32, 32}, Data: make([]float32, 3*32*32)})
				assert.ErrorContains(t, err, "model wants")
			}
		})
	}
}

func TestInputShapesErrors(t *testing.T) {
	raw, err := os.ReadFile("testdata/tiny_cnn.onnx")
	require.NoError(t, err)
	m := loadTiny(t, nil)
	weight := ""
	for _, v := range m.p.vals {
		if v.c != nil && len(v.c.shape) == 4 {
			weight = v.name
			break
		}
	}
	require.NotEmpty(t, weight)
	for _, tc := range []struct {
		name   string
		shapes map[string][]int
		want   string
	}{
		{"unknown name", map[string][]int{"image": {1, 3, 64, 64}}, `no input named "image" (inputs: "input")`},
		{"initializer", map[string][]int{weight: {1, 3, 64, 64}}, "an initializer, not an input"},
		{"computed value", map[string][]int{"logits": {1, 10}}, `a computed value, not an input, named "logits"`},
		{"rank", map[string][]int{"input": {3, 64, 64}}, `input "input" has rank 4`},
		{"zero dim", map[string][]int{"input": {1, 3, 0, 64}}, "dimension 2 is 0"},
		{"negative dim", map[string][]int{"input": {1, 3, -2, 64}}, "dimension 2 is -2"},
		{"too many elements", map[string][]int{"input": {1 << 10, 3, 1 << 10, 1 << 10}}, "more than"},
		{"overflowing dims", map[string][]int{"input": {1 << 62, 1 << 62, 3, 3}}, "more than"},
		{"twice", map[string][]int{"input": {1, 3, 64, 64}, "": {1, 3, 64, 64}}, `input "input" is given twice`},
		{"empty shape", map[string][]int{"input": {}}, "rank 0"},
		{"channels", map[string][]int{"input": {1, 4, 32, 32}}, "checking Options.InputShapes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(bytes.NewReader(raw), &Options{InputShapes: tc.shapes})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err = Load(bytes.NewReader(raw), &Options{Outputs: []string{"nope"}})
	assert.ErrorContains(t, err, `no value named "nope"`)
	_, err = Load(bytes.NewReader(raw), &Options{Outputs: []string{""}})
	assert.ErrorContains(t, err, "Outputs[0]")
}

// bakedReshapeModel is x (1×2×4×4) → Relu → Reshape to a constant target →
// y, the way old exporters flatten before a classifier.
func bakedReshapeModel(t *testing.T, target []int64) []byte {
	raw := make([]byte, 8*len(target))
	for k, d := range target {
		for b := range 8 {
			raw[8*k+b] = byte(uint64(d) >> (8 * b))
		}
	}
	nodes := []*onnxpb.NodeProto{
		{Name: proto.String("relu"), OpType: proto.String("Relu"), Input: []string{"x"}, Output: []string{"r"}},
		{Name: proto.String("flatten_baked"), OpType: proto.String("Reshape"), Input: []string{"r", "target"}, Output: []string{"y"}},
	}
	inits := []*onnxpb.TensorProto{tensorProto("target", onnxpb.TensorProto_INT64, []int64{int64(len(target))}, raw, nil)}
	return modelBytes(t, nodes, inits, []*onnxpb.ValueInfoProto{floatInput("x", 1, 2, 4, 4)}, "y")
}

func TestInputShapesThroughReshape(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  []int64
		shape   []int
		outputs []string
		want    []int  // output shape after the check
		err     string // load error
	}{
		{"baked target, same size", []int64{1, 32}, []int{1, 2, 4, 4}, nil, []int{1, 32}, ""},
		{"baked target, new size", []int64{1, 32}, []int{1, 2, 8, 8}, nil, nil, `node "flatten_baked" (Reshape): cannot reshape [1 2 8 8]`},
		{"baked target, cut before it", []int64{1, 32}, []int{1, 2, 8, 8}, []string{"r"}, []int{1, 2, 8, 8}, ""},
		{"copied batch, inferred rest", []int64{0, -1}, []int{1, 2, 8, 8}, nil, []int{1, 128}, ""},
		{"free batch, inferred rest", []int64{0, -1}, []int{-1, 2, 6, 4}, nil, []int{-1, 48}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(bytes.NewReader(bakedReshapeModel(t, tc.target)), &Options{InputShapes: map[string][]int{"x": tc.shape}, Outputs: tc.outputs})
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, m.Outputs()[0].Shape)
		})
	}
}
