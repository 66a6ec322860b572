package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/detect"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/search"
	"github.com/labelfree/labelfree/superpixel"
)

// run executes the workflow and returns what the report shows.
func run(ctx context.Context, c config) (*report, error) {
	rep := &report{cfg: c}
	if c.fresh {
		if err := os.RemoveAll(filepath.Join(c.out, "checkpoint")); err != nil {
			return nil, err
		}
		os.Remove(filepath.Join(c.out, "search.json"))
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return nil, err
	}
	ck, err := labelfree.OpenCheckpoint(c.checkpointDir())
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	ex := labelfree.Executor{Workers: c.workers, Progress: labelfree.NewProgressBar(os.Stderr), Checkpoint: ck}

	// 1. Search: positive pages and random-word negatives.
	src, err := newSource(c)
	if err != nil {
		return nil, err
	}
	defer src.close()
	rep.provider = src.provider.Name()
	t0 := time.Now()
	coll, err := collect(ctx, c, src)
	if err != nil {
		return nil, err
	}
	rep.step("search", t0, len(coll.Results), coll.Failed)
	rep.queries, rep.failedQueries = len(coll.Queries), coll.Failed

	// 2. Dataset: stitch, download, decode, dedupe, split.
	var pos, neg []search.Result
	for _, r := range coll.Results {
		if r.Class == c.query {
			pos = append(pos, r)
		} else {
			neg = append(neg, r)
		}
	}
	classes := []string{"other", c.query}
	ds, _, err := dataset.Stitch(classes, [][]search.Result{neg, pos}, &dataset.StitchOptions{Truth: src.truth, Identity: src.identity})
	if err != nil {
		return nil, err
	}
	for _, st := range []labelfree.Stage{
		&dataset.Downloader{Guard: src.guard, CacheDir: filepath.Join(c.out, "cache")},
		&dataset.Decoder{},
		&dataset.Dedupe{},
		&dataset.TrainTestSplit{Seed: c.seed},
	} {
		if ds, err = ex.Transform(ctx, st, ds); err != nil {
			return nil, err
		}
	}
	rep.rows, rep.failedRows = len(ds.Rows), len(ds.Failed())
	rep.failures = failureCounts(ds)
	train, test := splitRows(ds)
	rep.train, rep.test = len(train.Rows), len(test.Rows)

	// 3. Features and classifier: fit on train, score test.
	var bb features.Backbone
	if c.backbone != "" {
		if bb, err = loadBackbone(c.backbone, c.backboneOutput); err != nil {
			return nil, err
		}
	}
	p, err := labelfree.NewPipeline(
		// Stretch, not centre-crop: a camera trap's animal is as likely at
		// the frame's edge as in its middle, and LIME can only find what
		// the classifier sees.
		&features.ImageFeaturizer{Backbone: bb, Crop: features.Stretch},
		&features.LogisticRegression{Balanced: true, Standardize: true, C: 0.1},
	)
	if err != nil {
		return nil, err
	}
	t0 = time.Now()
	model, _, err := ex.Fit(ctx, p, train)
	if err != nil {
		return nil, err
	}
	rep.step("featurize + fit (train)", t0, len(train.Rows), len(train.Failed()))
	if lm, ok := model.Stages[len(model.Stages)-1].(*features.LogisticModel); ok {
		rep.fit = lm.Result
	}
	t0 = time.Now()
	if test, err = ex.Transform(ctx, model, test); err != nil {
		return nil, err
	}
	rep.step("featurize + classify (test)", t0, len(test.Rows), len(test.Failed()))
	if rep.metrics, err = features.Evaluate(test); err != nil {
		return nil, err
	}
	if rep.roc, err = features.ROCCurveOf(test, 1); err != nil {
		return nil, err
	}
	// 4. LIME on positive training images: the weak boxes.
	explain := limeCandidates(train, c.limeImages)
	l := &lime.ImageLIME{
		Classifier: lime.PipelineClassifier{Model: model},
		Class:      1,
		Samples:    c.limeSamples,
		Seed:       c.seed,
		// Coarse superpixels: with a few hundred samples, each superpixel
		// is hidden often enough for a real classifier's noisy scores to
		// single it out.
		Segmenter: superpixel.SLIC{Segments: c.limeSegments},
	}
	t0 = time.Now()
	explained, err := ex.Transform(ctx, l, explain)
	if err != nil {
		return nil, err
	}
	rep.lime = evaluateBoxes(explained)
	rep.step("LIME", t0, len(explained.Rows), len(explained.Failed()))

	// 5. A detector trained on LIME's boxes (and on negatives, which teach
	// the background), evaluated on the held-out test images.
	t0 = time.Now()
	detTrain := &labelfree.Dataset{Rows: append(explained.OK(), negatives(train, 2*len(explained.Rows))...), Classes: ds.Classes}
	trainer := &detect.Trainer{
		Classes:        []int{1},
		Seed:           c.seed,
		Epochs:         c.detEpochs,
		Progress:       ex.Progress,
		CheckpointPath: filepath.Join(c.checkpointDir(), "detector.ckpt"),
	}
	det, err := trainer.Train(ctx, detTrain)
	if err != nil {
		return nil, fmt.Errorf("detector: %w", err)
	}
	rep.step("detector training", t0, len(detTrain.Rows), 0)
	t0 = time.Now()
	if test, err = ex.Transform(ctx, det, test); err != nil {
		return nil, err
	}
	rep.step("detector (test)", t0, len(test.Rows), len(test.Failed()))
	rep.detPerImage = time.Since(t0).Seconds() / float64(max(len(test.Rows), 1))
	// On the explained images, run it on copies so LIME's boxes stay.
	copies, err := ex.Transform(ctx, det, explained.Clone())
	if err != nil {
		return nil, err
	}
	for i, r := range copies.Rows {
		boxes, _ := labelfree.Get(r, labelfree.Boxes)
		labelfree.Set(explained.Rows[i], detectorBoxes, boxes)
	}
	if src.truth != nil {
		if rep.detVsTruth, err = detect.EvaluateColumns(test, labelfree.Boxes, labelfree.TrueBoxes, &detect.EvalConfig{}); err != nil {
			return nil, err
		}
		if rep.limeVsTruth, err = detect.EvaluateColumns(explained, labelfree.Boxes, labelfree.TrueBoxes, &detect.EvalConfig{}); err != nil {
			return nil, err
		}
	}
	if rep.detVsLIME, err = detect.EvaluateColumns(explained, detectorBoxes, labelfree.Boxes, &detect.EvalConfig{}); err != nil {
		return nil, err
	}

	// The pipeline a server loads: classifier and detector.
	model.Stages = append(model.Stages, det)
	rep.pipelinePath = filepath.Join(c.out, "snowleopard.lfp")
	if err := labelfree.SaveFile(rep.pipelinePath, model); err != nil {
		return nil, err
	}

	if err := writeReport(c.out, rep, explained, test); err != nil {
		return nil, err
	}
	return rep, nil
}

// checkpointDir is where this configuration's checkpoint lives: one folder
// per configuration, so a run with another backbone or other sample counts
// never restores rows computed under different settings.
func (c config) checkpointDir() string {
	key := fmt.Sprintf("%q|%q|%d|%d|%d|%d|%q|%q|%d|%d|%d", c.provider, c.query, c.pages, c.pageSize, c.negWords, c.negK,
		c.backbone, c.backboneOutput, c.limeSamples, c.limeSegments, c.seed)
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.out, "checkpoint", hex.EncodeToString(sum[:6]))
}

// collect runs the searches, or, for a web provider, reuses the collection
// a previous run of the same configuration saved, so a resumed run asks
// the provider nothing again.
func collect(ctx context.Context, c config, src *source) (*search.Collection, error) {
	p := src.provider
	path := filepath.Join(c.out, "search.json")
	key := fmt.Sprintf("%s|%s|%d|%d|%d|%d|%d", c.provider, c.query, c.pages, c.pageSize, c.negWords, c.negK, c.seed)
	var saved struct {
		Key        string
		Collection *search.Collection
	}
	if b, err := os.ReadFile(path); !src.live && err == nil && json.Unmarshal(b, &saved) == nil && saved.Key == key && saved.Collection != nil {
		return saved.Collection, nil
	}
	posQ := search.Positive(c.query, c.pages)
	posQ.PageSize = c.pageSize
	words := search.NegativeWords(nil, c.negWords, c.seed, c.query)
	spec := search.Spec{Queries: append([]search.QuerySpec{posQ}, search.Negatives(words, c.negK)...), Concurrency: 8}
	coll, err := search.Collect(ctx, p, spec)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	saved.Key, saved.Collection = key, coll
	if b, err := json.Marshal(saved); err == nil && !src.live {
		_ = os.WriteFile(path, b, 0o644) // a cache: failing to write it only costs a new search
	}
	return coll, nil
}

func splitRows(ds *labelfree.Dataset) (train, test *labelfree.Dataset) {
	train = &labelfree.Dataset{Classes: ds.Classes}
	test = &labelfree.Dataset{Classes: ds.Classes}
	for _, r := range ds.OK() {
		s, _ := labelfree.Get(r, dataset.Split)
		if s == dataset.SplitTest {
			test.Rows = append(test.Rows, r)
		} else {
			train.Rows = append(train.Rows, r)
		}
	}
	return train, test
}

func failureCounts(ds *labelfree.Dataset) map[string]int {
	out := map[string]int{}
	for _, r := range ds.Failed() {
		out[r.Err.Stage]++
	}
	return out
}

// detectorBoxes holds the detector's boxes on the explained images, where
// labelfree.Boxes holds LIME's.
var detectorBoxes = labelfree.NewColumn[[]labelfree.Box]("boxes.detector", "boxes found by the detector")

// negatives picks up to n rows of class 0, in ID order.
func negatives(ds *labelfree.Dataset, n int) []*labelfree.Row {
	var out []*labelfree.Row
	for _, r := range ds.OK() {
		if l, _ := labelfree.Get(r, labelfree.Label); l == 0 && len(out) < n {
			out = append(out, r)
		}
	}
	return out
}

// limeCandidates picks up to n positive rows, those with known truth
// first, in ID order.
func limeCandidates(ds *labelfree.Dataset, n int) *labelfree.Dataset {
	var rows []*labelfree.Row
	for _, r := range ds.OK() {
		if l, _ := labelfree.Get(r, labelfree.Label); l == 1 {
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ti, _ := labelfree.Get(rows[i], labelfree.TrueBoxes)
		tj, _ := labelfree.Get(rows[j], labelfree.TrueBoxes)
		if (len(ti) > 0) != (len(tj) > 0) {
			return len(ti) > 0
		}
		return rows[i].ID < rows[j].ID
	})
	return &labelfree.Dataset{Rows: rows[:min(n, len(rows))], Classes: ds.Classes}
}

// source is the search provider and what the run knows about its images.
type source struct {
	provider search.Provider
	truth    func(search.Result) ([]labelfree.Box, bool)
	// identity, for the synthetic service, keys rows by image path: its
	// port changes from run to run, its images do not.
	identity func(search.Result) string
	// live sources are searched afresh on every run instead of reusing
	// the saved search results.
	live  bool
	guard dataset.Guard
	close func()
}

func newSource(c config) (*source, error) {
	switch c.provider {
	case "synth":
		srv, err := synth.NewServer(synth.ServerConfig{Seed: c.seed, LabelNoise: 0.1, Duplicates: 0.03, NearDuplicates: 0.03, Broken: 0.02})
		if err != nil {
			return nil, err
		}
		return &source{
			provider: srv.Provider(),
			truth: func(r search.Result) ([]labelfree.Box, bool) {
				return srv.Truth(r.ImageURL)
			},
			identity: func(r search.Result) string {
				if u, err := url.Parse(r.ImageURL); err == nil {
					return u.RequestURI()
				}
				return r.ImageURL
			},
			live: true,
			// The synthetic service runs on loopback, which the download
			// guard refuses unless told otherwise.
			guard: dataset.Guard{AllowLoopback: true},
			close: func() { srv.Close() },
		}, nil
	case "openverse":
		return &source{provider: &search.Openverse{}, close: func() {}}, nil
	case "inaturalist":
		return &source{provider: &search.INaturalist{}, close: func() {}}, nil
	case "wikimedia":
		return &source{provider: &search.Wikimedia{}, close: func() {}}, nil
	case "brave":
		return &source{provider: &search.Brave{}, close: func() {}}, nil
	case "bing":
		return &source{provider: &search.Bing{}, close: func() {}}, nil
	}
	return nil, fmt.Errorf("unknown provider %q", c.provider)
}

// loadBackbone reads a user's ONNX backbone whose first output is the
// embedding (a torchvision export with the classifier replaced by Identity,
// as the README shows), or whose named value is.
func loadBackbone(path, output string) (features.Backbone, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bb, err := features.LoadONNX(f, features.ONNXConfig{Output: output})
	if err != nil {
		return nil, fmt.Errorf("backbone %s: %w", path, err)
	}
	return bb, nil
}
