package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmallRun runs the whole workflow on a small offline configuration,
// then again to check that the checkpoint makes the second run reuse every
// finished row.
func TestSmallRun(t *testing.T) {
	out := t.TempDir()
	c := config{
		provider: "synth", query: "snow leopard", pages: 2, pageSize: 20,
		negWords: 6, negK: 5, limeImages: 2, limeSamples: 40, limeSegments: 30, detEpochs: 2, out: out, seed: 3,
	}
	rep, err := run(context.Background(), c)
	require.NoError(t, err)
	assert.Greater(t, rep.rows, 50)
	assert.Greater(t, rep.train, 0)
	assert.Greater(t, rep.test, 0)
	require.NotNil(t, rep.metrics)
	assert.Equal(t, 2, rep.lime.Explained)
	require.NotNil(t, rep.detVsLIME)
	require.NotNil(t, rep.detVsTruth)
	for _, f := range []string{"report.md", "roc.png", "lime.png", "detector.png", "pr.png", "snowleopard.lfp"} {
		st, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err, f)
		assert.Greater(t, st.Size(), int64(0), f)
	}
	model, err := labelfree.LoadFile(filepath.Join(out, "snowleopard.lfp"))
	require.NoError(t, err)
	assert.Len(t, model.Stages, 3, "classifier and detector")
	assert.Contains(t, rep.summary(), "held-out accuracy")

	again, err := run(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, rep.metrics.Accuracy, again.metrics.Accuracy)
	assert.Equal(t, rep.lime, withTime(again.lime, rep.lime.PerImage), "resumed LIME results are the saved ones")

	// A fresh run elsewhere (a new synthetic server on another port)
	// computes everything again and gets the same figures: results depend
	// on the seed only.
	c.out = t.TempDir()
	fresh, err := run(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, rep.metrics.Accuracy, fresh.metrics.Accuracy)
	assert.Equal(t, rep.metrics.ROCAUC, fresh.metrics.ROCAUC)
	assert.Equal(t, rep.lime, withTime(fresh.lime, rep.lime.PerImage))
}

func withTime(s limeScores, perImage float64) limeScores {
	s.PerImage = perImage
	return s
}
