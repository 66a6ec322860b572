package features

import (
	"context"
	"fmt"
)

// A Backbone is a pretrained network cut before its classifier: it maps a
// batch of preprocessed images to one embedding each. Implementations must
// be safe for concurrent use; the executor calls Embed from several
// goroutines.
type Backbone interface {
	// Spec says what input the network expects, so ImageFeaturizer can
	// prepare it.
	Spec() InputSpec
	// Embed runs the network on n images laid out in x as Spec describes
	// (n·C·H·W float32 values, already resized and normalised) and returns
	// n embeddings of Spec().Dim values each.
	Embed(ctx context.Context, x []float32, n int) ([][]float32, error)
}

// Layout is the order of a batch tensor's axes.
type Layout int

const (
	// NCHW is batch, channel, row, column: PyTorch's and ONNX's layout.
	NCHW Layout = iota
	// NHWC is batch, row, column, channel: TensorFlow's layout.
	NHWC
)

// String returns "NCHW" or "NHWC".
func (l Layout) String() string {
	switch l {
	case NCHW:
		return "NCHW"
	case NHWC:
		return "NHWC"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// ColourModel is the channel order a network was trained on.
type ColourModel int

const (
	// RGB is red, green, blue (torchvision, Keras, TF.js models).
	RGB ColourModel = iota
	// BGR is blue, green, red (Caffe and OpenCV models).
	BGR
	// Gray is one luminance channel (ITU-R 601, as image/color.Gray).
	Gray
)

// String names the colour model.
func (c ColourModel) String() string {
	switch c {
	case RGB:
		return "RGB"
	case BGR:
		return "BGR"
	case Gray:
		return "Gray"
	}
	return fmt.Sprintf("ColourModel(%d)", int(c))
}

// Channels returns 1 for Gray and 3 otherwise.
func (c ColourModel) Channels() int {
	if c == Gray {
		return 1
	}
	return 3
}

// InputSpec describes a backbone's input and output. A pixel channel value
// v in [0, 1] is fed to the network as (v − Mean[c]) / Std[c].
type InputSpec struct {
	// Width and Height are the input size in pixels.
	Width, Height int
	// Layout is the tensor's axis order.
	Layout Layout
	// Colour is the channel order.
	Colour ColourModel
	// Mean and Std normalise each channel of values in [0, 1]; only the
	// first Colour.Channels() entries are used. A zero Std is refused.
	Mean, Std [3]float32
	// Dim is the embedding length.
	Dim int
}

// Normalisations of pixel values in [0, 1] that pretrained networks expect.
var (
	// ImageNetMean and ImageNetStd are torchvision's normalisation.
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
	// UnitMean and UnitStd leave values in [0, 1] (TF.js models such as
	// nsfwjs).
	UnitMean = [3]float32{0, 0, 0}
	UnitStd  = [3]float32{1, 1, 1}
	// SymmetricMean and SymmetricStd map values to [−1, 1] (Keras
	// MobileNet and Inception preprocess_input).
	SymmetricMean = [3]float32{0.5, 0.5, 0.5}
	SymmetricStd  = [3]float32{0.5, 0.5, 0.5}
)

// Validate checks the spec.
func (s InputSpec) Validate() error {
	switch {
	case s.Width <= 0 || s.Height <= 0 || s.Width > 1<<14 || s.Height > 1<<14:
		return fmt.Errorf("input size %dx%d is outside 1 to 16384 pixels", s.Width, s.Height)
	case s.Layout != NCHW && s.Layout != NHWC:
		return fmt.Errorf("unknown layout %v", s.Layout)
	case s.Colour != RGB && s.Colour != BGR && s.Colour != Gray:
		return fmt.Errorf("unknown colour model %v", s.Colour)
	case s.Dim <= 0:
		return fmt.Errorf("embedding length %d is not positive", s.Dim)
	}
	for c := range s.Colour.Channels() {
		if !(s.Std[c] > 0) {
			return fmt.Errorf("standard deviation Std[%d] is %v; it must be positive", c, s.Std[c])
		}
	}
	return nil
}

// imageLen returns the number of float32 values one image takes.
func (s InputSpec) imageLen() int { return s.Width * s.Height * s.Colour.Channels() }
