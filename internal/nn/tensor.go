package nn

import (
	"fmt"
	"math"

	"github.com/labelfree/labelfree/internal/nn/onnxpb"
)

// MaxElements caps the number of elements of any tensor the engine creates,
// whether read from a model file or computed at run time (1<<28 float32s is
// 1 GiB). Hostile shape fields fail with an error instead of allocating.
const MaxElements = 1 << 28

// Tensor is a dense row-major tensor. Images are NCHW float32.
//
// Data holds float32 elements. Int64 holds the elements of integer tensors
// (indices, shapes); exactly one of the two is used, and a Tensor with a
// non-nil Int64 is an int64 tensor. Users of image backbones only ever see
// float32 tensors.
type Tensor struct {
	Shape []int
	Data  []float32
	Int64 []int64
}

// Len returns the number of elements the shape describes.
func (t *Tensor) Len() int { n, _ := numel(t.Shape); return n }

// dtype is the element type of a value.
type dtype uint8

const (
	dtUnknown dtype = iota
	dtFloat
	dtInt64
	dtInt32
	dtUint8
	dtInt8
	dtBool
)

func (d dtype) String() string {
	switch d {
	case dtFloat:
		return "float32"
	case dtInt64:
		return "int64"
	case dtInt32:
		return "int32"
	case dtUint8:
		return "uint8"
	case dtInt8:
		return "int8"
	case dtBool:
		return "bool"
	}
	return "unknown"
}

// dtypeOf maps an ONNX element type; ok is false for the types the engine
// does not hold.
func dtypeOf(t int32) (dtype, string, bool) {
	name := onnxpb.TensorProto_DataType(t).String()
	switch onnxpb.TensorProto_DataType(t) {
	case onnxpb.TensorProto_FLOAT:
		return dtFloat, name, true
	case onnxpb.TensorProto_INT64:
		return dtInt64, name, true
	case onnxpb.TensorProto_INT32:
		return dtInt32, name, true
	case onnxpb.TensorProto_UINT8:
		return dtUint8, name, true
	case onnxpb.TensorProto_INT8:
		return dtInt8, name, true
	case onnxpb.TensorProto_BOOL:
		return dtBool, name, true
	}
	return dtUnknown, name, false
}

// value is a tensor inside the engine: float32 data in f, integer data
// (any integer or bool type) in i.
type value struct {
	dt    dtype
	shape []int
	f     []float32
	i     []int64
}

func (v *value) len() int { n, _ := numel(v.shape); return n }

// numel multiplies dims with overflow and MaxElements checks.
func numel(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, MaxElements)
		}
		n *= d
	}
	if n > MaxElements {
		return 0, fmt.Errorf("shape %v has more than %d elements", shape, MaxElements)
	}
	return n, nil
}

// decodeTensor converts a TensorProto to a value, checking that the
// declared dims match the stored data before allocating anything.
func decodeTensor(tp *onnxpb.TensorProto) (*value, error) {
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(tp.GetExternalData()) > 0 {
		return nil, fmt.Errorf("tensor %q: external data is not supported", tp.GetName())
	}
	if tp.Segment != nil {
		return nil, fmt.Errorf("tensor %q: segmented tensors are not supported", tp.GetName())
	}
	dt, tname, ok := dtypeOf(tp.GetDataType())
	if !ok {
		return nil, fmt.Errorf("tensor %q: element type %s: %w", tp.GetName(), tname, ErrUnsupported)
	}
	shape := make([]int, len(tp.GetDims()))
	for k, d := range tp.GetDims() {
		if d < 0 || d > MaxElements {
			return nil, fmt.Errorf("tensor %q: bad dimension %d", tp.GetName(), d)
		}
		shape[k] = int(d)
	}
	n, err := numel(shape)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", tp.GetName(), err)
	}
	v := &value{dt: dt, shape: shape}
	raw := tp.GetRawData()
	size := map[dtype]int{dtFloat: 4, dtInt64: 8, dtInt32: 4, dtUint8: 1, dtInt8: 1, dtBool: 1}[dt]
	if raw != nil {
		if len(raw) != n*size {
			return nil, fmt.Errorf("tensor %q: raw data has %d bytes, shape %v needs %d", tp.GetName(), len(raw), shape, n*size)
		}
		if dt == dtFloat {
			v.f = make([]float32, n)
			for k := range v.f {
				v.f[k] = math.Float32frombits(le32(raw[4*k:]))
			}
			return v, nil
		}
		v.i = make([]int64, n)
		for k := range v.i {
			switch dt {
			case dtInt64:
				v.i[k] = int64(le32(raw[8*k:])) | int64(le32(raw[8*k+4:]))<<32
			case dtInt32:
				v.i[k] = int64(int32(le32(raw[4*k:])))
			case dtUint8:
				v.i[k] = int64(raw[k])
			case dtInt8:
				v.i[k] = int64(int8(raw[k]))
			case dtBool:
				if raw[k] != 0 {
					v.i[k] = 1
				}
			}
		}
		return v, nil
	}
	switch dt {
	case dtFloat:
		if len(tp.GetFloatData()) != n {
			return nil, fmt.Errorf("tensor %q: has %d floats, shape %v needs %d", tp.GetName(), len(tp.GetFloatData()), shape, n)
		}
		v.f = append([]float32(nil), tp.GetFloatData()...)
		if v.f == nil {
			v.f = []float32{}
		}
	case dtInt64:
		if len(tp.GetInt64Data()) != n {
			return nil, fmt.Errorf("tensor %q: has %d int64s, shape %v needs %d", tp.GetName(), len(tp.GetInt64Data()), shape, n)
		}
		v.i = append([]int64{}, tp.GetInt64Data()...)
	default:
		// int32, uint8, int8 and bool are stored in int32_data.
		if len(tp.GetInt32Data()) != n {
			return nil, fmt.Errorf("tensor %q: has %d int32s, shape %v needs %d", tp.GetName(), len(tp.GetInt32Data()), shape, n)
		}
		v.i = make([]int64, n)
		for k, x := range tp.GetInt32Data() {
			v.i[k] = int64(x)
		}
	}
	return v, nil
}

func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// tensorFromValue copies v into a fresh Tensor.
func tensorFromValue(v *value) *Tensor {
	t := &Tensor{Shape: append([]int{}, v.shape...)}
	if v.dt == dtFloat {
		t.Data = append([]float32{}, v.f...)
	} else {
		t.Int64 = append([]int64{}, v.i...)
	}
	return t
}

// DecodeTensorProto decodes a serialized ONNX TensorProto (the input_N.pb
// and output_N.pb files of the ONNX backend tests).
func DecodeTensorProto(b []byte) (*Tensor, error) {
	tp := &onnxpb.TensorProto{}
	if err := unmarshal(b, tp); err != nil {
		return nil, err
	}
	v, err := decodeTensor(tp)
	if err != nil {
		return nil, err
	}
	return tensorFromValue(v), nil
}
