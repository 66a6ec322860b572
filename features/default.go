package features

import (
	_ "embed"
	"errors"
)

// mobileNetV2 is MobileNetV2 from npm nsfwjs 4.3.0 (MIT), converted by
// models/convert_nsfwjs_mobilenetv2.py; see models/NOTICE.md.
//
//go:embed models/mobilenetv2_nsfwjs.onnx
var mobileNetV2 []byte

// MobileNetV2ONNX returns the embedded default backbone as an ONNX file:
// input "input" float32 [N, 3, 224, 224] RGB in [0, 1], output "embedding"
// float32 [N, 1280]. The slice is shared; do not modify it.
func MobileNetV2ONNX() []byte { return mobileNetV2 }

// MobileNetV2Spec is the input the embedded MobileNetV2 expects.
var MobileNetV2Spec = InputSpec{Width: 224, Height: 224, Layout: NCHW, Colour: RGB, Mean: UnitMean, Std: UnitStd, Dim: 1280}

// newDefaultBackbone is set by the ONNX engine adapter.
var newDefaultBackbone func() (Backbone, error)

// DefaultBackbone returns the MobileNetV2 embedded in this package (2.4 MB,
// uint8 weights), run by labelfree's pure-Go ONNX engine. Every call
// returns a new handle on the same weights.
func DefaultBackbone() (Backbone, error) {
	if newDefaultBackbone == nil {
		return nil, errors.New("features: no ONNX engine is linked in to run the default backbone")
	}
	return newDefaultBackbone()
}
