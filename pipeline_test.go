package labelfree_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPipelineFitThenTransform(t *testing.T) {
	p, err := labelfree.NewPipeline(centerer{}, &threshold{Level: 0.5})
	require.NoError(t, err)
	assert.Equal(t, []labelfree.ColumnRef{colX.Ref()}, p.Inputs())

	train := rowsX(1, 2, 3, 6)
	train.Classes = []string{"low", "high"}
	model, out, err := (&labelfree.Executor{}).Fit(context.Background(), p, train)
	require.NoError(t, err)
	require.Len(t, model.Stages, 2)
	assert.Equal(t, []string{"low", "high"}, model.Classes, "the model keeps the dataset's class names")
	assert.Equal(t, 3.0, model.Stages[0].(*centererModel).Mean)
	assert.Equal(t, []bool{false, false, false, true}, above(out))

	// The fitted model applies the training mean to new data.
	out, err = (&labelfree.Executor{}).Transform(context.Background(), model, rowsX(3, 4))
	require.NoError(t, err)
	assert.Equal(t, []bool{false, true}, above(out))

	r := labelfree.NewRow("one")
	labelfree.Set(r, colX, 10.0)
	require.NoError(t, model.TransformRow(context.Background(), r))
	v, _ := labelfree.Get(r, colAbove)
	assert.True(t, v)
}

func above(ds *labelfree.Dataset) []bool {
	out := make([]bool, len(ds.Rows))
	for i, r := range ds.Rows {
		out[i], _ = labelfree.Get(r, colAbove)
	}
	return out
}

// clashing reads test.x as a string while the input holds float64.
type clashing struct{}

func (clashing) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "Clashing", Reads: []labelfree.ColumnRef{colXWrong.Ref()}}
}
func (clashing) Transform(context.Context, *labelfree.Row) error { return nil }

// writesX writes test.x as float64.
type writesX struct{}

func (writesX) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "WritesX", Writes: []labelfree.ColumnRef{colX.Ref()}}
}
func (writesX) Transform(ctx context.Context, r *labelfree.Row) error {
	labelfree.Set(r, colX, 1)
	return nil
}

func TestPipelineValidation(t *testing.T) {
	_, err := labelfree.NewPipeline()
	assert.ErrorContains(t, err, "no stages")

	_, err = labelfree.NewPipeline(centerer{}, nil)
	assert.ErrorContains(t, err, "stage 1 is nil")

	_, err = labelfree.NewPipeline(centerer{}, &threshold{Level: 1e12})
	var pe *labelfree.ParamError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "Threshold", pe.Stage)
	assert.Equal(t, "Level", pe.Field)

	// A type clash between two stages names both and the column.
	_, err = labelfree.NewPipeline(writesX{}, clashing{})
	require.Error(t, err)
	for _, want := range []string{"stage 1 (Clashing)", "stage 0 (WritesX)", `"test.x"`, "string", "float64"} {
		assert.Contains(t, err.Error(), want)
	}

	// A read that the input dataset cannot satisfy fails at Fit, before work.
	p, err := labelfree.NewPipeline(&threshold{})
	require.NoError(t, err)
	_, _, err = (&labelfree.Executor{}).Fit(context.Background(), p, rowsX(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stage 0 (Threshold) reads column test.centered (float64)")
	assert.Contains(t, err.Error(), "input dataset lacks")

	// The input providing a column with another type is a clash too.
	p, err = labelfree.NewPipeline(clashing{})
	require.NoError(t, err)
	_, _, err = (&labelfree.Executor{}).Fit(context.Background(), p, rowsX(1))
	require.ErrorContains(t, err, "the input dataset provides it as float64")
}

func TestFitErrorsNameTheStage(t *testing.T) {
	p, err := labelfree.NewPipeline(centerer{})
	require.NoError(t, err)
	ds := rowsX(1)
	labelfree.Delete(ds.Rows[0], colX)
	labelfree.Set(ds.Rows[0], colNoise, 1) // the input has columns, but not test.x
	_, _, err = (&labelfree.Executor{}).Fit(context.Background(), p, ds)
	require.ErrorContains(t, err, "stage 0 (Centerer) reads column test.x")

	// Every row failed earlier: the estimator sees none and says so.
	ds = rowsX(1)
	ds.Rows[0].Fail("Earlier", assert.AnError)
	_, _, err = (&labelfree.Executor{}).Fit(context.Background(), p, ds)
	require.ErrorContains(t, err, "fit stage Centerer: no rows to fit")
}

func TestSaveLoadRoundTrip(t *testing.T) {
	model := fitTestModel(t)
	model.Classes = []string{"other", "snow leopard"}
	var buf bytes.Buffer
	require.NoError(t, labelfree.Save(&buf, model))
	loaded, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	assert.Equal(t, model.Stages[0], loaded.Stages[0])
	assert.Equal(t, model.Stages[1].(*threshold).Level, loaded.Stages[1].(*threshold).Level)
	assert.Equal(t, model.Classes, loaded.Classes)
}

func TestLoadRejectsBadFiles(t *testing.T) {
	model := fitTestModel(t)
	var buf bytes.Buffer
	require.NoError(t, labelfree.Save(&buf, model))
	good := buf.Bytes()

	load := func(b []byte) error {
		_, err := labelfree.Load(bytes.NewReader(b), int64(len(b)))
		return err
	}
	require.NoError(t, load(good))

	t.Run("not a zip", func(t *testing.T) {
		err := load([]byte("hello"))
		require.ErrorIs(t, err, labelfree.ErrFormat)
	})
	t.Run("truncated", func(t *testing.T) {
		require.ErrorIs(t, load(good[:len(good)/2]), labelfree.ErrFormat)
	})
	t.Run("bit flip", func(t *testing.T) {
		// Flip a byte inside each member's compressed data in turn: every
		// flip must be detected (CRC) or fail to parse, never load quietly
		// into something different.
		for i := 40; i < len(good)-100; i += 7 {
			bad := append([]byte(nil), good...)
			bad[i] ^= 0x55
			m, err := labelfree.Load(bytes.NewReader(bad), int64(len(bad)))
			if err == nil {
				assert.Equal(t, model.Stages[0], m.Stages[0], "flip at %d loaded a different model", i)
			}
		}
	})
	t.Run("newer version", func(t *testing.T) {
		b := rewriteManifest(t, good, func(m map[string]any) { m["version"] = labelfree.FormatVersion + 1 })
		err := load(b)
		require.ErrorIs(t, err, labelfree.ErrFormat)
		assert.Contains(t, err.Error(), "version 2 is not supported")
		assert.Contains(t, err.Error(), "upgrade labelfree")
	})
	t.Run("wrong format", func(t *testing.T) {
		b := rewriteManifest(t, good, func(m map[string]any) { m["format"] = "something-else" })
		require.ErrorIs(t, load(b), labelfree.ErrFormat)
	})
	t.Run("unknown stage type", func(t *testing.T) {
		b := rewriteManifest(t, good, func(m map[string]any) {
			m["stages"].([]any)[0].(map[string]any)["type"] = "example.com/gone.Stage"
		})
		assert.ErrorContains(t, load(b), "not registered")
	})
	t.Run("invalid parameter", func(t *testing.T) {
		bad := &labelfree.PipelineModel{Stages: []labelfree.Stage{&threshold{Level: 1e12}}}
		var buf bytes.Buffer
		require.NoError(t, labelfree.Save(&buf, bad))
		var pe *labelfree.ParamError
		require.ErrorAs(t, load(buf.Bytes()), &pe)
	})
}

func TestSaveRefusesUnregisteredStage(t *testing.T) {
	var buf bytes.Buffer
	err := labelfree.Save(&buf, &labelfree.PipelineModel{Stages: []labelfree.Stage{noise{}}})
	assert.ErrorContains(t, err, "unregistered")
}

func FuzzLoad(f *testing.F) {
	var buf bytes.Buffer
	if err := labelfree.Save(&buf, &labelfree.PipelineModel{Stages: []labelfree.Stage{&centererModel{Mean: 1}}}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = labelfree.Load(bytes.NewReader(b), int64(len(b)))
	})
}

// TestSaveLoadAcrossProcesses fits and saves in this process, then loads
// and transforms in a child process, and compares outputs.
func TestSaveLoadAcrossProcesses(t *testing.T) {
	if os.Getenv("LABELFREE_CHILD_MODEL") != "" {
		return // the child runs TestChildTransform instead
	}
	model := fitTestModel(t)
	path := filepath.Join(t.TempDir(), "model.lfp")
	require.NoError(t, labelfree.SaveFile(path, model))

	ds := rowsX(0.5, 2.9, 3.1, 9, -4)
	out, err := (&labelfree.Executor{}).Transform(context.Background(), model, ds)
	require.NoError(t, err)
	want := describe(out)

	cmd := exec.Command(os.Args[0], "-test.run=^TestChildTransform$", "-test.v")
	cmd.Env = append(os.Environ(), "LABELFREE_CHILD_MODEL="+path)
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, string(got))
	assert.Contains(t, string(got), "RESULT "+want+"\n")
}

func TestChildTransform(t *testing.T) {
	path := os.Getenv("LABELFREE_CHILD_MODEL")
	if path == "" {
		t.Skip("runs only as the child of TestSaveLoadAcrossProcesses")
	}
	model, err := labelfree.LoadFile(path)
	require.NoError(t, err)
	out, err := (&labelfree.Executor{}).Transform(context.Background(), model, rowsX(0.5, 2.9, 3.1, 9, -4))
	require.NoError(t, err)
	fmt.Printf("RESULT %s\n", describe(out))
}

func describe(ds *labelfree.Dataset) string {
	var parts []string
	for _, r := range ds.Rows {
		c, _ := labelfree.Get(r, colCentered)
		a, _ := labelfree.Get(r, colAbove)
		e := ""
		if r.Err != nil {
			e = r.Err.Error()
		}
		parts = append(parts, fmt.Sprintf("%s:%v:%v:%s", r.ID, c, a, e))
	}
	return strings.Join(parts, ";")
}

func fitTestModel(t *testing.T) *labelfree.PipelineModel {
	t.Helper()
	p, err := labelfree.NewPipeline(centerer{}, &threshold{Level: 0.25})
	require.NoError(t, err)
	model, _, err := (&labelfree.Executor{}).Fit(context.Background(), p, rowsX(1, 2, 3, 6))
	require.NoError(t, err)
	return model
}

// rewriteManifest returns a copy of a saved model with its manifest edited.
func rewriteManifest(t *testing.T, file []byte, edit func(map[string]any)) []byte {
	t.Helper()
	members := unzip(t, file)
	var m map[string]any
	require.NoError(t, json.Unmarshal(members["labelfree.json"], &m))
	edit(m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	members["labelfree.json"] = b
	return rezip(t, members)
}
