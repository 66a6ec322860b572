package nn

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas"

	"github.com/labelfree/labelfree/internal/gemm"
)

// BenchmarkConvGEMM compares the engine's blocked parallel GEMM (with
// epilogue) and internal/gemm.SgemmParallel on ResNet-50 conv shapes.
func BenchmarkConvGEMM(b *testing.B) {
	for _, sh := range [][3]int{{64, 576, 3136}, {256, 64, 3136}, {128, 1152, 784}, {256, 1024, 196}, {512, 4608, 49}} {
		m, k, n := sh[0], sh[1], sh[2]
		a := make([]float32, m*k)
		bb := make([]float32, k*n)
		c := make([]float32, m*n)
		for i := range a {
			a[i] = float32(i%7) * 0.1
		}
		for i := range bb {
			bb[i] = float32(i%5) * 0.1
		}
		flops := 2 * float64(m*n*k)
		b.Run(fmt.Sprintf("engine1thread/%dx%dx%d", m, k, n), func(b *testing.B) {
			s := &Session{threads: 1}
			for i := 0; i < b.N; i++ {
				s.gemmT = gemmTask{m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: bb, ldb: n, c: c, ldc: n, act: act{kind: actRelu}}
				s.gemm(&s.gemmT)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("engine/%dx%dx%d", m, k, n), func(b *testing.B) {
			s := &Session{threads: 2}
			for i := 0; i < b.N; i++ {
				s.gemmT = gemmTask{m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: bb, ldb: n, c: c, ldc: n, act: act{kind: actRelu}}
				s.gemm(&s.gemmT)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("Sgemm1thread/%dx%dx%d", m, k, n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				gemm.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("SgemmParallel/%dx%dx%d", m, k, n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				gemm.SgemmParallel(2, blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
