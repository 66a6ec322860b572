package lfbeam

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/superpixel"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func([]byte), error](&limeFn{})
}

// Explain runs LIME (lime.ImageLIME) over a PCollection of encoded rows
// that hold a labelfree.Image, and returns them with their explanation,
// superpixels and boxes, as the local executor would.
//
// Unlike SynapseML, which explodes every image into hundreds of perturbed
// images and sends them all through Spark's shuffle, each row is
// explained whole on the worker that holds it: the worker draws the masks
// from the row's seed (Row.Seed(cfg.Seed)), renders and scores the
// perturbed images locally, fits the weighted ridge model and emits the
// row. Nothing but the row and its explanation crosses the network, and
// the boxes equal the local executor's for the same seed.
//
// cfg holds LIME's parameters. Its Classifier cannot travel as it is (it
// is an interface): the classifier is given as a fitted pipeline that
// reads labelfree.Image and writes labelfree.Probabilities (such as an
// ImageFeaturizer followed by a LogisticModel), shipped as labelfree.Save
// bytes and wrapped in a lime.PipelineClassifier on each worker. Leave
// cfg.Classifier nil, or set it to a lime.PipelineClassifier and pass a
// nil classifier. cfg.Segmenter must be nil (SLIC's defaults) or a
// superpixel.SLIC.
func Explain(s beam.Scope, cfg lime.ImageLIME, classifier *labelfree.PipelineModel, rows beam.PCollection) (beam.PCollection, error) {
	switch c := cfg.Classifier.(type) {
	case nil:
	case lime.PipelineClassifier:
		if classifier == nil {
			classifier = c.Model
		}
	case *lime.PipelineClassifier:
		if classifier == nil && c != nil {
			classifier = c.Model
		}
	default:
		return beam.PCollection{}, fmt.Errorf("lfbeam: explain: ImageLIME.Classifier %T cannot be shipped to workers: pass the classifier as a fitted *labelfree.PipelineModel", c)
	}
	if classifier == nil {
		return beam.PCollection{}, fmt.Errorf("lfbeam: explain: no classifier model")
	}
	fn := &limeFn{}
	switch sg := cfg.Segmenter.(type) {
	case nil:
	case superpixel.SLIC:
		fn.SLIC = &sg
	case *superpixel.SLIC:
		if sg != nil {
			c := *sg
			fn.SLIC = &c
		}
	default:
		return beam.PCollection{}, fmt.Errorf("lfbeam: explain: ImageLIME.Segmenter %T cannot be shipped to workers: use superpixel.SLIC", sg)
	}
	check := cfg
	check.Classifier = lime.PipelineClassifier{Model: classifier}
	if err := check.Validate(); err != nil {
		return beam.PCollection{}, err
	}
	model, err := saveModel(classifier)
	if err != nil {
		return beam.PCollection{}, err
	}
	cfg.Classifier, cfg.Segmenter = nil, nil
	params, err := json.Marshal(&cfg)
	if err != nil {
		return beam.PCollection{}, fmt.Errorf("lfbeam: explain: %w", err)
	}
	fn.Classifier, fn.Params = model, params
	s = s.Scope("lfbeam.Explain")
	return beam.ParDo(s, fn, rows), nil
}

type limeFn struct {
	// Classifier is the saved classifier pipeline (labelfree.Save).
	Classifier []byte
	// Params is the JSON of lime.ImageLIME without Classifier and
	// Segmenter.
	Params []byte
	// SLIC is the segmenter's parameters; nil means SLIC's defaults.
	SLIC *superpixel.SLIC

	run *rowRunner
}

func (f *limeFn) Setup() error {
	m, err := loadModel(f.Classifier)
	if err != nil {
		return err
	}
	l := &lime.ImageLIME{}
	if err := json.Unmarshal(f.Params, l); err != nil {
		return fmt.Errorf("lfbeam: explain: decode parameters: %w", err)
	}
	l.Classifier = lime.PipelineClassifier{Model: m}
	if f.SLIC != nil {
		l.Segmenter = *f.SLIC
	}
	if err := l.Validate(); err != nil {
		return err
	}
	f.run = newRowRunner([]labelfree.Stage{l})
	return nil
}

func (f *limeFn) ProcessElement(ctx context.Context, b []byte, emit func([]byte)) error {
	return f.run.add(ctx, b, emit)
}

func (f *limeFn) FinishBundle(ctx context.Context, emit func([]byte)) error {
	return f.run.flush(ctx, emit)
}
