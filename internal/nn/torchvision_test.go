package nn

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TorchvisionDir returns a directory holding the fixed-seed torchvision
// exports of testdata/gen_torchvision.py, generating them on first use
// (about 160 MB, cached in the temp dir). It skips when PyTorch is absent.
func torchvisionDir(t testing.TB) string {
	dir := os.Getenv("LABELFREE_TORCHVISION_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "labelfree-nn-torchvision")
	}
	if _, err := os.Stat(filepath.Join(dir, "efficientnet_b0_output.pb")); err == nil {
		return dir
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch, torchvision, onnx").Run(); err != nil {
		t.Skip("PyTorch not installed (apt-get install python3-torch python3-torchvision python3-onnx)")
	}
	out, err := exec.Command("/usr/bin/python3", "testdata/gen_torchvision.py", dir).CombinedOutput()
	require.NoError(t, err, string(out))
	return dir
}

// TestTorchvisionModels checks ResNet-18, ResNet-50, MobileNetV2,
// MobileNetV3-Small and EfficientNet-B0 against PyTorch to 1e-4 relative
// (max abs error over max abs logit).
func TestTorchvisionModels(t *testing.T) {
	if testing.Short() {
		t.Skip("big models: skipped in -short mode")
	}
	dir := torchvisionDir(t)
	for _, name := range []string{"resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, name+".onnx"))
			require.NoError(t, err)
			defer f.Close()
			m, err := Load(f, nil)
			require.NoError(t, err)
			in, err := readTensor(filepath.Join(dir, name+"_input.pb"))
			require.NoError(t, err)
			want, err := readTensor(filepath.Join(dir, name+"_output.pb"))
			require.NoError(t, err)
			start := time.Now()
			got, err := m.Run(context.Background(), in)
			require.NoError(t, err)
			rel := maxRelErr(got[0].Data, want.Data)
			t.Logf("%s: max rel error %.2g, first run %v", name, rel, time.Since(start))
			require.Less(t, rel, 1e-4)
		})
	}
}

// TestFineTuneResNet18LastBlock trains ResNet-18's last residual block
// (layer4.1: two 3×3 convs with BatchNorm, the residual Add) and the
// classifier on a few images through Gorgonia, from the ONNX weights.
func TestFineTuneResNet18LastBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("big models: skipped in -short mode")
	}
	dir := torchvisionDir(t)
	f, err := os.Open(filepath.Join(dir, "resnet18.onnx"))
	require.NoError(t, err)
	defer f.Close()
	m, err := Load(f, nil)
	require.NoError(t, err)
	// the input of layer4.1 is the output of the Relu after layer4.0's Add
	var cut string
	adds := 0
	for _, n := range m.g.nodes {
		if n.op == "Add" {
			adds++
		}
		if n.op == "Relu" && adds == 7 && cut == "" {
			cut = m.g.vals[n.out[0]].name
		}
	}
	require.NotEmpty(t, cut)
	trunk, err := m.Truncate(cut)
	require.NoError(t, err)
	const n = 4
	img := &Tensor{Shape: []int{n, 3, 224, 224}, Data: make([]float32, n*3*224*224)}
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		labels[i] = (i % 2) * 5
		for j := 0; j < 3*224*224; j++ {
			img.Data[i*3*224*224+j] = float32((i*7+j)%13)/13 - 0.5 + float32(labels[i])*0.05
		}
	}
	feats, err := trunk.Run(context.Background(), img)
	require.NoError(t, err)
	require.Equal(t, []int{n, 512, 7, 7}, feats[0].Shape)
	tuned, rep, err := FineTune(context.Background(), m, cut, feats[0], labels, &TrainConfig{Epochs: 3, BatchSize: n, LearningRate: 1e-4})
	require.NoError(t, err)
	before, after := crossEntropy(t, m, img, labels), crossEntropy(t, tuned, img, labels)
	t.Logf("training loss per epoch: %v; engine cross-entropy %.3f -> %.3f", rep.Loss, before, after)
	// one full batch per epoch: the first loss is the untrained tail's, and
	// Gorgonia's forward pass must agree with the engine's
	require.InDelta(t, before, rep.Loss[0], 1e-4*before)
	require.Less(t, rep.Loss[len(rep.Loss)-1], rep.Loss[0])
	require.Less(t, after, before)
}

func crossEntropy(t *testing.T, m *Model, x *Tensor, labels []int) float64 {
	out, err := m.Run(context.Background(), x)
	require.NoError(t, err)
	k := out[0].Shape[1]
	total := 0.0
	for i, l := range labels {
		row := out[0].Data[i*k : (i+1)*k]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v - mx))
		}
		total -= float64(row[l]-mx) - math.Log(sum)
	}
	return total / float64(len(labels))
}
