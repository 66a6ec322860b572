package detect

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/features"
)

func init() {
	labelfree.Register[*Detector]()
}

// Detector is a fitted detector: a Transformer (and BatchTransformer) that
// reads labelfree.Image and writes the detected boxes, strongest first, in
// the image's pixel coordinates, into labelfree.Boxes (or the column named
// by Output). Get one from Trainer.Fit or labelfree.Load. It is safe for
// concurrent use.
type Detector struct {
	// Name names the stage; "" means "Detector".
	Name string
	// Output names the []labelfree.Box column written; "" means
	// labelfree.Boxes.
	Output string
	// Classes maps heatmap channels to class indices.
	Classes []int
	// InputWidth and InputHeight are the size images are stretched to.
	InputWidth, InputHeight int
	// FeatureLayer is the backbone value the head reads.
	FeatureLayer string
	// MinScore is the lowest score of a box written (0 to 1).
	MinScore float64
	// NMSIoU suppresses a box overlapping a stronger box of its class
	// by more than this IoU.
	NMSIoU float64
	// MaxDetections caps the boxes per image.
	MaxDetections int
	// Batch is the number of images per backbone pass in TransformBatch;
	// 0 means 8.
	Batch int
	// Threads is the number of goroutines one backbone pass uses; 0
	// means GOMAXPROCS. When many images are processed by as many
	// goroutines as cores (the archive job), 1 avoids oversubscription.
	Threads int
	// Report describes the training run that produced the detector.
	Report TrainReport

	mean, std [3]float32
	bb        *backbone
	head      *head
	scratch   sync.Pool
}

// detectorScratch holds one goroutine's buffers.
type detectorScratch struct {
	rgba      *image.RGBA
	x, feat   []float32
	col, hid  []float32
	heat, reg []float32
	batchSize int
}

// Info implements labelfree.Stage.
func (d *Detector) Info() labelfree.StageInfo {
	name := d.Name
	if name == "" {
		name = "Detector"
	}
	return labelfree.StageInfo{Name: name, Reads: []labelfree.ColumnRef{labelfree.Image.Ref()}, Writes: []labelfree.ColumnRef{d.output().Ref()}}
}

func (d *Detector) output() labelfree.Column[[]labelfree.Box] {
	if d.Output == "" || d.Output == labelfree.Boxes.Name() {
		return labelfree.Boxes
	}
	return labelfree.NewColumn[[]labelfree.Box](d.Output, "detector boxes")
}

// Validate implements labelfree.Validator.
func (d *Detector) Validate() error {
	pe := func(f, r string) error { return &labelfree.ParamError{Stage: d.Info().Name, Field: f, Reason: r} }
	switch {
	case d.bb == nil || d.head == nil:
		return pe("head", "detector is not fitted (use Trainer.Fit or labelfree.Load)")
	case !(d.MinScore >= 0 && d.MinScore <= 1):
		return pe("MinScore", fmt.Sprintf("%v is outside [0, 1]", d.MinScore))
	case !(d.NMSIoU > 0 && d.NMSIoU <= 1):
		return pe("NMSIoU", fmt.Sprintf("%v is outside (0, 1]", d.NMSIoU))
	case d.MaxDetections <= 0:
		return pe("MaxDetections", "must be positive")
	case d.Batch < 0:
		return pe("Batch", "must not be negative")
	case d.Threads < 0:
		return pe("Threads", "must not be negative")
	}
	return nil
}

// BatchSize implements labelfree.BatchTransformer.
func (d *Detector) BatchSize() int {
	if d.Batch > 0 {
		return d.Batch
	}
	return 8
}

// Transform implements labelfree.Transformer.
func (d *Detector) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	boxes, err := d.DetectBatch(ctx, []image.Image{img})
	if err != nil {
		return err
	}
	labelfree.Set(r, d.output(), boxes[0])
	return nil
}

// TransformBatch implements labelfree.BatchTransformer: rows without a
// usable image fail; the others go through the backbone together.
func (d *Detector) TransformBatch(ctx context.Context, rows []*labelfree.Row) error {
	var imgs []image.Image
	var ok []*labelfree.Row
	for _, r := range rows {
		img, err := labelfree.MustGet(r, labelfree.Image)
		if err == nil && img == nil {
			err = errors.New("image is nil")
		} else if err == nil && img.Bounds().Empty() {
			err = errors.New("image is empty")
		}
		if err != nil {
			r.Fail(d.Info().Name, err)
			continue
		}
		imgs = append(imgs, img)
		ok = append(ok, r)
	}
	if len(imgs) == 0 {
		return nil
	}
	boxes, err := d.DetectBatch(ctx, imgs)
	if err != nil {
		return err
	}
	for i, r := range ok {
		labelfree.Set(r, d.output(), boxes[i])
	}
	return nil
}

// Detect returns the boxes found in img.
func (d *Detector) Detect(ctx context.Context, img image.Image) ([]labelfree.Box, error) {
	b, err := d.DetectBatch(ctx, []image.Image{img})
	if err != nil {
		return nil, err
	}
	return b[0], nil
}

// DetectBatch returns the boxes found in each image, running the backbone
// on all of them in one pass.
func (d *Detector) DetectBatch(ctx context.Context, imgs []image.Image) ([][]labelfree.Box, error) {
	return d.detectBatch(ctx, imgs, d.Threads)
}

// detectBatch is DetectBatch with a backbone thread count (0 means all).
func (d *Detector) detectBatch(ctx context.Context, imgs []image.Image, threads int) ([][]labelfree.Box, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	for i, img := range imgs {
		if img == nil || img.Bounds().Empty() {
			return nil, fmt.Errorf("detect: image %d is empty", i)
		}
	}
	n := len(imgs)
	s := d.getScratch(n)
	defer d.scratch.Put(s)
	bb := d.bb
	px := 3 * bb.inW * bb.inH
	for i, img := range imgs {
		bb.prepare(s.rgba, img, img.Bounds(), false)
		bb.normalise(s.x[i*px:(i+1)*px], s.rgba)
	}
	if err := bb.run(ctx, s.x[:n*px], n, s.feat, threads); err != nil {
		return nil, err
	}
	return d.decodeFeatures(s, n, imgs)
}

func (d *Detector) getScratch(n int) *detectorScratch {
	s, _ := d.scratch.Get().(*detectorScratch)
	bb := d.bb
	if s == nil {
		s = &detectorScratch{rgba: image.NewRGBA(image.Rect(0, 0, bb.inW, bb.inH))}
	}
	if s.batchSize < n {
		cells := bb.H * bb.W
		s.x = make([]float32, n*3*bb.inW*bb.inH)
		s.feat = make([]float32, n*bb.len())
		s.col = make([]float32, cells*d.head.In)
		s.hid = make([]float32, cells*d.head.Hidden)
		s.heat = make([]float32, cells*d.head.K)
		s.reg = make([]float32, cells*regOut)
		s.batchSize = n
	}
	return s
}

// decodeFeatures runs the head on n feature maps in s.feat and maps the
// boxes into each image's coordinates.
func (d *Detector) decodeFeatures(s *detectorScratch, n int, imgs []image.Image) ([][]labelfree.Box, error) {
	bb := d.bb
	res := make([][]labelfree.Box, n)
	for i := range n {
		boxes := d.headBoxes(s, s.feat[i*bb.len():(i+1)*bb.len()])
		if imgs != nil {
			b := imgs[i].Bounds()
			sx := float64(b.Dx()) / float64(bb.inW)
			sy := float64(b.Dy()) / float64(bb.inH)
			out := boxes[:0]
			for _, x := range boxes {
				x.X0 = math.Max(float64(b.Min.X), float64(b.Min.X)+x.X0*sx)
				x.X1 = math.Min(float64(b.Max.X), float64(b.Min.X)+x.X1*sx)
				x.Y0 = math.Max(float64(b.Min.Y), float64(b.Min.Y)+x.Y0*sy)
				x.Y1 = math.Min(float64(b.Max.Y), float64(b.Min.Y)+x.Y1*sy)
				if x.X1 > x.X0 && x.Y1 > x.Y0 {
					out = append(out, x)
				}
			}
			boxes = out
		}
		res[i] = boxes
	}
	return res, nil
}

// headBoxes runs the head on one feature map and returns boxes in input
// pixels.
func (d *Detector) headBoxes(s *detectorScratch, feat []float32) []labelfree.Box {
	bb := d.bb
	cells := bb.H * bb.W
	im2col(s.col, feat, bb.C, bb.H, bb.W)
	d.head.forward(s.col, cells, s.hid, s.heat, s.reg)
	return decode(s.heat, s.reg, bb.H, bb.W, len(d.Classes), float64(bb.inW)/float64(bb.W), float64(bb.inH)/float64(bb.H),
		decodeOptions{minScore: d.MinScore, nmsIoU: d.NMSIoU, maxDet: d.MaxDetections, classes: d.Classes})
}

// savedDetector is the persisted form of a Detector.
type savedDetector struct {
	Version                 int
	Name, Output            string
	Classes                 []int
	InputWidth, InputHeight int
	FeatureLayer            string
	MinScore, NMSIoU        float64
	MaxDetections, Batch    int
	Report                  TrainReport
	Mean, Std               [3]float32
	// Backbone is nil for the MobileNetV2 embedded in package features.
	Backbone []byte
	Head     head
	// Engine runs the backbone (absent, so PureGo, in older files).
	Engine features.Engine
}

// MarshalBinary implements encoding.BinaryMarshaler for labelfree.Save.
// The embedded MobileNetV2 is referenced, not copied; a custom backbone's
// ONNX bytes are stored.
func (d *Detector) MarshalBinary() ([]byte, error) {
	if d.bb == nil || d.head == nil {
		return nil, errors.New("detect: detector is not fitted")
	}
	sd := savedDetector{Version: 1, Name: d.Name, Output: d.Output, Classes: d.Classes, InputWidth: d.InputWidth, InputHeight: d.InputHeight,
		FeatureLayer: d.FeatureLayer, MinScore: d.MinScore, NMSIoU: d.NMSIoU, MaxDetections: d.MaxDetections, Batch: d.Batch,
		Report: d.Report, Mean: d.mean, Std: d.std, Backbone: d.bb.onnx, Head: *d.head, Engine: d.bb.engine}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&sd); err != nil {
		return nil, fmt.Errorf("detect: encoding detector: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler for labelfree.Load.
func (d *Detector) UnmarshalBinary(data []byte) error {
	var sd savedDetector
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&sd); err != nil {
		return fmt.Errorf("detect: decoding detector: %w", err)
	}
	if sd.Version != 1 {
		return fmt.Errorf("detect: unknown detector version %d", sd.Version)
	}
	if sd.InputWidth < 32 || sd.InputHeight < 32 || sd.InputWidth > 4096 || sd.InputHeight > 4096 {
		return fmt.Errorf("detect: saved input size %dx%d is outside 32 to 4096", sd.InputWidth, sd.InputHeight)
	}
	bb, err := loadBackbone(sd.Backbone, sd.FeatureLayer, sd.InputWidth, sd.InputHeight, sd.Mean, sd.Std, sd.Engine)
	if err != nil {
		return err
	}
	h := sd.Head
	if !h.valid() || h.In != 9*bb.C || h.K != len(sd.Classes) {
		return errors.New("detect: saved head does not fit the backbone and classes")
	}
	*d = Detector{Name: sd.Name, Output: sd.Output, Classes: sd.Classes, InputWidth: sd.InputWidth, InputHeight: sd.InputHeight,
		FeatureLayer: sd.FeatureLayer, MinScore: sd.MinScore, NMSIoU: sd.NMSIoU, MaxDetections: sd.MaxDetections, Batch: sd.Batch,
		Report: sd.Report, mean: sd.Mean, std: sd.Std, bb: bb, head: &h}
	return d.Validate()
}

// Engine reports what runs the detector's backbone (Trainer.Engine, kept
// in the saved detector).
func (d *Detector) Engine() features.Engine {
	if d.bb == nil {
		return features.PureGo
	}
	return d.bb.engine
}

var _ labelfree.BatchTransformer = (*Detector)(nil)

// defaultBackboneONNX reports whether b is the embedded MobileNetV2.
func defaultBackboneONNX(b []byte) bool {
	return b == nil || bytes.Equal(b, features.MobileNetV2ONNX())
}
