package nn

import (
	"context"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

// blobs returns n rows of d features in k well-separated clusters.
func blobs(n, d, k int, seed int64) (*Tensor, []int) {
	rng := rand.New(rand.NewSource(seed))
	centres := make([][]float32, k)
	for c := range centres {
		centres[c] = make([]float32, d)
		for j := range centres[c] {
			centres[c][j] = float32(rng.NormFloat64() * 2)
		}
	}
	x := &Tensor{Shape: []int{n, d}, Data: make([]float32, n*d)}
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		labels[i] = i % k
		for j := 0; j < d; j++ {
			x.Data[i*d+j] = centres[labels[i]][j] + float32(rng.NormFloat64()*0.5)
		}
	}
	return x, labels
}

func accuracy(t *testing.T, m *Model, x *Tensor, labels []int) float64 {
	out, err := m.Run(context.Background(), x)
	require.NoError(t, err)
	k := out[0].Shape[1]
	right := 0
	for i, l := range labels {
		best := 0
		for c := 1; c < k; c++ {
			if out[0].Data[i*k+c] > out[0].Data[i*k+best] {
				best = c
			}
		}
		if best == l {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}

func TestTrainHeadLossFalls(t *testing.T) {
	x, labels := blobs(200, 16, 3, 1)
	for _, opt := range []string{"adam", "sgd"} {
		t.Run(opt, func(t *testing.T) {
			m, rep, err := TrainHead(context.Background(), x, labels, 3, &TrainConfig{Optimizer: opt, Epochs: 15, LearningRate: 0.05, Seed: 3})
			require.NoError(t, err)
			require.Len(t, rep.Loss, 15)
			assert.Less(t, rep.Loss[len(rep.Loss)-1], rep.Loss[0]/3, "loss %v", rep.Loss)
			assert.Greater(t, accuracy(t, m, x, labels), 0.95)
		})
	}
}

// TestFineTuneTinyCNNTail fine-tunes the last Gemm of the tiny CNN on its
// pooled features, with relabelled targets, and checks that the loss falls
// and the returned fast-engine model agrees with the training.
func TestFineTuneTinyCNNTail(t *testing.T) {
	m := loadTiny(t, nil)
	var pooled string
	for _, n := range m.g.nodes {
		if n.op == "GlobalAveragePool" {
			pooled = m.g.vals[n.out[0]].name
		}
	}
	trunk, err := m.Truncate(pooled)
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(5))
	const n = 64
	img := &Tensor{Shape: []int{n, 3, 32, 32}, Data: make([]float32, n*3*32*32)}
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		labels[i] = i % 2
		for j := 0; j < 3*32*32; j++ {
			img.Data[i*3*32*32+j] = float32(rng.NormFloat64()) + float32(labels[i])*0.8*float32(j%3)
		}
	}
	feats, err := trunk.Run(context.Background(), img)
	require.NoError(t, err)
	before := accuracy(t, m, img, labels) // the random head, 10 classes
	tuned, rep, err := FineTune(context.Background(), m, pooled, feats[0], labels, &TrainConfig{Epochs: 30, LearningRate: 0.05, BatchSize: 16})
	require.NoError(t, err)
	t.Logf("loss %.3f -> %.3f, accuracy %.2f -> %.2f", rep.Loss[0], rep.Loss[len(rep.Loss)-1], before, accuracy(t, tuned, img, labels))
	assert.Less(t, rep.Loss[len(rep.Loss)-1], rep.Loss[0]*0.7)
	assert.Greater(t, accuracy(t, tuned, img, labels), 0.9)
}

func TestTrainConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg   TrainConfig
		field string
	}{
		{TrainConfig{Optimizer: "lbfgs"}, "Optimizer"},
		{TrainConfig{LearningRate: -1}, "LearningRate"},
		{TrainConfig{Epochs: -1}, "Epochs"},
		{TrainConfig{BatchSize: -2}, "BatchSize"},
		{TrainConfig{L2: -1}, "L2"},
	} {
		var pe *labelfree.ParamError
		require.ErrorAs(t, tc.cfg.Validate(), &pe)
		assert.Equal(t, tc.field, pe.Field)
	}
	assert.NoError(t, (&TrainConfig{}).Validate())
	x, labels := blobs(10, 4, 2, 1)
	_, _, err := TrainHead(context.Background(), x, labels[:5], 2, nil)
	assert.Error(t, err)
	labels[0] = 7
	_, _, err = TrainHead(context.Background(), x, labels, 2, nil)
	assert.ErrorContains(t, err, "label 7")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	labels[0] = 0
	_, _, err = TrainHead(ctx, x, labels, 2, nil)
	assert.ErrorIs(t, err, context.Canceled)
}
