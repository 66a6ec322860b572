package detect

import (
	"context"
	"fmt"
	"image"
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
		t.Skip("trains two detectors")
	}
	ctx := context.Background()
	train := scenes(t, 11, 60, 320, 240)
	test := scenes(t, 12, 24, 320, 240)
	test.Rows = append(test.Rows, negatives(t, 13, 24)...)
	tr := smallTrainer(labelfree.TrueBoxes)
	d, err := tr.Train(ctx, train)
	require.NoError(t, err)

	pool := negatives(t, 14, 60)
	mined, err := MineHardNegatives(ctx, d, pool, 0.3, labelfree.TrueBoxes)
	require.NoError(t, err)
	require.NotEmpty(t, mined, "the detector fires on some clutter")
	require.Less(t, len(mined), len(pool), "but not on every scene")
	for _, r := range mined {
		bs, err := labelfree.MustGet(r, HardNegativeBoxes)
		require.NoError(t, err)
		require.NotEmpty(t, bs)
		for _, b := range bs {
			assert.GreaterOrEqual(t, b.Score, 0.3)
		}
		tb, _ := labelfree.Get(r, labelfree.TrueBoxes)
		assert.Empty(t, tb)
	}
	retrain := train.Clone()
	retrain.Rows = append(retrain.Rows, mined...)
	d2, err := tr.Train(ctx, retrain)
	require.NoError(t, err)

	truth := boxesOf(test, labelfree.TrueBoxes)
	before, err := Evaluate(detectAll(t, d, test), truth, nil)
	require.NoError(t, err)
	after, err := Evaluate(detectAll(t, d2, test), truth, nil)
	require.NoError(t, err)
	recall := min(maxRecall(before.Curve), maxRecall(after.Curve))
	pb, pa := PrecisionAtRecall(before.Curve, recall), PrecisionAtRecall(after.Curve, recall)
	t.Logf("mined %d of %d negatives; at recall %.2f precision %.3f -> %.3f; AP50 %.3f -> %.3f", len(mined), len(pool), recall, pb, pa, before.AP50, after.AP50)
}

func maxRecall(c []CurvePoint) float64 {
	r := 0.0
	for _, p := range c {
		r = max(r, p.Recall)
	}
	return r
}
