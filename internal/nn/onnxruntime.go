//go:build onnxruntime

package nn

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// This file is the onnxruntime engine (EngineONNXRuntime), built with the
// onnxruntime tag. It uses github.com/yalue/onnxruntime_go, which loads the
// shared library with dlopen at run time: the binary links no onnxruntime
// code, and the library's C API version must be at least the one that
// package was written for (API 24: onnxruntime 1.24 or newer).

func init() { newNative = newORT }

// ortEnv is the process-wide onnxruntime environment: the library it was
// loaded from, once loading succeeded.
var ortEnv struct {
	sync.Mutex
	lib string
}

// onnxRuntimeDefaultLib is the library name used when neither
// Options.ONNXRuntimeLib nor $LABELFREE_ONNXRUNTIME_LIB is set.
const onnxRuntimeDefaultLib = "libonnxruntime.so"

func initORT(lib string) error {
	if lib == "" {
		lib = os.Getenv("LABELFREE_ONNXRUNTIME_LIB")
	}
	if lib == "" {
		lib = onnxRuntimeDefaultLib
	}
	ortEnv.Lock()
	defer ortEnv.Unlock()
	if ortEnv.lib != "" {
		if lib != ortEnv.lib {
			return fmt.Errorf("nn: onnxruntime is already loaded from %s; cannot load %s too", ortEnv.lib, lib)
		}
		return nil
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("nn: loading onnxruntime from %s (set Options.ONNXRuntimeLib or $LABELFREE_ONNXRUNTIME_LIB to libonnxruntime.so's path): %w", lib, err)
	}
	ortEnv.lib = lib
	return nil
}

// ortModel is one onnxruntime session; Run is safe for concurrent use.
type ortModel struct {
	sess    *ort.DynamicAdvancedSession
	inputs  []ValueInfo
	outputs []ValueInfo
}

func newORT(spec *nativeSpec) (native, error) {
	if err := initORT(spec.opts.ONNXRuntimeLib); err != nil {
		return nil, err
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("nn: onnxruntime: %w", err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(runtime.GOMAXPROCS(0)); err != nil {
		return nil, fmt.Errorf("nn: onnxruntime: %w", err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("nn: onnxruntime: %w", err)
	}
	if spec.opts.ONNXRuntimeNoSpin {
		if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
			return nil, fmt.Errorf("nn: onnxruntime: %w", err)
		}
	}
	names := func(vs []ValueInfo) []string {
		out := make([]string, len(vs))
		for k, v := range vs {
			out[k] = v.Name
		}
		return out
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(spec.onnx, names(spec.inputs), names(spec.outputs), so)
	if err != nil {
		return nil, fmt.Errorf("nn: onnxruntime session: %w", err)
	}
	return &ortModel{sess: sess, inputs: spec.inputs, outputs: spec.outputs}, nil
}

func (m *ortModel) close() { m.sess.Destroy() }

func (m *ortModel) run(ctx context.Context, inputs, outputs []*Tensor) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	ins := make([]ort.Value, len(inputs))
	defer func() {
		for _, v := range ins {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for k, t := range inputs {
		shape := make(ort.Shape, len(t.Shape))
		for j, d := range t.Shape {
			shape[j] = int64(d)
		}
		var v ort.Value
		if m.inputs[k].Int64 {
			v, err = ort.NewTensor(shape, t.Int64)
		} else {
			v, err = ort.NewTensor(shape, t.Data)
		}
		if err != nil {
			return fmt.Errorf("nn: onnxruntime input %q: %w", m.inputs[k].Name, err)
		}
		ins[k] = v
	}
	outs := make([]ort.Value, len(outputs))
	defer func() {
		for _, v := range outs {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	var ro *ort.RunOptions
	if ctx.Done() != nil {
		if ro, err = ort.NewRunOptions(); err != nil {
			return fmt.Errorf("nn: onnxruntime: %w", err)
		}
		defer ro.Destroy()
		stop := context.AfterFunc(ctx, func() { ro.Terminate() })
		defer stop()
	}
	if err := m.sess.RunWithOptions(ins, outs, ro); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("nn: onnxruntime: %w", err)
	}
	for k, v := range outs {
		o := outputs[k]
		o.Shape = o.Shape[:0]
		for _, d := range v.GetShape() {
			o.Shape = append(o.Shape, int(d))
		}
		switch t := v.(type) {
		case *ort.Tensor[float32]:
			o.Data = append(o.Data[:0], t.GetData()...)
			o.Int64 = nil
		case *ort.Tensor[int64]:
			o.Int64 = append(o.Int64[:0], t.GetData()...)
			o.Data = nil
		default:
			return fmt.Errorf("nn: onnxruntime output %q has an element type the engine does not return (%T)", m.outputs[k].Name, v)
		}
	}
	return nil
}
