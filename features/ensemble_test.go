package features

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

func TestBalancedWeights(t *testing.T) {
	w, err := BalancedWeights([]int{0, 0, 0, 1, 2, 2}, 4)
	require.NoError(t, err)
	// n / (k · n_c) with k = 3 classes present.
	assert.InDeltaSlice(t, []float64{6.0 / 9, 2, 1, 0}, w, 1e-12)
	_, err = BalancedWeights([]int{0, 5}, 2)
	require.ErrorContains(t, err, "label 5")
	w, err = BalancedWeights([]int{1, 1, 0}, 0)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1.5, 0.75}, w, 1e-12)
}

func TestEnsembleAverages(t *testing.T) {
	x, y := blobs(11, 200, 5, 3, 1.5)
	ctx := context.Background()
	a, err := (&LogisticRegression{C: 1}).FitXY(ctx, x, y, 0)
	require.NoError(t, err)
	b, err := (&LogisticRegression{C: 0.01}).FitXY(ctx, x, y, 0)
	require.NoError(t, err)
	e, err := NewEnsemble(a, b)
	require.NoError(t, err)
	pa, _ := a.PredictProba(x[0])
	pb, _ := b.PredictProba(x[0])
	p, err := e.PredictProba(x[0])
	require.NoError(t, err)
	for c := range p {
		assert.InDelta(t, (pa[c]+pb[c])/2, p[c], 1e-15)
	}
	e.Weights = []float64{3, 1}
	p, err = e.PredictProba(x[0])
	require.NoError(t, err)
	for c := range p {
		assert.InDelta(t, (3*pa[c]+pb[c])/4, p[c], 1e-15)
	}

	// Members must agree.
	other, err := (&LogisticRegression{}).FitXY(ctx, [][]float32{{1, 2}, {2, 1}}, []int{0, 1}, 0)
	require.NoError(t, err)
	_, err = NewEnsemble(a, other)
	require.ErrorContains(t, err, "member 1 takes 2 features")
	_, err = NewEnsemble()
	require.ErrorContains(t, err, "no members")
	require.Error(t, (&Ensemble{Members: []*LogisticModel{a}, Weights: []float64{0}}).Validate())
	require.Error(t, (&Ensemble{Members: []*LogisticModel{a}, Weights: []float64{1, 2}}).Validate())
}

// imbalanced returns a 2-class problem with ratio negatives per positive,
// the positives shifted by sep along every axis.
func imbalanced(seed uint64, pos, ratio, d int, sep float64) (*labelfree.Dataset, [][]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	ds := &labelfree.Dataset{Classes: []string{"other", "leopard"}}
	var xs [][]float32
	var ys []int
	for i := range pos * (ratio + 1) {
		c := 0
		if i%(ratio+1) == 0 {
			c = 1
		}
		x := make([]float32, d)
		for j := range x {
			x[j] = float32(rng.NormFloat64() + sep*float64(c))
		}
		r := labelfree.NewRow("")
		labelfree.Set(r, labelfree.Embedding, x)
		labelfree.Set(r, labelfree.Label, c)
		ds.Rows = append(ds.Rows, r)
		xs, ys = append(xs, x), append(ys, c)
	}
	labelfree.NewDataset(ds.Rows...)
	return ds, xs, ys
}

func recall(t *testing.T, tr labelfree.Transformer, x [][]float32, y []int) (pos, neg float64) {
	var tp, p, tn, n float64
	for i := range x {
		r := labelfree.NewRow("")
		labelfree.Set(r, labelfree.Embedding, x[i])
		require.NoError(t, tr.Transform(context.Background(), r))
		pred := mustGet(t, r, labelfree.Prediction)
		if y[i] == 1 {
			p++
			if pred == 1 {
				tp++
			}
		} else {
			n++
			if pred == 0 {
				tn++
			}
		}
	}
	return tp / p, tn / n
}

func TestBaggedLogisticRegressionBalances(t *testing.T) {
	ctx := context.Background()
	train, _, _ := imbalanced(1, 30, 20, 8, 0.8)
	_, tx, ty := imbalanced(2, 300, 20, 8, 0.8)

	plain, err := (&LogisticRegression{}).Fit(ctx, train)
	require.NoError(t, err)
	bag := &BaggedLogisticRegression{Members: 7, Balance: true, Seed: 3}
	ens, err := bag.Fit(ctx, train)
	require.NoError(t, err)
	require.Len(t, ens.(*Ensemble).Members, 7)
	for _, m := range ens.(*Ensemble).Members {
		assert.Equal(t, 60, m.Result.Rows, "each head sees 30 positives and 30 negatives")
	}
	plainPos, _ := recall(t, plain, tx, ty)
	bagPos, bagNeg := recall(t, ens, tx, ty)
	// The unweighted head mostly predicts the majority class; balanced heads
	// find most leopards at a modest cost in false alarms.
	assert.Less(t, plainPos, 0.4)
	assert.Greater(t, bagPos, 0.75)
	assert.Greater(t, bagNeg, 0.75)

	// Deterministic in the seed.
	again, err := bag.Fit(ctx, train)
	require.NoError(t, err)
	assert.Equal(t, ens.(*Ensemble).Members[3].Weights, again.(*Ensemble).Members[3].Weights)

	// Bootstrap bagging, saved and loaded with the pipeline.
	p, err := labelfree.NewPipeline(&BaggedLogisticRegression{Members: 3, Base: LogisticRegression{Balanced: true}})
	require.NoError(t, err)
	var ex labelfree.Executor
	model, _, err := ex.Fit(ctx, p, train)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, labelfree.Save(&buf, model))
	loaded, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	p1, err := model.Stages[0].(*Ensemble).PredictProba(tx[0])
	require.NoError(t, err)
	p2, err := loaded.Stages[0].(*Ensemble).PredictProba(tx[0])
	require.NoError(t, err)
	assert.Equal(t, p1, p2)

	_, err = (&BaggedLogisticRegression{Members: -1}).Fit(ctx, train)
	var pe *labelfree.ParamError
	require.ErrorAs(t, err, &pe)
}
