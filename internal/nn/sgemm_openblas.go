//go:build openblas && cgo

package nn

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import "gonum.org/v1/netlib/blas/netlib"

// With the openblas build tag (and cgo), GEMMs run on OpenBLAS, single
// threaded per call since the engine spreads blocks over its own threads:
//
//	CGO_LDFLAGS="-lopenblas" go test -tags openblas ./internal/nn/
func init() {
	C.openblas_set_num_threads(1)
	sgemm = func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		netlib.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	gemmBackend = "openblas"
}
