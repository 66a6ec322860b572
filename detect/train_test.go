package detect

import (
	"bytes"
	"context"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// priorBaseline is the trivial detector: every image gets the mean
// training box at the mean training position, with score 1.
func priorBaseline(train, test [][]labelfree.Box) [][]labelfree.Box {
	var m labelfree.Box
	n := 0.0
	for _, bs := range train {
		for _, b := range bs {
			m.X0, m.Y0, m.X1, m.Y1 = m.X0+b.X0, m.Y0+b.Y0, m.X1+b.X1, m.Y1+b.Y1
			n++
		}
	}
	m = labelfree.Box{X0: m.X0 / n, Y0: m.Y0 / n, X1: m.X1 / n, Y1: m.Y1 / n, Score: 1, Class: 1}
	out := make([][]labelfree.Box, len(test))
	for i := range out {
		out[i] = []labelfree.Box{m}
	}
	return out
}

func detectAll(t *testing.T, d *Detector, ds *labelfree.Dataset) [][]labelfree.Box {
	t.Helper()
	var out [][]labelfree.Box
	for _, r := range ds.Rows {
		img, _ := labelfree.Get(r, labelfree.Image)
		b, err := d.Detect(context.Background(), img)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

// smallTrainer keeps CI fast: a 160×128 input and a narrow head.
func smallTrainer(input labelfree.Column[[]labelfree.Box]) *Trainer {
	return &Trainer{Input: input, Classes: []int{1}, InputWidth: 160, InputHeight: 128, Hidden: 32, Epochs: 12, Augmentations: 1, Seed: 1}
}

func TestTrainerLearnsSyntheticScenes(t *testing.T) {
	train := scenes(t, 1, 72, 320, 240)
	test := scenes(t, 2, 30, 320, 240)
	d, err := smallTrainer(labelfree.TrueBoxes).Train(context.Background(), train)
	require.NoError(t, err)
	truth := boxesOf(test, labelfree.TrueBoxes)
	base, err := Evaluate(priorBaseline(boxesOf(train, labelfree.TrueBoxes), truth), truth, nil)
	require.NoError(t, err)
	dets := detectAll(t, d, test)
	ev, err := Evaluate(dets, truth, nil)
	require.NoError(t, err)
	t.Logf("detector vs truth: %v", ev)
	t.Logf("prior baseline:    %v", base)
	t.Logf("report: epochs %d best %d (%s) val AP50 %.3f; features %v, head %v", d.Report.Epochs, d.Report.BestEpoch, d.Report.Stopped, d.Report.ValAP50, d.Report.FeatureTime, d.Report.TrainTime)
	assert.Greater(t, ev.AP50, base.AP50+0.2, "AP@0.5 must clearly beat the prior-box baseline")
	assert.Greater(t, ev.AP50, 0.3)
	for _, bs := range dets {
		for _, b := range bs {
			require.NoError(t, b.Validate(320, 240))
			assert.Equal(t, 1, b.Class)
		}
	}
	assert.Equal(t, 72, d.Report.TrainImages+d.Report.ValImages)
	assert.Equal(t, 24, d.Report.Negatives)

	// Save and load through the pipeline format: identical boxes.
	var buf bytes.Buffer
	require.NoError(t, labelfree.Save(&buf, &labelfree.PipelineModel{Stages: []labelfree.Stage{d}}))
	pm, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	d2, ok := pm.Stages[0].(*Detector)
	require.True(t, ok)
	assert.Less(t, buf.Len(), 200_000, "the embedded backbone is referenced, not copied")
	assert.Equal(t, dets, detectAll(t, d2, test))

	// As a pipeline stage: the executor's batches give the same boxes.
	ds := test.Clone()
	out, err := (&labelfree.Executor{Workers: 2}).Transform(context.Background(), d2, ds)
	require.NoError(t, err)
	assert.Equal(t, dets, boxesOf(out, labelfree.Boxes))
}

// lime-like corrupts true boxes as LIME's weak boxes are wrong: loose or
// tight by up to a third of the size, shifted, sometimes missing, and
// sometimes on clutter of a negative scene.
func limeLike(ds *labelfree.Dataset, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, r := range ds.Rows {
		truth, _ := labelfree.Get(r, labelfree.TrueBoxes)
		img, _ := labelfree.Get(r, labelfree.Image)
		w, h := float64(img.Bounds().Dx()), float64(img.Bounds().Dy())
		var out []labelfree.Box
		for _, b := range truth {
			if rng.Float64() < 0.1 {
				continue
			}
			bw, bh := b.Width(), b.Height()
			j := func(s float64) float64 { return (rng.Float64()*2 - 1) * s / 3 }
			n := labelfree.Box{X0: b.X0 + j(bw), Y0: b.Y0 + j(bh), X1: b.X1 + j(bw), Y1: b.Y1 + j(bh), Score: 0.8, Class: 1}
			n.X0, n.Y0, n.X1, n.Y1 = math.Max(0, n.X0), math.Max(0, n.Y0), math.Min(w, n.X1), math.Min(h, n.Y1)
			if n.X1-n.X0 > 4 && n.Y1-n.Y0 > 4 {
				out = append(out, n)
			}
		}
		if len(truth) == 0 && rng.Float64() < 0.1 {
			x, y := rng.Float64()*w*0.7, rng.Float64()*h*0.7
			out = append(out, labelfree.Box{X0: x, Y0: y, X1: x + w*0.2, Y1: y + h*0.2, Score: 0.5, Class: 1})
		}
		labelfree.Set(r, labelfree.Boxes, out)
	}
}

func TestTrainerLearnsFromNoisyBoxes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a second detector")
	}
	train := scenes(t, 3, 72, 320, 240)
	limeLike(train, 3)
	test := scenes(t, 4, 30, 320, 240)
	d, err := smallTrainer(labelfree.Boxes).Train(context.Background(), train)
	require.NoError(t, err)
	truth := boxesOf(test, labelfree.TrueBoxes)
	ev, err := Evaluate(detectAll(t, d, test), truth, nil)
	require.NoError(t, err)
	base, err := Evaluate(priorBaseline(boxesOf(train, labelfree.Boxes), truth), truth, nil)
	require.NoError(t, err)
	t.Logf("trained on LIME-like boxes, vs truth: %v (baseline AP50 %.3f)", ev, base.AP50)
	assert.Greater(t, ev.AP50, base.AP50+0.15)
}

// tinyTrainer trains in a second or two for determinism tests.
func tinyTrainer() *Trainer {
	return &Trainer{Input: labelfree.TrueBoxes, InputWidth: 64, InputHeight: 64, Hidden: 8, Epochs: 4, BatchSize: 4, Augmentations: 1, Seed: 7, ValidationFraction: -1}
}

func TestTrainerDeterministicAndResumes(t *testing.T) {
	ds := scenes(t, 5, 12, 96, 96)
	ctx := context.Background()
	a, err := tinyTrainer().Train(ctx, ds)
	require.NoError(t, err)
	b, err := tinyTrainer().Train(ctx, ds)
	require.NoError(t, err)
	assert.Equal(t, a.head, b.head, "same seed, same detector")
	assert.Equal(t, "EpochLimit", a.Report.Stopped)
	assert.Len(t, a.Report.History, 4)

	// Crash after epoch 2, then resume from the checkpoint.
	path := filepath.Join(t.TempDir(), "ckpt")
	cctx, cancel := context.WithCancel(ctx)
	tr := tinyTrainer()
	tr.CheckpointPath = path
	tr.Progress = labelfree.ProgressFunc(func(stage string, done, total int) {
		if stage == "Trainer/train" && done == 2 {
			cancel()
		}
	})
	_, err = tr.Train(cctx, ds)
	require.ErrorIs(t, err, context.Canceled)
	tr.Progress = nil
	c, err := tr.Train(ctx, ds)
	require.NoError(t, err)
	assert.Equal(t, 2, c.Report.ResumedAt)
	assert.Equal(t, a.head, c.head, "resumed run ends where the uninterrupted one does")
	require.Len(t, c.Report.History, 4)
	for i, e := range a.Report.History {
		assert.Equal(t, e.Loss, c.Report.History[i].Loss)
	}

	// A finished run's checkpoint returns its result without training.
	again, err := tr.Train(ctx, ds)
	require.NoError(t, err)
	assert.Equal(t, a.head, again.head)
	assert.Equal(t, 4, again.Report.ResumedAt)
	assert.Equal(t, "EpochLimit", again.Report.Stopped)

	// A checkpoint of another run is refused.
	other := tinyTrainer()
	other.Seed = 8
	other.CheckpointPath = path
	_, err = other.Train(ctx, ds)
	assert.ErrorContains(t, err, "another training run")

	// A different seed gives a different head.
	other.CheckpointPath = ""
	d, err := other.Train(ctx, ds)
	require.NoError(t, err)
	assert.NotEqual(t, a.head, d.head)
}

func TestTrainerValidate(t *testing.T) {
	tests := []struct {
		field string
		tr    Trainer
	}{
		{"InputWidth", Trainer{InputWidth: 8}},
		{"InputHeight", Trainer{InputHeight: 10000}},
		{"Hidden", Trainer{Hidden: -1}},
		{"Epochs", Trainer{Epochs: -1}},
		{"BatchSize", Trainer{BatchSize: -2}},
		{"LearningRate", Trainer{LearningRate: math.NaN()}},
		{"WeightDecay", Trainer{WeightDecay: 2}},
		{"Augmentations", Trainer{Augmentations: 1000}},
		{"ValidationFraction", Trainer{ValidationFraction: 0.95}},
		{"Patience", Trainer{Patience: -1}},
		{"MinScore", Trainer{MinScore: 1.5}},
		{"NMSIoU", Trainer{NMSIoU: -0.5}},
		{"MaxDetections", Trainer{MaxDetections: -1}},
		{"Workers", Trainer{Workers: -1}},
		{"Classes", Trainer{Classes: []int{1, -1}}},
		{"Augment.MinScale", Trainer{Augment: Augment{MinScale: 2}}},
		{"Augment.Brightness", Trainer{Augment: Augment{Brightness: 1.5}}},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			err := tc.tr.Validate()
			var pe *labelfree.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
		})
	}
	require.NoError(t, (&Trainer{}).Validate())
}

func TestTrainerBadData(t *testing.T) {
	ctx := context.Background()
	tr := tinyTrainer()
	_, err := tr.Train(ctx, labelfree.NewDataset())
	assert.ErrorContains(t, err, "no rows")

	noImage := labelfree.NewDataset(labelfree.NewRow("a"))
	_, err = tr.Train(ctx, noImage)
	assert.ErrorContains(t, err, `row "a"`)

	negOnly := scenes(t, 6, 3, 64, 64)
	for _, r := range negOnly.Rows {
		labelfree.Set(r, labelfree.TrueBoxes, nil)
	}
	_, err = tr.Train(ctx, negOnly)
	assert.ErrorContains(t, err, "no boxes")

	nan := scenes(t, 6, 2, 64, 64)
	labelfree.Set(nan.Rows[0], labelfree.TrueBoxes, []labelfree.Box{{X0: math.NaN(), X1: 3, Y1: 3}})
	_, err = tr.Train(ctx, nan)
	assert.ErrorContains(t, err, "non-finite")

	bad := *tr
	bad.FeatureLayer = "no-such-layer"
	_, err = bad.Train(ctx, scenes(t, 6, 2, 64, 64))
	assert.ErrorContains(t, err, "no-such-layer")
}

func TestDetectorBadInput(t *testing.T) {
	d, err := tinyTrainer().Train(context.Background(), scenes(t, 5, 6, 96, 96))
	require.NoError(t, err)
	_, err = d.Detect(context.Background(), image.NewRGBA(image.Rect(0, 0, 0, 0)))
	assert.ErrorContains(t, err, "empty")
	rows := []*labelfree.Row{labelfree.NewRow("no-image"), labelfree.NewRow("ok")}
	labelfree.Set(rows[1], labelfree.Image, image.Image(image.NewRGBA(image.Rect(0, 0, 50, 40))))
	require.NoError(t, d.TransformBatch(context.Background(), rows))
	require.NotNil(t, rows[0].Err)
	assert.Nil(t, rows[1].Err)
	_, ok := labelfree.Get(rows[1], labelfree.Boxes)
	assert.True(t, ok)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = d.DetectBatch(ctx, []image.Image{image.NewRGBA(image.Rect(0, 0, 50, 40))})
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)

	var zero Detector
	_, err = zero.Detect(context.Background(), image.NewRGBA(image.Rect(0, 0, 5, 5)))
	assert.ErrorContains(t, err, "not fitted")
	assert.Error(t, zero.UnmarshalBinary([]byte("garbage")))
	_, err = zero.MarshalBinary()
	assert.Error(t, err)
}

// FuzzDetectorUnmarshal feeds corrupted saved detectors to the decoder:
// errors, never panics.
func FuzzDetectorUnmarshal(f *testing.F) {
	d, err := tinyTrainer().Train(context.Background(), scenes(f, 5, 6, 96, 96))
	require.NoError(f, err)
	good, err := d.MarshalBinary()
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Detector
		if d.UnmarshalBinary(data) == nil && d.InputWidth*d.InputHeight <= 512*512 {
			_, err := d.Detect(context.Background(), image.NewRGBA(image.Rect(0, 0, 40, 30)))
			require.NoError(t, err)
		}
	})
}

func TestTrainerInPipeline(t *testing.T) {
	ds := scenes(t, 5, 12, 96, 96)
	tr := tinyTrainer()
	tr.Output = "boxes.detector"
	p, err := labelfree.NewPipeline(tr)
	require.NoError(t, err)
	pm, out, err := (&labelfree.Executor{Workers: 2}).Fit(context.Background(), p, ds)
	require.NoError(t, err)
	require.Len(t, pm.Stages, 1)
	d, ok := pm.Stages[0].(*Detector)
	require.True(t, ok)
	assert.Equal(t, "boxes.detector", d.Info().Writes[0].Name)
	for _, r := range out.Rows {
		require.Nil(t, r.Err)
		assert.True(t, r.Has("boxes.detector"), "fitted detector ran on the rows")
		assert.True(t, r.Has(labelfree.TrueBoxes.Name()), "input boxes kept")
	}
	path := filepath.Join(t.TempDir(), "det.lfm")
	require.NoError(t, labelfree.SaveFile(path, pm))
	back, err := labelfree.LoadFile(path)
	require.NoError(t, err)
	assert.Equal(t, d.head, back.Stages[0].(*Detector).head)
}
