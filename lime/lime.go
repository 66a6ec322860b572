package lime

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/superpixel"
)

// A Classifier scores images: for each image it returns one probability per
// class. ImageLIME calls it with batches of perturbed images; the images
// are only valid during the call. Implementations must be safe for
// concurrent use when ImageLIME runs on several rows at once.
type Classifier interface {
	Predict(ctx context.Context, imgs []image.Image) ([][]float64, error)
}

// ClassifierFunc adapts a function to the Classifier interface.
type ClassifierFunc func(ctx context.Context, imgs []image.Image) ([][]float64, error)

// Predict calls f.
func (f ClassifierFunc) Predict(ctx context.Context, imgs []image.Image) ([][]float64, error) {
	return f(ctx, imgs)
}

// Defaults of ImageLIME's zero-valued fields.
const (
	DefaultSamples      = 1000 // lime's num_samples
	DefaultBatchSize    = 32
	DefaultKernelWidth  = 0.25 // lime's kernel_width for images
	DefaultRidgeAlpha   = 1.0  // lime's Ridge(alpha=1)
	DefaultMinFidelity  = 0.2
	DefaultKeepFraction = 0.7
)

// ImageLIME explains a classifier's prediction for each image. Its zero
// value (with a Classifier) follows lime's LimeImageExplainer defaults but
// for the segmenter (SLIC with 100 segments, not quickshift) and for the
// mask sampler (see KeepFraction).
type ImageLIME struct {
	// Classifier scores images; required.
	Classifier Classifier
	// Segmenter divides images into superpixels; nil means
	// superpixel.SLIC{} with its defaults. A row that already has a
	// superpixel.Segments value of the image's size uses it instead.
	Segmenter superpixel.Segmenter
	// Class is the class to explain; -1 explains the class the classifier
	// finds most probable for the unperturbed image.
	Class int
	// Samples is the number of perturbed images per explanation (the
	// unperturbed image is the first); 0 means DefaultSamples.
	Samples int
	// KeepFraction is the probability that a superpixel stays on in a
	// perturbed sample (SynapseML's samplingFraction); 0 means
	// DefaultKeepFraction. Set UniformCount to sample instead as lime
	// does: a number of superpixels to switch on, uniform in 1..n, then
	// which ones.
	KeepFraction float64
	UniformCount bool
	// BatchSize is the number of perturbed images rendered and scored at
	// once; 0 means DefaultBatchSize. Memory grows with it, not Samples.
	BatchSize int
	// KernelWidth is the width of the exponential kernel on cosine
	// distance; 0 means DefaultKernelWidth.
	KernelWidth float64
	// RidgeAlpha is the L2 penalty of the weighted linear model; 0 means
	// DefaultRidgeAlpha. Use a negative value for none.
	RidgeAlpha float64
	// Fill says what switched-off superpixels show; the zero value is the
	// segment's mean colour.
	Fill superpixel.Fill
	// MinFidelity flags explanations whose weighted R² is below it as
	// unreliable (Explanation.LowFidelity); 0 means DefaultMinFidelity.
	MinFidelity float64
	// Boxes says how explanations become boxes in labelfree.Boxes.
	Boxes BoxOptions
	// Seed seeds the mask sampler, combined with each row's ID.
	Seed uint64
}

// Explanations holds each row's Explanation.
var Explanations = labelfree.NewColumn[*Explanation]("lime.explanation", "LIME explanation")

const stageName = "ImageLIME"

// An Explanation is LIME's local linear model of the classifier around one
// image.
type Explanation struct {
	// Class is the explained class.
	Class int
	// Probability is the classifier's probability of Class for the
	// unperturbed image.
	Probability float64
	// Weights holds each superpixel's importance: the change in the class
	// probability the linear model attributes to showing that superpixel.
	Weights []float64
	// Intercept is the model's probability with every superpixel hidden.
	Intercept float64
	// R2 is the weighted coefficient of determination of the linear model
	// on the samples: its local fidelity to the classifier.
	R2 float64
	// LowFidelity is set when R2 is below the stage's MinFidelity, or the
	// classifier's output did not vary over the samples: the weights
	// explain little and boxes drawn from them are not to be trusted.
	LowFidelity bool
	// Samples is the number of perturbed images scored.
	Samples int
	// Segmentation is the superpixel division the weights refer to.
	Segmentation *superpixel.Segmentation
}

// Info implements labelfree.Stage.
func (l *ImageLIME) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   stageName,
		Reads:  []labelfree.ColumnRef{labelfree.Image.Ref()},
		Writes: []labelfree.ColumnRef{Explanations.Ref(), superpixel.Segments.Ref(), labelfree.Boxes.Ref()},
	}
}

// Validate checks the parameters.
func (l *ImageLIME) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: stageName, Field: field, Reason: reason}
	}
	switch {
	case l.Classifier == nil:
		return bad("Classifier", "is required")
	case l.Class < -1:
		return bad("Class", fmt.Sprintf("%d is negative (use -1 for the top class)", l.Class))
	case l.Samples < 0 || l.Samples == 1:
		return bad("Samples", fmt.Sprintf("%d: need at least 2 samples", l.Samples))
	case l.KeepFraction < 0 || l.KeepFraction >= 1:
		return bad("KeepFraction", fmt.Sprintf("%v is outside (0, 1)", l.KeepFraction))
	case l.BatchSize < 0:
		return bad("BatchSize", "is negative")
	case l.KernelWidth < 0 || math.IsNaN(l.KernelWidth):
		return bad("KernelWidth", "is negative")
	case math.IsNaN(l.RidgeAlpha):
		return bad("RidgeAlpha", "is NaN")
	case l.MinFidelity < 0 || l.MinFidelity > 1:
		return bad("MinFidelity", "is outside [0, 1]")
	}
	if err := l.Boxes.validate(); err != nil {
		return err
	}
	if v, ok := l.Segmenter.(labelfree.Validator); ok {
		return v.Validate()
	}
	return nil
}

func orDefault[T int | float64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Transform explains one row's image.
func (l *ImageLIME) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	seg, ok := labelfree.Get(r, superpixel.Segments)
	b := img.Bounds()
	if !ok || seg == nil || seg.Width != b.Dx() || seg.Height != b.Dy() {
		if seg, err = l.segmenter().Segment(ctx, img); err != nil {
			return fmt.Errorf("segment: %w", err)
		}
		labelfree.Set(r, superpixel.Segments, seg)
	}
	ex, err := l.Explain(ctx, img, seg, r.Seed(l.Seed))
	if err != nil {
		return err
	}
	labelfree.Set(r, Explanations, ex)
	labelfree.Set(r, labelfree.Boxes, ex.Boxes(l.Boxes))
	return nil
}

func (l *ImageLIME) segmenter() superpixel.Segmenter {
	if l.Segmenter != nil {
		return l.Segmenter
	}
	return superpixel.SLIC{}
}

// Explain explains the classifier's prediction for img over the given
// segmentation, drawing masks from seed.
func (l *ImageLIME) Explain(ctx context.Context, img image.Image, seg *superpixel.Segmentation, seed uint64) (*Explanation, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	n := seg.N
	if n == 0 {
		return nil, errors.New("lime: segmentation has no segments")
	}
	samples := orDefault(l.Samples, DefaultSamples)
	batch := min(orDefault(l.BatchSize, DefaultBatchSize), samples)
	keep := orDefault(l.KeepFraction, DefaultKeepFraction)
	width := orDefault(l.KernelWidth, DefaultKernelWidth)

	masker, err := seg.NewMasker(img, l.Fill)
	if err != nil {
		return nil, fmt.Errorf("lime: %w", err)
	}
	bufs := make([]*image.RGBA, batch)
	views := make([]image.Image, batch)
	for i := range bufs {
		bufs[i] = masker.NewImage()
	}

	// masks[s*n+k] is segment k's state in sample s; sample 0 is the
	// unperturbed image.
	masks := make([]bool, samples*n)
	rng := rand.New(rand.NewPCG(seed, 0x6c696d65))
	perm := make([]int, n)
	for s := 0; s < samples; s++ {
		row := masks[s*n : (s+1)*n]
		switch {
		case s == 0:
			for k := range row {
				row[k] = true
			}
		case l.UniformCount:
			on := 1 + rng.IntN(n)
			for k := range perm {
				perm[k] = k
			}
			for k := 0; k < on; k++ {
				j := k + rng.IntN(n-k)
				perm[k], perm[j] = perm[j], perm[k]
				row[perm[k]] = true
			}
		default:
			for k := range row {
				row[k] = rng.Float64() < keep
			}
		}
	}

	y := make([]float64, samples)
	class := l.Class
	for s0 := 0; s0 < samples; s0 += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := min(batch, samples-s0)
		for i := 0; i < m; i++ {
			if err := masker.Mask(bufs[i], masks[(s0+i)*n:(s0+i+1)*n]); err != nil {
				return nil, fmt.Errorf("lime: %w", err)
			}
			views[i] = bufs[i]
		}
		probs, err := l.Classifier.Predict(ctx, views[:m])
		if err != nil {
			return nil, fmt.Errorf("lime: classifier: %w", err)
		}
		if len(probs) != m {
			return nil, fmt.Errorf("lime: classifier returned %d results for %d images", len(probs), m)
		}
		if s0 == 0 && class < 0 {
			class = argmax(probs[0])
		}
		for i, p := range probs {
			if class >= len(p) {
				return nil, fmt.Errorf("lime: classifier returned %d classes, explaining class %d", len(p), class)
			}
			y[s0+i] = p[class]
		}
	}

	// Kernel weights on the cosine distance to the all-on mask:
	// d = 1 - on/sqrt(on*n) = 1 - sqrt(on/n).
	w := make([]float64, samples)
	for s := range w {
		on := 0
		for _, v := range masks[s*n : (s+1)*n] {
			if v {
				on++
			}
		}
		d := 1.0
		if on > 0 {
			d = 1 - math.Sqrt(float64(on)/float64(n))
		}
		w[s] = math.Sqrt(math.Exp(-d * d / (width * width)))
	}

	alpha := orDefault(l.RidgeAlpha, DefaultRidgeAlpha)
	if alpha < 0 {
		alpha = 0
	}
	fit, err := ridge(masks, n, y, w, alpha)
	if err != nil {
		return nil, fmt.Errorf("lime: %w", err)
	}
	ex := &Explanation{
		Class:        class,
		Probability:  y[0],
		Weights:      fit.coef,
		Intercept:    fit.intercept,
		R2:           fit.r2,
		Samples:      samples,
		Segmentation: seg,
	}
	ex.LowFidelity = fit.constant || fit.r2 < orDefault(l.MinFidelity, DefaultMinFidelity)
	return ex, nil
}

func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}
