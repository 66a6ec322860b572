package nn

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"google.golang.org/protobuf/proto"

	"github.com/labelfree/labelfree/internal/nn/onnxpb"
)

// Engine picks what runs a loaded model.
type Engine int

const (
	// EngineGo is labelfree's pure-Go engine (the default).
	EngineGo Engine = iota
	// EngineONNXRuntime runs the model with the onnxruntime C library
	// (CPU execution provider). It needs a build with the onnxruntime tag
	// (cgo) and the shared library at run time: Options.ONNXRuntimeLib,
	// else $LABELFREE_ONNXRUNTIME_LIB, else libonnxruntime.so on the
	// dynamic loader's path. The model is still loaded, validated and
	// checked by the Go engine, so Load's errors, Inputs, Outputs, Values
	// and Truncate are the same; onnxruntime then runs it.
	EngineONNXRuntime
)

// String names the engine.
func (e Engine) String() string {
	switch e {
	case EngineGo:
		return "go"
	case EngineONNXRuntime:
		return "onnxruntime"
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// ErrNoONNXRuntime is returned by Load for EngineONNXRuntime in a build
// without the onnxruntime tag.
var ErrNoONNXRuntime = errors.New("nn: onnxruntime engine not built in (build with -tags onnxruntime, which needs cgo)")

// ONNXRuntimeBuilt reports whether this build has the onnxruntime engine.
func ONNXRuntimeBuilt() bool { return newNative != nil }

// native is a model run by another runtime. It must be safe for
// concurrent use.
type native interface {
	// run checks nothing: Session.Run has validated the inputs against the
	// model's declared shapes.
	run(ctx context.Context, inputs, outputs []*Tensor) error
	close()
}

// nativeSpec is what a native engine is given: the model, rewritten so
// that its inputs have the Go engine's (possibly overridden) shapes and
// its outputs are the Go engine's, with the nodes not needed for them
// removed.
type nativeSpec struct {
	onnx    []byte
	inputs  []ValueInfo
	outputs []ValueInfo
	opts    *Options
}

// newNative builds the onnxruntime engine; nil without the onnxruntime tag.
var newNative func(spec *nativeSpec) (native, error)

// attachNative builds m's native engine from the model file data.
func (m *Model) attachNative(data []byte) error {
	if newNative == nil {
		return ErrNoONNXRuntime
	}
	spec := &nativeSpec{inputs: m.Inputs(), outputs: m.Outputs(), opts: &m.opts}
	var err error
	if spec.onnx, err = rewriteForNative(data, spec.inputs, spec.outputs); err != nil {
		return err
	}
	nat, err := newNative(spec)
	if err != nil {
		return err
	}
	m.data, m.native = data, nat
	// Drop the Go-engine sessions that the InputShapes check pooled.
	m.sessions = make(chan *Session, cap(m.sessions))
	runtime.AddCleanup(m, func(n native) { n.close() }, nat)
	return nil
}

// rewriteForNative returns the model file data with the graph inputs'
// shapes set to inputs (-1 becoming a named free dimension), the graph
// outputs set to outputs, and the nodes, initializers and inputs that the
// outputs do not need removed.
func rewriteForNative(data []byte, inputs, outputs []ValueInfo) ([]byte, error) {
	var mp onnxpb.ModelProto
	if err := unmarshal(data, &mp); err != nil {
		return nil, err
	}
	g := mp.GetGraph()
	if g == nil {
		return nil, errors.New("nn: model has no graph")
	}
	need := map[string]bool{}
	for _, o := range outputs {
		need[o.Name] = true
	}
	var kept []*onnxpb.NodeProto
	for k := len(g.Node) - 1; k >= 0; k-- {
		n := g.Node[k]
		use := false
		for _, o := range n.GetOutput() {
			use = use || need[o]
		}
		if !use {
			continue
		}
		kept = append(kept, n)
		for _, in := range n.GetInput() {
			need[in] = true
		}
	}
	for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
		kept[i], kept[j] = kept[j], kept[i]
	}
	g.Node = kept
	var inits []*onnxpb.TensorProto
	for _, t := range g.Initializer {
		if need[t.GetName()] {
			inits = append(inits, t)
		}
	}
	g.Initializer = inits
	isInit := map[string]bool{}
	for _, t := range inits {
		isInit[t.GetName()] = true
	}
	shapes := map[string][]int{}
	for _, in := range inputs {
		shapes[in.Name] = in.Shape
	}
	var ins []*onnxpb.ValueInfoProto
	for _, vi := range g.Input {
		name := vi.GetName()
		if isInit[name] {
			ins = append(ins, vi)
			continue
		}
		shape, ok := shapes[name]
		if !ok {
			continue // cut away, or an initializer no node needs
		}
		if tt := vi.GetType().GetTensorType(); tt != nil && shape != nil {
			dims := make([]*onnxpb.TensorShapeProto_Dimension, len(shape))
			for k, d := range shape {
				if d < 0 {
					dims[k] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: fmt.Sprintf("%s_dim%d", name, k)}}
				} else {
					dims[k] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}}
				}
			}
			tt.Shape = &onnxpb.TensorShapeProto{Dim: dims}
		}
		ins = append(ins, vi)
	}
	g.Input = ins
	g.Output = g.Output[:0]
	for _, o := range outputs {
		et := int32(onnxpb.TensorProto_FLOAT)
		if o.Int64 {
			et = int32(onnxpb.TensorProto_INT64)
		}
		g.Output = append(g.Output, &onnxpb.ValueInfoProto{Name: proto.String(o.Name), Type: &onnxpb.TypeProto{
			Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: &et}}}})
	}
	return proto.Marshal(&mp)
}
