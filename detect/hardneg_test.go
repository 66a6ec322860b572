package detect

import (
	"context"
	"fmt"
	"image"
	"os"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// negatives renders n scenes without animals but with heavy clutter.
func negatives(t *testing.T, seed uint64, n int) []*labelfree.Row {
	var rows []*labelfree.Row
	for i := range n {
		sc, err := synth.Render(synth.Spec{Seed: seed*7919 + uint64(i), Clutter: 8})
		require.NoError(t, err)
		r := labelfree.NewRow(fmt.Sprintf("neg-%d-%d", seed, i))
		labelfree.Set(r, labelfree.Image, image.Image(sc.Image))
		labelfree.Set(r, labelfree.TrueBoxes, []labelfree.Box{})
		rows = append(rows, r)
	}
	return rows
}

func TestHardNegativeMining(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a detector")
	}
	ctx := context.Background()
	d, err := smallTrainer(labelfree.TrueBoxes).Train(ctx, scenes(t, 11, 60, 320, 240))
	require.NoError(t, err)
	pool := negatives(t, 14, 40)
	const copies = 3
	mined, err := MineHardNegatives(ctx, d, pool, 0.3, labelfree.TrueBoxes, copies)
	require.NoError(t, err)
	require.NotEmpty(t, mined, "the detector fires on some clutter")
	require.Zero(t, len(mined)%copies)
	require.Less(t, len(mined)/copies, len(pool), "but not on every scene")
	ids := map[string]bool{}
	for i, r := range mined {
		assert.Equal(t, fmt.Sprintf("#%d", i%copies), r.ID[len(r.ID)-2:])
		ids[r.ID] = true
		bs, err := labelfree.MustGet(r, HardNegativeBoxes)
		require.NoError(t, err)
		require.NotEmpty(t, bs)
		for _, b := range bs {
			assert.GreaterOrEqual(t, b.Score, 0.3)
		}
		tb, ok := labelfree.Get(r, labelfree.TrueBoxes)
		assert.True(t, ok)
		assert.Empty(t, tb)
	}
	assert.Len(t, ids, len(mined), "every copy has its own ID")
	// The pool is not modified.
	for _, r := range pool {
		assert.False(t, r.Has(HardNegativeBoxes.Name()))
	}
	_, err = MineHardNegatives(ctx, d, pool, 1.5, labelfree.TrueBoxes, 1)
	var pe *labelfree.ParamError
	assert.ErrorAs(t, err, &pe)
	_, err = MineHardNegatives(ctx, d, []*labelfree.Row{labelfree.NewRow("x")}, 0.3, labelfree.TrueBoxes, 1)
	assert.ErrorContains(t, err, `row "x"`)
}

// TestHardNegativeExperiment measures what retraining with mined hard
// negatives does to precision at equal recall, averaged over seeds (the
// figures in docs/benchmarks.md). It trains eight detectors, so it runs
// only when LABELFREE_DETECT_EXPERIMENTS is set.
func TestHardNegativeExperiment(t *testing.T) {
	if os.Getenv("LABELFREE_DETECT_EXPERIMENTS") == "" {
		t.Skip("set LABELFREE_DETECT_EXPERIMENTS=1 to run")
	}
	ctx := context.Background()
	train := scenes(t, 11, 60, 320, 240)
	test := scenes(t, 12, 60, 320, 240)
	test.Rows = append(test.Rows, negatives(t, 13, 40)...)
	truth := boxesOf(test, labelfree.TrueBoxes)
	pool := negatives(t, 14, 100)
	const seeds = 4
	recalls := []float64{0.5, 0.6, 0.7}
	before, after := make([]float64, len(recalls)), make([]float64, len(recalls))
	var apBefore, apAfter float64
	for seed := uint64(1); seed <= seeds; seed++ {
		tr := smallTrainer(labelfree.TrueBoxes)
		tr.Seed = seed
		d, err := tr.Train(ctx, train)
		require.NoError(t, err)
		mined, err := MineHardNegatives(ctx, d, pool, 0.3, labelfree.TrueBoxes, 3)
		require.NoError(t, err)
		re := train.Clone()
		re.Rows = append(re.Rows, mined...)
		d2, err := tr.Train(ctx, re)
		require.NoError(t, err)
		b, err := Evaluate(detectAll(t, d, test), truth, nil)
		require.NoError(t, err)
		a, err := Evaluate(detectAll(t, d2, test), truth, nil)
		require.NoError(t, err)
		for k, r := range recalls {
			before[k] += PrecisionAtRecall(b.Curve, r) / seeds
			after[k] += PrecisionAtRecall(a.Curve, r) / seeds
		}
		apBefore += b.AP50 / seeds
		apAfter += a.AP50 / seeds
		t.Logf("seed %d: mined %d of %d; AP50 %.3f -> %.3f; precision at recall 0.6 %.3f -> %.3f", seed, len(mined)/3, len(pool), b.AP50, a.AP50, PrecisionAtRecall(b.Curve, 0.6), PrecisionAtRecall(a.Curve, 0.6))
	}
	for k, r := range recalls {
		t.Logf("mean: precision at recall %.1f %.3f -> %.3f", r, before[k], after[k])
	}
	t.Logf("mean: AP50 %.3f -> %.3f", apBefore, apAfter)
}
