package detect

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/internal/nn"
)

// Trainer defaults.
const (
	DefaultInputWidth    = 256
	DefaultInputHeight   = 192
	DefaultHidden        = 64
	DefaultEpochs        = 40
	DefaultBatchSize     = 16
	DefaultLearningRate  = 2e-3
	DefaultWeightDecay   = 1e-4
	DefaultAugmentations = 3
	DefaultValidation    = 0.2
	DefaultPatience      = 8
	DefaultMinScore      = 0.1
	DefaultNMSIoU        = 0.5
	DefaultMaxDetections = 20
)

// Trainer is an Estimator that trains a Detector on images and their
// (weak) boxes: it reads labelfree.Image and the boxes in Input
// (labelfree.Boxes by default, where ImageLIME writes them). Rows without
// boxes of the detected classes are negatives: they teach the background.
//
// The backbone is frozen: every training image is passed through it once
// per view (the original and Augmentations random crops, flips and colour
// changes, with the boxes moved along), and only the head is trained, with
// Gorgonia, on the cached feature maps. See the package documentation for
// the head and its loss. The cache holds C·H·W float32 values per view:
// 72 KiB at the default 256×192 input, so 1000 images with 3 augmented
// views each take about 290 MiB.
//
// The zero value trains a single-class detector on the embedded
// MobileNetV2 at 256×192 with the defaults above. Training is
// deterministic for a Seed: per-row randomness comes from Row.Seed and
// per-epoch shuffles from (Seed, epoch), so a run resumed from its
// checkpoint ends with the same detector as an uninterrupted one.
type Trainer struct {
	// Name names the stage; "" means "Trainer". The fitted Detector
	// takes the same name.
	Name string
	// Input is the column of boxes to learn; the zero value means
	// labelfree.Boxes. Use labelfree.TrueBoxes to train on ground truth.
	Input labelfree.Column[[]labelfree.Box]
	// Output names the column the Detector writes; "" means
	// labelfree.Boxes.
	Output string
	// Classes lists the box classes to detect, one heatmap each; boxes of
	// other classes are ignored. nil means every class among the
	// training boxes.
	Classes []int
	// Backbone is an ONNX classifier whose convolutional trunk provides
	// the features (input NCHW RGB); nil means the MobileNetV2 embedded in
	// package features.
	Backbone []byte
	// FeatureLayer names the backbone value the head reads, a feature
	// map; "" means DefaultFeatureLayer (a name of the default backbone).
	FeatureLayer string
	// Mean and Std normalise pixel values in [0, 1] for a custom
	// Backbone; zero Std means no normalisation (what the default
	// expects).
	Mean, Std [3]float32
	// InputWidth and InputHeight are the size images are stretched to;
	// 0 means 256×192. Multiples of 32 avoid padding at the edges.
	InputWidth, InputHeight int
	// Hidden is the number of channels of the head's 3×3 convolution;
	// 0 means 64.
	Hidden int
	// Epochs bounds the passes over the training views; 0 means 40.
	Epochs int
	// BatchSize is the number of views per optimiser step; 0 means 16.
	BatchSize int
	// LearningRate is AdamW's peak step size (linear warm-up, then cosine
	// decay to 0); 0 means 2e-3.
	LearningRate float64
	// WeightDecay is AdamW's decoupled weight decay of the weights (not
	// the biases); 0 means 1e-4, negative none.
	WeightDecay float64
	// Augmentations is the number of random views of each training image
	// besides the original; 0 means 3, negative none.
	Augmentations int
	// Augment configures the random views.
	Augment Augment
	// ValidationFraction of the rows (chosen by row ID) is held out to
	// pick the best epoch by AP@0.5 and stop early; 0 means 0.2, negative
	// none (the last epoch's head is kept). Datasets under 10 rows are not
	// split.
	ValidationFraction float64
	// Patience stops training after this many epochs without a better
	// validation AP@0.5 (AP@[.5:.95] breaking ties); 0 means 8.
	Patience int
	// MinScore, NMSIoU and MaxDetections configure the Detector; 0 means
	// 0.1, 0.5 and 20.
	MinScore, NMSIoU float64
	MaxDetections    int
	// Seed seeds initialisation, augmentation, the split and shuffling.
	Seed uint64
	// Workers is the number of goroutines computing feature maps; 0 means
	// GOMAXPROCS.
	Workers int
	// Engine picks what runs the backbone, in training and in the fitted
	// Detector (which saves the choice): labelfree's pure-Go engine (the
	// zero value) or onnxruntime, which needs a binary built with -tags
	// onnxruntime and the library at run time (see features.ONNXRuntime).
	Engine features.Engine
	// Progress, if non-nil, receives "<name>/features" reports per view
	// and "<name>/train" reports per epoch.
	Progress labelfree.Progress
	// CheckpointPath, if set, is a file the trainer writes after every
	// epoch and resumes from when it exists and matches this run (same
	// settings and rows); one that does not match is an error.
	CheckpointPath string
}

// TrainReport describes a training run.
type TrainReport struct {
	// TrainImages, ValImages and Negatives count rows; Views counts the
	// feature maps trained on; Boxes the training boxes of the detected
	// classes in the original images.
	TrainImages, ValImages, Negatives, Views, Boxes int
	// Epochs is the number of epochs run, BestEpoch the one whose head
	// was kept (1-based), ResumedAt the epoch a checkpoint resumed after
	// (0 for a fresh run).
	Epochs, BestEpoch, ResumedAt int
	// Stopped says why training ended: "EpochLimit" or "EarlyStopping".
	Stopped string
	// ValAP50 and ValAP are the kept head's validation AP@0.5 and
	// AP@[.5:.95] against the held-out boxes; NaN without validation.
	ValAP50, ValAP float64
	// History holds one entry per epoch.
	History []EpochStats
	// FeatureTime and TrainTime are the wall time spent in the backbone
	// and in the head's training.
	FeatureTime, TrainTime time.Duration
}

// EpochStats reports one epoch.
type EpochStats struct {
	Epoch          int
	Loss           float64
	ValAP50, ValAP float64
	LearningRate   float64
}

// Info implements labelfree.Stage.
func (t *Trainer) Info() labelfree.StageInfo {
	out := (&Detector{Output: t.Output}).output()
	return labelfree.StageInfo{Name: t.name(), Reads: []labelfree.ColumnRef{labelfree.Image.Ref(), t.input().Ref()}, Writes: []labelfree.ColumnRef{out.Ref()}}
}

func (t *Trainer) name() string {
	if t.Name == "" {
		return "Trainer"
	}
	return t.Name
}

func (t *Trainer) input() labelfree.Column[[]labelfree.Box] {
	if t.Input == (labelfree.Column[[]labelfree.Box]{}) {
		return labelfree.Boxes
	}
	return t.Input
}

// settings is a Trainer with every default filled in.
type settings struct {
	Classes                 []int
	FeatureLayer            string
	Mean, Std               [3]float32
	InputWidth, InputHeight int
	Hidden, Epochs, Batch   int
	LR, WD                  float64
	Augmentations           int
	Augment                 Augment
	Validation              float64
	Patience                int
	MinScore, NMSIoU        float64
	MaxDetections           int
	Seed                    uint64
}

func (t *Trainer) settings() settings {
	def := func(v, d int) int {
		if v == 0 {
			return d
		}
		return v
	}
	deff := func(v, d float64) float64 {
		if v == 0 {
			return d
		}
		return v
	}
	s := settings{
		Classes: slices.Clone(t.Classes), FeatureLayer: t.FeatureLayer, Mean: t.Mean, Std: t.Std,
		InputWidth: def(t.InputWidth, DefaultInputWidth), InputHeight: def(t.InputHeight, DefaultInputHeight),
		Hidden: def(t.Hidden, DefaultHidden), Epochs: def(t.Epochs, DefaultEpochs), Batch: def(t.BatchSize, DefaultBatchSize),
		LR: deff(t.LearningRate, DefaultLearningRate), WD: deff(t.WeightDecay, DefaultWeightDecay),
		Augmentations: def(t.Augmentations, DefaultAugmentations), Augment: t.Augment.withDefaults(),
		Validation: deff(t.ValidationFraction, DefaultValidation), Patience: def(t.Patience, DefaultPatience),
		MinScore: deff(t.MinScore, DefaultMinScore), NMSIoU: deff(t.NMSIoU, DefaultNMSIoU),
		MaxDetections: def(t.MaxDetections, DefaultMaxDetections), Seed: t.Seed,
	}
	if s.FeatureLayer == "" {
		s.FeatureLayer = DefaultFeatureLayer
	}
	if s.WD < 0 {
		s.WD = 0
	}
	if s.Augmentations < 0 || s.Augment.Disable {
		s.Augmentations = 0
	}
	if s.Validation < 0 {
		s.Validation = 0
	}
	return s
}

// Validate implements labelfree.Validator.
func (t *Trainer) Validate() error {
	pe := func(f, r string) error { return &labelfree.ParamError{Stage: t.name(), Field: f, Reason: r} }
	switch {
	case t.InputWidth < 0 || t.InputWidth > 4096 || (t.InputWidth > 0 && t.InputWidth < 32):
		return pe("InputWidth", fmt.Sprintf("%d is outside 32 to 4096", t.InputWidth))
	case t.InputHeight < 0 || t.InputHeight > 4096 || (t.InputHeight > 0 && t.InputHeight < 32):
		return pe("InputHeight", fmt.Sprintf("%d is outside 32 to 4096", t.InputHeight))
	case t.Hidden < 0 || t.Hidden > 4096:
		return pe("Hidden", fmt.Sprintf("%d is outside 0 to 4096", t.Hidden))
	case t.Epochs < 0:
		return pe("Epochs", "must not be negative")
	case t.BatchSize < 0 || t.BatchSize > 4096:
		return pe("BatchSize", fmt.Sprintf("%d is outside 0 to 4096", t.BatchSize))
	case !(t.LearningRate >= 0 && t.LearningRate < 1):
		return pe("LearningRate", fmt.Sprintf("%v is outside [0, 1)", t.LearningRate))
	case math.IsNaN(t.WeightDecay) || t.WeightDecay >= 1:
		return pe("WeightDecay", fmt.Sprintf("%v must be below 1", t.WeightDecay))
	case t.Augmentations > 64:
		return pe("Augmentations", "at most 64 views per image")
	case !(t.ValidationFraction < 0.9) || math.IsNaN(t.ValidationFraction):
		return pe("ValidationFraction", fmt.Sprintf("%v must be below 0.9", t.ValidationFraction))
	case t.Patience < 0:
		return pe("Patience", "must not be negative")
	case !(t.MinScore >= 0 && t.MinScore <= 1):
		return pe("MinScore", fmt.Sprintf("%v is outside [0, 1]", t.MinScore))
	case !(t.NMSIoU >= 0 && t.NMSIoU <= 1):
		return pe("NMSIoU", fmt.Sprintf("%v is outside [0, 1]", t.NMSIoU))
	case t.MaxDetections < 0:
		return pe("MaxDetections", "must not be negative")
	case t.Workers < 0:
		return pe("Workers", "must not be negative")
	case t.Engine != features.PureGo && t.Engine != features.ONNXRuntime:
		return pe("Engine", fmt.Sprintf("unknown engine %v", t.Engine))
	case t.Engine == features.ONNXRuntime && !nn.ONNXRuntimeBuilt():
		return pe("Engine", "onnxruntime engine not built in (build with -tags onnxruntime, which needs cgo)")
	case t.Augment.MinScale < 0 || t.Augment.MinScale > 1:
		return pe("Augment.MinScale", fmt.Sprintf("%v is outside [0, 1]", t.Augment.MinScale))
	case t.Augment.MinVisible < 0 || t.Augment.MinVisible > 1:
		return pe("Augment.MinVisible", fmt.Sprintf("%v is outside [0, 1]", t.Augment.MinVisible))
	}
	for _, c := range t.Classes {
		if c < 0 {
			return pe("Classes", fmt.Sprintf("class %d is negative", c))
		}
	}
	if len(t.Classes) > 1024 {
		return pe("Classes", "at most 1024 classes")
	}
	for f, v := range map[string]float64{"Augment.Brightness": t.Augment.Brightness, "Augment.Contrast": t.Augment.Contrast, "Augment.Saturation": t.Augment.Saturation} {
		if math.IsNaN(v) || v >= 1 {
			return pe(f, fmt.Sprintf("%v must be below 1", v))
		}
	}
	return nil
}

// sample is one training or validation view: its feature map and its
// boxes in input pixels, already restricted to the detected classes with
// Class set to the heatmap channel.
type sample struct {
	feat  []float32
	boxes []labelfree.Box
}

// Fit implements labelfree.Estimator; the Transformer is a *Detector.
func (t *Trainer) Fit(ctx context.Context, ds *labelfree.Dataset) (labelfree.Transformer, error) {
	d, err := t.Train(ctx, ds)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Train is Fit with the concrete result type.
func (t *Trainer) Train(ctx context.Context, ds *labelfree.Dataset) (*Detector, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	s := t.settings()
	name := t.name()
	rows := ds.OK()
	if len(rows) == 0 {
		return nil, fmt.Errorf("detect: %s: no rows to train on", name)
	}
	imgs := make([]image.Image, len(rows))
	boxes := make([][]labelfree.Box, len(rows))
	seen := map[int]bool{}
	for i, r := range rows {
		img, err := labelfree.MustGet(r, labelfree.Image)
		if err != nil {
			return nil, fmt.Errorf("detect: %s: row %q: %w", name, r.ID, err)
		}
		b := img.Bounds()
		if b.Empty() {
			return nil, fmt.Errorf("detect: %s: row %q: image is empty", name, r.ID)
		}
		imgs[i] = img
		bs, _ := labelfree.Get(r, t.input())
		for _, x := range bs {
			if err := finite(x); err != nil {
				return nil, fmt.Errorf("detect: %s: row %q: box %w", name, r.ID, err)
			}
			seen[x.Class] = true
		}
		boxes[i] = bs
	}
	if s.Classes == nil {
		for c := range seen {
			s.Classes = append(s.Classes, c)
		}
		slices.Sort(s.Classes)
	}
	if len(s.Classes) == 0 {
		return nil, fmt.Errorf("detect: %s: no boxes in column %q to learn from", name, t.input().Name())
	}
	channel := map[int]int{}
	for k, c := range s.Classes {
		channel[c] = k
	}
	rep := TrainReport{ValAP50: math.NaN(), ValAP: math.NaN()}
	// Keep the boxes of the detected classes, with Class = channel.
	for i := range boxes {
		var kept []labelfree.Box
		for _, b := range boxes[i] {
			if k, ok := channel[b.Class]; ok && !b.Empty() {
				b.Class = k
				kept = append(kept, b)
			}
		}
		boxes[i] = kept
		rep.Boxes += len(kept)
		if len(kept) == 0 {
			rep.Negatives++
		}
	}
	if rep.Boxes == 0 {
		return nil, fmt.Errorf("detect: %s: no boxes of classes %v to learn from", name, s.Classes)
	}

	// Deterministic split by row ID.
	isVal := make([]bool, len(rows))
	if s.Validation > 0 && len(rows) >= 10 {
		var valPos, trainPos int
		for i, r := range rows {
			isVal[i] = float64(r.Seed(s.Seed^0x76616c)%1_000_000)/1e6 < s.Validation
			if len(boxes[i]) > 0 {
				if isVal[i] {
					valPos++
				} else {
					trainPos++
				}
			}
		}
		if valPos == 0 || trainPos == 0 {
			clear(isVal)
		}
	}

	bb, err := loadBackbone(t.Backbone, s.FeatureLayer, s.InputWidth, s.InputHeight, s.Mean, s.Std, t.Engine)
	if err != nil {
		return nil, err
	}
	if defaultBackboneONNX(t.Backbone) {
		bb.onnx = nil
	}

	// Views: the original of every row, plus random ones of training rows.
	type job struct {
		row  int
		v    view
		val  bool
		slot int
	}
	var jobs []job
	for i, r := range rows {
		jobs = append(jobs, job{row: i, v: identityView(imgs[i].Bounds()), val: isVal[i]})
		if isVal[i] {
			rep.ValImages++
			continue
		}
		rep.TrainImages++
		rng := rand.New(rand.NewPCG(r.Seed(s.Seed), 0x617567))
		for range s.Augmentations {
			jobs = append(jobs, job{row: i, v: s.Augment.randomView(rng, imgs[i].Bounds())})
		}
	}
	var train, val []sample
	for j := range jobs {
		b := jobs[j].v.boxes(boxes[jobs[j].row], s.InputWidth, s.InputHeight, s.Augment.MinVisible)
		if jobs[j].val {
			jobs[j].slot = len(val)
			val = append(val, sample{boxes: b})
		} else {
			jobs[j].slot = len(train)
			train = append(train, sample{boxes: b})
		}
	}
	rep.Views = len(train)

	start := time.Now()
	workers := t.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))
	threads := 0
	if workers > 1 {
		threads = 1
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rgba := image.NewRGBA(image.Rect(0, 0, s.InputWidth, s.InputHeight))
			x := make([]float32, 3*s.InputWidth*s.InputHeight)
			for {
				j := int(next.Add(1) - 1)
				if j >= len(jobs) || ctx.Err() != nil {
					return
				}
				jb := jobs[j]
				bb.prepare(rgba, imgs[jb.row], jb.v.crop, jb.v.flip)
				jb.v.colour(rgba)
				bb.normalise(x, rgba)
				feat := make([]float32, bb.len())
				if err := bb.run(ctx, x, 1, feat, threads); err != nil {
					errs[w] = err
					return
				}
				if jb.val {
					val[jb.slot].feat = feat
				} else {
					train[jb.slot].feat = feat
				}
				n := done.Add(1)
				if t.Progress != nil && w == 0 {
					t.Progress.Progress(name+"/features", int(n), len(jobs))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if t.Progress != nil {
		t.Progress.Progress(name+"/features", len(jobs), len(jobs))
	}
	rep.FeatureTime = time.Since(start)

	fp := fingerprint(s, t.Backbone, rows, boxes)
	h, err := trainHead(ctx, t, s, bb, train, val, fp, &rep)
	if err != nil {
		return nil, err
	}
	d := &Detector{Name: t.Name, Output: t.Output, Classes: s.Classes, InputWidth: s.InputWidth, InputHeight: s.InputHeight,
		FeatureLayer: s.FeatureLayer, MinScore: s.MinScore, NMSIoU: s.NMSIoU, MaxDetections: s.MaxDetections,
		Report: rep, mean: s.Mean, std: s.Std, bb: bb, head: h}
	return d, d.Validate()
}

// fingerprint identifies a training run for its checkpoint.
func fingerprint(s settings, backbone []byte, rows []*labelfree.Row, boxes [][]labelfree.Box) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%+v\n", s)
	h.Write(backbone)
	for i, r := range rows {
		fmt.Fprintf(h, "%q", r.ID)
		for _, b := range boxes[i] {
			binary.Write(h, binary.LittleEndian, [5]float64{b.X0, b.Y0, b.X1, b.Y1, float64(b.Class)})
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
