package nn

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/labelfree/labelfree/internal/nn/onnxpb"
)

// hostileModel declares a huge initializer without the data to back it.
func hostileModel() []byte {
	ft := int32(onnxpb.TensorProto_FLOAT)
	name := "w"
	mp := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(13)}},
		Graph: &onnxpb.GraphProto{
			Initializer: []*onnxpb.TensorProto{{Name: &name, DataType: &ft, Dims: []int64{1 << 30, 1 << 30}}},
			Node:        []*onnxpb.NodeProto{{OpType: proto.String("Identity"), Input: []string{"w"}, Output: []string{"y"}}},
			Output:      []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
		},
	}
	b, _ := proto.Marshal(mp)
	return b
}

func TestHostileDims(t *testing.T) {
	_, err := Load(bytes.NewReader(hostileModel()), nil)
	if err == nil {
		t.Fatal("want an error for a 2^60-element initializer")
	}
}

// FuzzLoad feeds malformed models to Load (and runs what loads on a small
// input): errors are fine, panics and huge allocations are not.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile("testdata/tiny_cnn.onnx"); err == nil {
		f.Add(b)
	}
	f.Add(hostileModel())
	for _, name := range []string{"test_conv_with_strides_padding", "test_maxpool_2d_ceil", "test_reshape_negative_dim", "test_gemm_all_attributes"} {
		if b, err := os.ReadFile(onnxTestData + "/node/" + name + "/model.onnx"); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("took %v", d)
			}
		}()
		m, err := Load(bytes.NewReader(data), &Options{MaxModelBytes: 1 << 20, MaxElements: 1 << 20})
		if err != nil {
			// kernels' panics are recovered as "internal error": still bugs
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		var inputs []*Tensor
		for _, in := range m.Inputs() {
			shape := make([]int, len(in.Shape))
			n := 1
			for k, d := range in.Shape {
				if d < 0 || d > 64 {
					d = 1
				}
				shape[k] = d
				n *= d
			}
			if n > 1<<16 {
				return
			}
			x := &Tensor{Shape: shape}
			if in.Int64 {
				x.Int64 = make([]int64, n)
			} else {
				x.Data = make([]float32, n)
			}
			inputs = append(inputs, x)
		}
		if _, err := m.Run(context.Background(), inputs...); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
