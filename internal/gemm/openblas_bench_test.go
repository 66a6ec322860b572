//go:build openblas && cgo

package gemm

import (
	"github.com/labelfree/labelfree/internal/gemm/internal/openblas"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

// OpenBLAS on 1 and 2 threads as benchmark peers. Run with
//
//	apt-get install -y libopenblas-dev
//	go test -tags openblas -bench Sgemm ./internal/gemm/
func init() {
	for _, threads := range []int{1, 2} {
		benchPeers = append(benchPeers, benchPeer{
			name:  map[int]string{1: "openblas-1", 2: "openblas-2"}[threads],
			setup: func() { openblas.SetThreads(threads) },
			sgemm: func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				netlib.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			},
		})
	}
}
