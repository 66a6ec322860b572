package features

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/labelfree/labelfree/internal/nn"
)

func init() {
	newDefaultBackbone = func() (Backbone, error) {
		b, err := newONNXBackbone(mobileNetV2, ONNXConfig{Spec: MobileNetV2Spec})
		if err != nil {
			return nil, fmt.Errorf("features: embedded MobileNetV2: %w", err)
		}
		b.builtin = true
		return b, nil
	}
	RegisterBackbone(onnxKind, unmarshalONNX)
}

// ONNXConfig says which part of an ONNX model to use and how to feed it.
type ONNXConfig struct {
	// Output names the model value used as the embedding (see
	// ONNXBackbone.Values for the names); "" means the model's first
	// output, or the value CutLayers before it.
	Output string
	// CutLayers, when Output is "", drops that many values from the end of
	// the graph in execution order: 1 cuts a classifier's final layer.
	CutLayers int
	// Spec describes the input. Zero Width and Height are read from the
	// model's input shape, and a zero Std means ImageNet's Mean and Std
	// (torchvision's normalisation). Dim is measured with one forward pass
	// at load.
	Spec InputSpec
	// Pool averages a spatial output (N, C, H, W) over H and W, like a
	// global average pooling layer; without it the output is flattened per
	// image.
	Pool bool
	// Engine picks what runs the model: labelfree's pure-Go engine (the
	// zero value) or onnxruntime.
	Engine Engine `json:",omitempty"`
}

// Engine picks what runs an ONNX backbone.
type Engine int

const (
	// PureGo is labelfree's own engine: no cgo, nothing to install.
	PureGo Engine = iota
	// ONNXRuntime runs the model with onnxruntime's CPU library, about
	// twice as fast as PyTorch on the CPU. It needs a binary built with
	// -tags onnxruntime (cgo) and, at run time, libonnxruntime.so (1.24 or
	// newer; the npm package onnxruntime-node ships one) at the path in
	// $LABELFREE_ONNXRUNTIME_LIB or on the loader's path. The model is
	// still validated by the pure-Go engine, so errors and Values are the
	// same; loading fails with a clear error where the engine is missing.
	ONNXRuntime
)

// String names the engine.
func (e Engine) String() string {
	switch e {
	case PureGo:
		return "PureGo"
	case ONNXRuntime:
		return "ONNXRuntime"
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// ONNXBackbone runs an ONNX model on the CPU with labelfree's pure-Go
// engine (no cgo, no runtime to install) or, where ONNXConfig.Engine asks
// for it, onnxruntime. It is safe for concurrent use and is saved with
// pipelines (the model bytes go into the pipeline file).
type ONNXBackbone struct {
	cfg     ONNXConfig
	model   *nn.Model
	full    *nn.Model
	spec    InputSpec
	data    []byte
	builtin bool
}

// LoadONNX reads an ONNX model (for example a torchvision ResNet-50
// exported with torch.onnx.export) and returns it as a Backbone.
func LoadONNX(r io.Reader, cfg ONNXConfig) (*ONNXBackbone, error) {
	data, err := io.ReadAll(io.LimitReader(r, 2<<30+1))
	if err != nil {
		return nil, fmt.Errorf("features: read ONNX model: %w", err)
	}
	return newONNXBackbone(data, cfg)
}

func newONNXBackbone(data []byte, cfg ONNXConfig) (*ONNXBackbone, error) {
	opts := &nn.Options{}
	switch cfg.Engine {
	case PureGo:
	case ONNXRuntime:
		opts.Engine = nn.EngineONNXRuntime
	default:
		return nil, fmt.Errorf("features: unknown ONNX engine %v", cfg.Engine)
	}
	full, err := nn.Load(bytes.NewReader(data), opts)
	if err != nil {
		return nil, fmt.Errorf("features: load ONNX model: %w", err)
	}
	ins := full.Inputs()
	if len(ins) != 1 {
		return nil, fmt.Errorf("features: ONNX model has %d inputs; a backbone takes one image tensor", len(ins))
	}
	b := &ONNXBackbone{cfg: cfg, full: full, model: full, data: data}
	out := cfg.Output
	if out == "" && cfg.CutLayers > 0 {
		vals := full.Values()
		if cfg.CutLayers >= len(vals) {
			return nil, fmt.Errorf("features: CutLayers %d: the model computes only %d values", cfg.CutLayers, len(vals))
		}
		out = vals[len(vals)-1-cfg.CutLayers]
	} else if cfg.CutLayers < 0 {
		return nil, fmt.Errorf("features: CutLayers %d is negative", cfg.CutLayers)
	}
	if out != "" {
		if b.model, err = full.Truncate(out); err != nil {
			return nil, fmt.Errorf("features: cut ONNX model at %q: %w", out, err)
		}
	}
	spec := cfg.Spec
	if spec.Std == ([3]float32{}) {
		spec.Mean, spec.Std = ImageNetMean, ImageNetStd
	}
	if spec.Width == 0 || spec.Height == 0 {
		shape := ins[0].Shape
		if len(shape) != 4 {
			return nil, fmt.Errorf("features: ONNX input %q has shape %v; set Spec.Width and Height", ins[0].Name, shape)
		}
		h, w := shape[2], shape[3]
		if spec.Layout == NHWC {
			h, w = shape[1], shape[2]
		}
		if h <= 0 || w <= 0 {
			return nil, fmt.Errorf("features: ONNX input %q has no fixed size (%v); set Spec.Width and Height", ins[0].Name, shape)
		}
		spec.Width, spec.Height = w, h
	}
	spec.Dim = 1 // probed below
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("features: ONNX backbone: %w", err)
	}
	b.spec = spec
	probe, err := b.run(context.Background(), make([]float32, spec.imageLen()), 1)
	if err != nil {
		return nil, fmt.Errorf("features: ONNX backbone: trial run: %w", err)
	}
	b.spec.Dim = len(probe[0])
	return b, nil
}

// Spec implements Backbone.
func (b *ONNXBackbone) Spec() InputSpec { return b.spec }

// Values lists the names of the values the full model computes, in
// execution order: the candidates for ONNXConfig.Output.
func (b *ONNXBackbone) Values() []string { return b.full.Values() }

// Embed implements Backbone.
func (b *ONNXBackbone) Embed(ctx context.Context, x []float32, n int) ([][]float32, error) {
	if n <= 0 || len(x) != n*b.spec.imageLen() {
		return nil, fmt.Errorf("features: ONNX backbone: %d values for %d images of %d", len(x), n, b.spec.imageLen())
	}
	embs, err := b.run(ctx, x, n)
	if err != nil {
		return nil, err
	}
	for i, e := range embs {
		if len(e) != b.spec.Dim {
			return nil, fmt.Errorf("features: ONNX backbone: image %d has an embedding of %d values, want %d", i, len(e), b.spec.Dim)
		}
	}
	return embs, nil
}

func (b *ONNXBackbone) run(ctx context.Context, x []float32, n int) ([][]float32, error) {
	s := b.spec
	shape := []int{n, s.Colour.Channels(), s.Height, s.Width}
	if s.Layout == NHWC {
		shape = []int{n, s.Height, s.Width, s.Colour.Channels()}
	}
	outs, err := b.model.Run(ctx, &nn.Tensor{Shape: shape, Data: x})
	if err != nil {
		return nil, err
	}
	out := outs[0]
	if len(out.Shape) == 0 || out.Shape[0] != n || out.Data == nil {
		return nil, fmt.Errorf("output has shape %v for a batch of %d", out.Shape, n)
	}
	per := len(out.Data) / n
	if b.cfg.Pool && len(out.Shape) == 4 {
		c, hw := out.Shape[1], out.Shape[2]*out.Shape[3]
		pooled := make([]float32, n*c)
		for i := range n * c {
			sum := float32(0)
			for _, v := range out.Data[i*hw : (i+1)*hw] {
				sum += v
			}
			pooled[i] = sum / float32(hw)
		}
		out.Data, per = pooled, c
	}
	embs := make([][]float32, n)
	for i := range embs {
		embs[i] = out.Data[i*per : (i+1)*per : (i+1)*per]
	}
	return embs, nil
}

const onnxKind = "onnx"

// BackboneKind implements BackboneMarshaler.
func (b *ONNXBackbone) BackboneKind() string { return onnxKind }

type onnxHeader struct {
	Config  ONNXConfig
	Builtin bool `json:",omitempty"`
}

// MarshalBinary implements BackboneMarshaler: the configuration and the
// model bytes (nothing but the configuration for the embedded MobileNetV2).
func (b *ONNXBackbone) MarshalBinary() ([]byte, error) {
	h, err := json.Marshal(onnxHeader{Config: b.cfg, Builtin: b.builtin})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	var n [binary.MaxVarintLen64]byte
	buf.Write(n[:binary.PutUvarint(n[:], uint64(len(h)))])
	buf.Write(h)
	if !b.builtin {
		buf.Write(b.data)
	}
	return buf.Bytes(), nil
}

func unmarshalONNX(data []byte) (Backbone, error) {
	rd := bytes.NewReader(data)
	n, err := binary.ReadUvarint(rd)
	if err != nil || n > uint64(rd.Len()) {
		return nil, errors.New("bad header length")
	}
	hb := make([]byte, n)
	rd.Read(hb)
	var h onnxHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, err
	}
	model := data[len(data)-rd.Len():]
	if h.Builtin {
		model = mobileNetV2
	}
	b, err := newONNXBackbone(bytes.Clone(model), h.Config)
	if err != nil {
		return nil, err
	}
	b.builtin = h.Builtin
	return b, nil
}
