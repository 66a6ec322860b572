package detect

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/lime"
	"github.com/stretchr/testify/require"
)

// TestLIMEExperiment is the three-way comparison on synthetic scenes: exact
// LIME (1000 samples, explaining a MobileNetV2 + logistic classifier) vs
// truth, the detector trained on those LIME boxes vs truth, and the
// detector vs LIME, on held-out scenes. LIME costs minutes per image on 2
// cores, so it runs only when LABELFREE_DETECT_EXPERIMENTS is set;
// LABELFREE_DETECT_LIME_IMAGES sets the number of training scenes (default
// 24; a third are empty).
func TestLIMEExperiment(t *testing.T) {
	if os.Getenv("LABELFREE_DETECT_EXPERIMENTS") == "" {
		t.Skip("set LABELFREE_DETECT_EXPERIMENTS=1 to run")
	}
	n := 24
	if v, err := strconv.Atoi(os.Getenv("LABELFREE_DETECT_LIME_IMAGES")); err == nil {
		n = v
	}
	ctx := context.Background()
	start := time.Now()
	// The classifier: ImageFeaturizer + logistic regression on labels.
	clsData := scenes(t, 21, 60, 320, 240)
	for _, r := range clsData.Rows {
		b, _ := labelfree.Get(r, labelfree.TrueBoxes)
		labelfree.Set(r, labelfree.Label, min(len(b), 1))
	}
	p, err := labelfree.NewPipeline(&features.ImageFeaturizer{}, &features.LogisticRegression{})
	require.NoError(t, err)
	pm, _, err := (&labelfree.Executor{}).Fit(ctx, p, clsData)
	require.NoError(t, err)
	explain := &lime.ImageLIME{Classifier: lime.PipelineClassifier{Model: pm}, Class: 1, Seed: 1}
	// LIME explains the rows a search labelled positive (here: the scenes
	// with an animal) for training, and every test scene.
	runLIME := func(ds *labelfree.Dataset, positivesOnly bool) {
		sub := labelfree.NewDataset()
		for _, r := range ds.Rows {
			labelfree.Set(r, labelfree.Boxes, []labelfree.Box{})
			if b, _ := labelfree.Get(r, labelfree.TrueBoxes); len(b) > 0 || !positivesOnly {
				sub.Rows = append(sub.Rows, r)
			}
		}
		out, err := (&labelfree.Executor{}).Transform(ctx, explain, sub)
		require.NoError(t, err)
		byID := map[string]*labelfree.Row{}
		for _, r := range out.Rows {
			require.Nil(t, r.Err)
			byID[r.ID] = r
		}
		for i, r := range ds.Rows {
			if o, ok := byID[r.ID]; ok {
				ds.Rows[i] = o
			}
		}
	}
	train := scenes(t, 22, n, 320, 240)
	test := scenes(t, 23, n/2, 320, 240)
	runLIME(train, true)
	runLIME(test, false)
	t.Logf("LIME on %d images: %v", len(train.Rows)+len(test.Rows), time.Since(start))
	d, err := (&Trainer{Classes: []int{1}, Output: "boxes.detector", Seed: 1}).Train(ctx, train)
	require.NoError(t, err)
	out, err := (&labelfree.Executor{}).Transform(ctx, d, test)
	require.NoError(t, err)
	detCol := labelfree.NewColumn[[]labelfree.Box]("boxes.detector", "detector boxes")
	cfg := &EvalConfig{Classes: []int{1}}
	for _, c := range []struct {
		name      string
		dets, ref labelfree.Column[[]labelfree.Box]
	}{
		{"LIME vs truth (train scenes)", labelfree.Boxes, labelfree.TrueBoxes},
	} {
		ev, err := EvaluateColumns(train, c.dets, c.ref, cfg)
		require.NoError(t, err)
		t.Logf("%s: %v", c.name, ev)
	}
	for _, c := range []struct {
		name      string
		dets, ref labelfree.Column[[]labelfree.Box]
	}{
		{"LIME vs truth", labelfree.Boxes, labelfree.TrueBoxes},
		{"detector vs truth", detCol, labelfree.TrueBoxes},
		{"detector vs LIME", detCol, labelfree.Boxes},
	} {
		ev, err := EvaluateColumns(out, c.dets, c.ref, cfg)
		require.NoError(t, err)
		t.Logf("%s (test scenes): %v", c.name, ev)
	}
	t.Logf("total %v", time.Since(start))
}
