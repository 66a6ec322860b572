package labelfree

import (
	"bytes"
	"image"
	"image/png"
)

// The well-known columns every stage package shares. Packages declare
// their own columns for their own types (superpixel.Segments,
// lime.Explanations); users declare theirs with NewColumn.
var (
	// Image is the decoded image.
	Image = NewColumnCodec[image.Image]("image", "decoded image", pngCodec{})
	// ImageBytes holds the encoded image exactly as downloaded or read.
	ImageBytes = NewColumn[[]byte]("image.bytes", "encoded image bytes")
	// ImagePath is the image's file path on local disk.
	ImagePath = NewColumn[string]("image.path", "image file path")
	// Label is the row's class index into Dataset.Classes (the weak label
	// from search, or the truth when known).
	Label = NewColumn[int]("label", "class index")
	// Embedding is a feature vector, such as a CNN's penultimate layer.
	Embedding = NewColumn[[]float32]("embedding", "feature vector")
	// Probabilities holds one probability per class, summing to 1.
	Probabilities = NewColumn[[]float64]("probabilities", "class probabilities")
	// Prediction is the most probable class index.
	Prediction = NewColumn[int]("prediction", "predicted class index")
	// Boxes are predicted object boxes (from LIME or a detector).
	Boxes = NewColumn[[]Box]("boxes", "predicted boxes")
	// TrueBoxes are ground-truth boxes, where known (synthetic scenes,
	// hand labels), for evaluation.
	TrueBoxes = NewColumn[[]Box]("boxes.true", "ground-truth boxes")
)

// pngCodec stores images losslessly; PNG at BestSpeed keeps checkpoint and
// shuffle costs low while preserving every pixel.
type pngCodec struct{}

func (pngCodec) Encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (pngCodec) Decode(b []byte) (image.Image, error) {
	return png.Decode(bytes.NewReader(b))
}
