package nn

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/labelfree/labelfree/internal/nn/onnxpb"
)

func tensorProto(name string, dt onnxpb.TensorProto_DataType, dims []int64, raw []byte, floats []float32) *onnxpb.TensorProto {
	d := int32(dt)
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: &d, Dims: dims, RawData: raw, FloatData: floats}
}

func floatInput(name string, dims ...int64) *onnxpb.ValueInfoProto {
	var ds []*onnxpb.TensorShapeProto_Dimension
	for _, d := range dims {
		ds = append(ds, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	et := int32(onnxpb.TensorProto_FLOAT)
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: &et, Shape: &onnxpb.TensorShapeProto{Dim: ds}}}}}
}

func modelBytes(t *testing.T, nodes []*onnxpb.NodeProto, inits []*onnxpb.TensorProto, inputs []*onnxpb.ValueInfoProto, outputs ...string) []byte {
	mp := &onnxpb.ModelProto{IrVersion: proto.Int64(8), OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(13)}},
		Graph: &onnxpb.GraphProto{Node: nodes, Initializer: inits, Input: inputs}}
	for _, o := range outputs {
		mp.Graph.Output = append(mp.Graph.Output, &onnxpb.ValueInfoProto{Name: proto.String(o)})
	}
	b, err := proto.Marshal(mp)
	require.NoError(t, err)
	return b
}

// TestDequantizedWeightsFold checks that uint8 weights with a per-channel
// scale and zero point are dequantised once at load and feed the Conv.
func TestDequantizedWeightsFold(t *testing.T) {
	// 2 output channels, 1 input channel, 1×1 kernel
	nodes := []*onnxpb.NodeProto{
		{OpType: proto.String("DequantizeLinear"), Input: []string{"wq", "scale", "zp"}, Output: []string{"w"},
			Attribute: []*onnxpb.AttributeProto{{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(0)}}},
		{OpType: proto.String("Conv"), Input: []string{"x", "w"}, Output: []string{"y"}},
	}
	inits := []*onnxpb.TensorProto{
		tensorProto("wq", onnxpb.TensorProto_UINT8, []int64{2, 1, 1, 1}, []byte{130, 120}, nil),
		tensorProto("scale", onnxpb.TensorProto_FLOAT, []int64{2}, nil, []float32{0.5, 0.25}),
		tensorProto("zp", onnxpb.TensorProto_UINT8, []int64{2}, []byte{128, 128}, nil),
	}
	m, err := Load(bytes.NewReader(modelBytes(t, nodes, inits, []*onnxpb.ValueInfoProto{floatInput("x", 1, 1, 1, 2)}, "y")), nil)
	require.NoError(t, err)
	require.Len(t, m.p.steps, 1, "DequantizeLinear should be folded")
	out, err := m.Run(context.Background(), &Tensor{Shape: []int{1, 1, 1, 2}, Data: []float32{1, 2}})
	require.NoError(t, err)
	// weights: (130-128)*0.5 = 1, (120-128)*0.25 = -2
	assert.Equal(t, []float32{1, 2, -2, -4}, out[0].Data)
}

func TestUnsupportedIsReportedAtLoad(t *testing.T) {
	for _, tc := range []struct {
		name string
		node *onnxpb.NodeProto
		want string
	}{
		{"op", &onnxpb.NodeProto{Name: proto.String("lstm1"), OpType: proto.String("LSTM"), Input: []string{"x"}, Output: []string{"y"}}, `node "lstm1" (LSTM): operator LSTM`},
		{"attribute", &onnxpb.NodeProto{Name: proto.String("r"), OpType: proto.String("Relu"), Input: []string{"x"}, Output: []string{"y"},
			Attribute: []*onnxpb.AttributeProto{{Name: proto.String("bogus"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}}}, `attribute "bogus"`},
		{"pad mode", &onnxpb.NodeProto{Name: proto.String("p"), OpType: proto.String("Pad"), Input: []string{"x", "x"}, Output: []string{"y"},
			Attribute: []*onnxpb.AttributeProto{{Name: proto.String("mode"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("wrap")}}}, `mode "wrap"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(bytes.NewReader(modelBytes(t, []*onnxpb.NodeProto{tc.node}, nil, []*onnxpb.ValueInfoProto{floatInput("x", 1, 2)}, "y")), nil)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrUnsupported), "%v", err)
			var ne *NodeError
			assert.True(t, errors.As(err, &ne))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
