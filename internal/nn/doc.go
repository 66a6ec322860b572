// Package nn is labelfree's neural-network engine: it imports ONNX models
// (torchvision, timm and ONNX-model-zoo exports of ResNet, MobileNet,
// EfficientNet and VGG backbones) and runs them fast on the CPU in pure Go.
// The public wrapper is features.Backbone; this package is internal so its
// API can follow the engine.
//
// # Loading
//
// Load parses a ModelProto (types generated from onnx.proto into package
// onnxpb), validates every node, attribute and element type, and fails with
// a *NodeError wrapping ErrUnsupported naming the operator and node for
// anything the engine does not implement, so that nothing unsupported is
// discovered at run time. Opsets 1 to 21 of the ai.onnx domain are read;
// operator forms that changed meaning before opset 7 are rejected by the
// same strict attribute checks. Tensor sizes are capped (MaxElements) and
// declared dims are checked against stored data before anything is
// allocated, so hostile files fail with an error.
//
// Options.InputShapes replaces an input's declared shape at load (the
// convolutional part of a classifier runs at any image size; a -1 leaves
// a dimension free), and Options.Outputs cuts the graph as Model.Truncate
// does. The override is checked there: names, ranks and dimensions first,
// then one run on zeros at the new shape, so that a Reshape whose target
// the exporter baked in for the old size fails at load, naming the node.
//
// Supported operators: Conv (1-D/2-D, grouped, depthwise, auto_pad,
// asymmetric pads, dilations), BatchNormalization (inference), Relu, Clip,
// Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Add, Sub, Mul, Div
// (numpy broadcasting), MaxPool (ceil_mode, dilations), AveragePool
// (count_include_pad), GlobalAveragePool, Gemm, MatMul, Flatten, Reshape,
// Squeeze, Unsqueeze, Concat, Transpose, Pad (constant/reflect/edge),
// Softmax, Identity, Dropout (inference), Constant, Shape, Gather, Cast and
// DequantizeLinear. Element types are float32 for arithmetic and int64 (plus
// int32/uint8/int8/bool where an operator only moves data) for shapes and
// indices. The official ONNX backend node tests of these operators run in
// TestONNXConformance.
//
// At load, nodes whose inputs are all constants are evaluated once
// (constant folding: Shape/Gather/Unsqueeze/Concat/Reshape chains over
// initializers, DequantizeLinear of quantised weights). The execution plan
// then folds BatchNormalization into the preceding Conv, and fuses a
// following residual Add and activation (Relu, Clip, Sigmoid, HardSigmoid,
// HardSwish, ...) into the Conv's GEMM epilogue. The constant weights of
// every GEMM-based Conv are then packed once into internal/gemm's panel
// layout (gemm.PackedA), so that no run copies them again; the packed copy
// sits beside the original, about doubling the memory weights take.
//
// # Running
//
// A Model is immutable and safe for concurrent use. Model.Run allocates
// its outputs; a Session (one per goroutine) keeps every intermediate
// buffer between calls, so steady-state inference allocates nothing:
//
//	m, err := nn.Load(f, nil)
//	s := m.NewSession()
//	out := []*nn.Tensor{{}}
//	err = s.Run(ctx, []*nn.Tensor{{Shape: []int{1, 3, 224, 224}, Data: pixels}}, out)
//
// Tensors are dense, row-major, NCHW for images. Model.Truncate cuts the
// graph so that it ends at a named value (Model.Values lists them): the
// usual way to turn a classifier into a feature extractor.
//
// # Kernels
//
// Convolutions run as im2col plus GEMM, 1×1 stride-1 convolutions as a
// plain GEMM on the input, and depthwise convolutions with a direct kernel.
// All GEMMs go through one function (sgemm): internal/gemm's AVX-512/AVX2
// Sgemm by default (pure Go, builds with CGO_ENABLED=0), or OpenBLAS with
// the openblas build tag (cgo, libopenblas-dev). The engine cuts each GEMM's
// output into a few blocks per thread and runs the bias/residual/activation
// epilogue on each block while it is in cache; im2col rows, pooling and
// depthwise channel planes are spread over GOMAXPROCS goroutines the same
// way, through long-lived helpers, without allocating.
//
// # The onnxruntime engine
//
// Built with the onnxruntime tag (cgo), Options.Engine = EngineONNXRuntime
// runs a model with onnxruntime's CPU library through
// github.com/yalue/onnxruntime_go (C API 24: onnxruntime 1.24 or newer),
// loaded with dlopen from Options.ONNXRuntimeLib or
// $LABELFREE_ONNXRUNTIME_LIB (the npm package onnxruntime-node ships
// bin/napi-v6/linux/x64/libonnxruntime.so.1). The Go engine still loads
// and checks the model, so errors, Inputs, Outputs, Values and Truncate
// are the same; onnxruntime gets the file cut to the model's outputs and
// with its inputs' (possibly overridden) shapes. Without the tag the
// package builds with CGO_ENABLED=0 and Load refuses that engine with
// ErrNoONNXRuntime.
//
// # Training
//
// Gorgonia is the autodiff engine. FineTune rebuilds the part of a model
// after a cut value (Conv, BatchNormalization with frozen statistics, Relu,
// residual Add, pooling, Flatten, Gemm/MatMul and view() shape chains) as a
// Gorgonia graph initialised from the ONNX weights, trains it with SGD or
// Adam on softmax cross-entropy, and returns a copy of the model with the
// new weights for the fast engine. TrainHead trains a new linear classifier
// on frozen features the same way. Training runs on the CPU; the cuda build
// tag is not implemented.
package nn
