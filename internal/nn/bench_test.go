package nn

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkTorchvision measures steady-state inference of the torchvision
// exports (see gen_torchvision.py) at batch 1 and 16 on one Session.
func BenchmarkTorchvision(b *testing.B) {
	dir := torchvisionDir(b)
	for _, name := range []string{"resnet18", "resnet50", "mobilenet_v2"} {
		f, err := os.Open(filepath.Join(dir, name+".onnx"))
		if err != nil {
			b.Fatal(err)
		}
		m, err := Load(f, nil)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		for _, batch := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) {
				x := rampInput(batch, 3, 224, 224)
				s := m.NewSession()
				out := []*Tensor{{}}
				ctx := context.Background()
				if err := s.Run(ctx, []*Tensor{x}, out); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := s.Run(ctx, []*Tensor{x}, out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}

// rampInput returns a benchmark input of the given shape whose values ramp
// through [-0.5, 0.5).
func rampInput(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	x := &Tensor{Shape: shape, Data: make([]float32, n)}
	for k := range x.Data {
		x.Data[k] = float32(k%255)/255 - 0.5
	}
	return x
}
