package nn

import (
	"context"
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
	if _, err := os.Stat(filepath.Join(dir, "mobilenet_v2_output.pb")); err == nil {
		return dir
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch, torchvision, onnx").Run(); err != nil {
		t.Skip("PyTorch not installed (apt-get install python3-torch python3-torchvision python3-onnx)")
	}
	out, err := exec.Command("/usr/bin/python3", "testdata/gen_torchvision.py", dir).CombinedOutput()
	require.NoError(t, err, string(out))
	return dir
}

// TestTorchvisionModels checks ResNet-18, ResNet-50 and MobileNetV2 against
// PyTorch to 1e-4 relative (max abs error over max abs logit).
func TestTorchvisionModels(t *testing.T) {
	if testing.Short() {
		t.Skip("big models: skipped in -short mode")
	}
	dir := torchvisionDir(t)
	for _, name := range []string{"resnet18", "resnet50", "mobilenet_v2"} {
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
