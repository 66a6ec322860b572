package lfbeam_test

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
	lfbeam "github.com/labelfree/labelfree/beam"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/superpixel"
)

// rowsWithFailures builds n rows with images and labels, among them a row
// that failed before (kept untouched), a row without an image and one with
// a one-pixel image (failed by redness), and one with a negative label
// (failed by doubler).
func rowsWithFailures(n int) *labelfree.Dataset {
	ds := &labelfree.Dataset{Classes: []string{"green", "red"}}
	for i := range n {
		r := labelfree.NewRow(string(rune('a'+i%26)) + string(rune('0'+i/26)))
		obj := []image.Rectangle{image.Rect(4+i%8, 4, 14+i%8, 16)}
		if i%3 == 0 {
			obj = nil
		}
		labelfree.Set(r, labelfree.Image, image.Image(scene(24, 20, obj, uint64(i))))
		labelfree.Set(r, labelfree.Label, i%2)
		ds.Rows = append(ds.Rows, r)
	}
	ds.Rows[1].Fail("download", errors.New("HTTP 404"))
	labelfree.Delete(ds.Rows[2], labelfree.Image)
	labelfree.Set(ds.Rows[3], labelfree.Image, image.Image(image.NewRGBA(image.Rect(0, 0, 1, 1))))
	labelfree.Set(ds.Rows[4], labelfree.Label, -1)
	return ds
}

func TestTransformEqualsLocalExecutor(t *testing.T) {
	tests := []struct {
		name   string
		stages []labelfree.Stage
	}{
		{"row transformer", []labelfree.Stage{&redness{Threshold: 60}}},
		{"batch transformer", []labelfree.Stage{&doubler{Batch: 3}}},
		{"two stages", []labelfree.Stage{&redness{Threshold: 60}, &doubler{Batch: 4}}},
	}
	for _, tt := range tests {
		for _, fromFile := range []bool{false, true} {
			name := tt.name
			if fromFile {
				name += " from a model file"
			}
			t.Run(name, func(t *testing.T) {
				in := rowsWithFailures(40)
				model := &labelfree.PipelineModel{Stages: tt.stages}
				want, err := (&labelfree.Executor{Workers: 3}).Transform(context.Background(), model, cloneDataset(t, in))
				require.NoError(t, err)
				require.NotEmpty(t, want.Failed())

				path := filepath.Join(t.TempDir(), "model.lfm")
				require.NoError(t, labelfree.SaveFile(path, model))
				got := runPipeline(t, func(s beam.Scope, out string) {
					rows, err := lfbeam.Create(s, in)
					require.NoError(t, err)
					var res beam.PCollection
					if fromFile {
						res, err = lfbeam.TransformFile(context.Background(), s, path, rows)
					} else {
						res, err = lfbeam.Transform(s, model, rows)
					}
					require.NoError(t, err)
					require.NoError(t, lfbeam.WriteRows(s, out, res))
				})
				requireSameRows(t, want, got)
				assert.Equal(t, len(want.Failed()), len(got.Failed()))
			})
		}
	}
}

// datasetStage is a DatasetTransformer, which Transform must refuse.
type datasetStage struct{}

func (datasetStage) Info() labelfree.StageInfo { return labelfree.StageInfo{Name: "whole"} }
func (datasetStage) TransformDataset(ctx context.Context, ds *labelfree.Dataset) (*labelfree.Dataset, error) {
	return ds, nil
}

func TestTransformRefusesWhatCannotShip(t *testing.T) {
	_, s := beam.NewPipelineWithRoot()
	rows := beam.CreateList(s, [][]byte{})
	_, err := lfbeam.Transform(s, &labelfree.PipelineModel{Stages: []labelfree.Stage{datasetStage{}}}, rows)
	require.ErrorContains(t, err, "needs the whole dataset")
	_, err = lfbeam.Transform(s, &labelfree.PipelineModel{}, rows)
	require.ErrorContains(t, err, "no stages")
	_, err = lfbeam.Transform(s, nil, rows)
	require.Error(t, err)
	_, err = lfbeam.TransformFile(context.Background(), s, filepath.Join(t.TempDir(), "missing.lfm"), rows)
	require.Error(t, err)

	_, err = lfbeam.Explain(s, lime.ImageLIME{Classifier: lime.ClassifierFunc(nil)}, nil, rows)
	require.ErrorContains(t, err, "cannot be shipped")
	_, err = lfbeam.Explain(s, lime.ImageLIME{}, nil, rows)
	require.ErrorContains(t, err, "no classifier")
	m := &labelfree.PipelineModel{Stages: []labelfree.Stage{&redness{}}}
	_, err = lfbeam.Explain(s, lime.ImageLIME{Samples: 1}, m, rows)
	var pe *labelfree.ParamError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "Samples", pe.Field)

	_, err = lfbeam.Fit(s, &unregistered{}, nil, rows)
	require.ErrorContains(t, err, "not registered")
	require.Error(t, lfbeam.WriteRows(s, "out-*", rows))
}

type unregistered struct{}

func (*unregistered) Info() labelfree.StageInfo { return labelfree.StageInfo{Name: "unregistered"} }
func (*unregistered) Fit(context.Context, *labelfree.Dataset) (labelfree.Transformer, error) {
	return nil, nil
}

func TestFeaturizeFitPredictEqualsLocalExecutor(t *testing.T) {
	backbones := []struct {
		name string
		bb   features.Backbone
		size int
	}{
		{"fake backbone", &meanBackbone{Dim: 8}, 24},
		{"MobileNetV2", nil, 64},
	}
	for _, bb := range backbones {
		t.Run(bb.name, func(t *testing.T) {
			in := &labelfree.Dataset{Classes: []string{"background", "red"}}
			n := 24
			if bb.bb == nil {
				n = 6
			}
			for i := range n {
				r := labelfree.NewRow(string(rune('A' + i)))
				var obj []image.Rectangle
				if i%2 == 1 {
					obj = []image.Rectangle{image.Rect(2, 2, bb.size/2+i%4, bb.size/2+2)}
				}
				labelfree.Set(r, labelfree.Image, image.Image(scene(bb.size, bb.size, obj, uint64(i))))
				labelfree.Set(r, labelfree.Label, i%2)
				in.Rows = append(in.Rows, r)
			}
			labelfree.Delete(in.Rows[2], labelfree.Image) // fails featurizing, excluded from the fit
			feat := &features.ImageFeaturizer{Backbone: bb.bb, Batch: 4}
			logreg := &features.LogisticRegression{}

			p, err := labelfree.NewPipeline(feat, logreg)
			require.NoError(t, err)
			wantModel, want, err := (&labelfree.Executor{}).Fit(context.Background(), p, cloneDataset(t, in))
			require.NoError(t, err)
			require.Len(t, want.Failed(), 1)

			modelOut := t.TempDir() + "/model"
			got := runPipeline(t, func(s beam.Scope, out string) {
				rows, err := lfbeam.Create(s, in)
				require.NoError(t, err)
				featurized, err := lfbeam.Transform(s, &labelfree.PipelineModel{Stages: []labelfree.Stage{feat}}, rows)
				require.NoError(t, err)
				train := lfbeam.Select(s, featurized, labelfree.Embedding.Name(), labelfree.Label.Name())
				model, err := lfbeam.Fit(s, logreg, in.Classes, train)
				require.NoError(t, err)
				require.NoError(t, lfbeam.WriteRows(s, out, lfbeam.TransformWith(s, model, featurized)))
				lfbeam.WriteModel(s, modelOut, model)
			})
			requireSameRows(t, want, got)

			gotModel, err := labelfree.LoadFile(modelOut)
			require.NoError(t, err)
			require.Len(t, gotModel.Stages, 1)
			w, g := wantModel.Stages[1].(*features.LogisticModel), gotModel.Stages[0].(*features.LogisticModel)
			w.Result.Elapsed, g.Result.Elapsed = 0, 0
			require.Equal(t, w, g)
		})
	}
}

func TestExplainEqualsLocalExecutor(t *testing.T) {
	classifier := &labelfree.PipelineModel{Stages: []labelfree.Stage{&redness{Threshold: 60}}}
	cfg := lime.ImageLIME{
		Samples:   96,
		BatchSize: 16,
		Segmenter: superpixel.SLIC{Segments: 24},
		Fill:      superpixel.Fill{Kind: superpixel.FillSolid}, // black: hiding a red segment hides its red
		Seed:      7,
	}
	in := &labelfree.Dataset{}
	for i := range 8 {
		r := labelfree.NewRow(string(rune('p' + i)))
		labelfree.Set(r, labelfree.Image, image.Image(scene(48, 40, []image.Rectangle{image.Rect(6+2*i, 8, 22+2*i, 26)}, uint64(i))))
		in.Rows = append(in.Rows, r)
	}
	labelfree.Delete(in.Rows[5], labelfree.Image)
	in.Rows[6].Fail("download", errors.New("timeout"))

	local := cfg
	local.Classifier = lime.PipelineClassifier{Model: classifier}
	want, err := (&labelfree.Executor{Workers: 2}).Transform(context.Background(), &local, cloneDataset(t, in))
	require.NoError(t, err)

	got := runPipeline(t, func(s beam.Scope, out string) {
		rows, err := lfbeam.Create(s, in)
		require.NoError(t, err)
		ex, err := lfbeam.Explain(s, cfg, classifier, rows)
		require.NoError(t, err)
		require.NoError(t, lfbeam.WriteRows(s, out, ex))
	})
	requireSameRows(t, want, got)
	nboxes := 0
	for i, r := range got.Rows {
		if r.Err != nil {
			continue
		}
		wb, _ := labelfree.Get(want.Rows[i], labelfree.Boxes)
		gb, ok := labelfree.Get(r, labelfree.Boxes)
		require.True(t, ok)
		require.Equal(t, wb, gb)
		nboxes += len(gb)
	}
	require.Positive(t, nboxes, "the red squares give boxes")
	require.Len(t, got.Failed(), 2)
}

// aborter is a BatchTransformer whose batches fail as a whole: on the
// local executor that aborts the run, on Beam the pipeline.
type aborter struct{}

func (aborter) Info() labelfree.StageInfo { return labelfree.StageInfo{Name: "aborter"} }
func (aborter) BatchSize() int            { return 2 }
func (aborter) Transform(context.Context, *labelfree.Row) error {
	return nil
}
func (aborter) TransformBatch(context.Context, []*labelfree.Row) error {
	return errors.New("backbone out of memory")
}

func init() { labelfree.Register[*aborter]() }

func TestBatchErrorFailsThePipelineAsItAbortsTheExecutor(t *testing.T) {
	in := rowsWithFailures(6)
	model := &labelfree.PipelineModel{Stages: []labelfree.Stage{&aborter{}}}
	_, err := (&labelfree.Executor{}).Transform(context.Background(), model, cloneDataset(t, in))
	require.ErrorContains(t, err, "backbone out of memory")

	p, s := beam.NewPipelineWithRoot()
	rows, err := lfbeam.Create(s, in)
	require.NoError(t, err)
	out, err := lfbeam.Transform(s, model, rows)
	require.NoError(t, err)
	require.NoError(t, lfbeam.WriteRows(s, t.TempDir()+"/rows", out))
	require.ErrorContains(t, ptest.Run(p), "backbone out of memory")
}

func TestReadRowsStopsOnCancellationAndRefusesDamage(t *testing.T) {
	in := rowsWithFailures(5)
	out := ""
	got := runPipeline(t, func(s beam.Scope, o string) {
		out = o
		rows, err := lfbeam.Create(s, in)
		require.NoError(t, err)
		require.NoError(t, lfbeam.WriteRows(s, o, rows))
	})
	requireSameRows(t, in, got)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := lfbeam.ReadRows(ctx, out)
	require.ErrorIs(t, err, context.Canceled)

	require.NoError(t, os.WriteFile(out+"-damaged"+lfbeam.RowsSuffix, []byte("LFROWS1\n\x10LFR1"), 0o644))
	_, err = lfbeam.ReadRows(context.Background(), out)
	require.ErrorContains(t, err, "row 0: truncated")

	empty, err := lfbeam.ReadRows(context.Background(), filepath.Join(t.TempDir(), "none"))
	require.NoError(t, err)
	require.Empty(t, empty.Rows)
}

func TestFitFailureFailsThePipelineAsLocally(t *testing.T) {
	in := &labelfree.Dataset{Classes: []string{"a", "b"}}
	for i := range 3 {
		r := labelfree.NewRow(string(rune('a' + i)))
		labelfree.Set(r, labelfree.Embedding, []float32{float32(i), 1})
		labelfree.Set(r, labelfree.Label, 0) // one class only
		in.Rows = append(in.Rows, r)
	}
	p, err := labelfree.NewPipeline(&features.LogisticRegression{})
	require.NoError(t, err)
	_, _, localErr := (&labelfree.Executor{}).Fit(context.Background(), p, in)
	require.Error(t, localErr)

	bp, s := beam.NewPipelineWithRoot()
	rows, err := lfbeam.Create(s, in)
	require.NoError(t, err)
	model, err := lfbeam.Fit(s, &features.LogisticRegression{}, in.Classes, rows)
	require.NoError(t, err)
	lfbeam.WriteModel(s, filepath.Join(t.TempDir(), "model"), model)
	err = ptest.Run(bp)
	require.Error(t, err)
	require.ErrorContains(t, err, "fewer than two classes")
	require.ErrorIs(t, localErr, features.ErrOneClass)
}
