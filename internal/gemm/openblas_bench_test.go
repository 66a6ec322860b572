//go:build openblas && cgo

package gemm

import (
	"os"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

// OpenBLAS as a benchmark peer. Run with
//
//	apt-get install -y libopenblas-dev
//	OPENBLAS_NUM_THREADS=2 CGO_LDFLAGS=-lopenblas go test -tags openblas -bench Sgemm ./internal/gemm/
//
// The benchmark name carries OPENBLAS_NUM_THREADS.
func init() {
	threads := os.Getenv("OPENBLAS_NUM_THREADS")
	if threads == "" {
		threads = "all"
	}
	benchPeers = append(benchPeers, struct {
		name  string
		sgemm func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	}{"openblas-" + threads, netlib.Implementation{}.Sgemm})
}
