package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// sgemm is the single matrix-multiply entry point of the engine, with
// gonum's Sgemm signature (row-major):
//
//	C = alpha * op(A) * op(B) + beta * C,  op(A) m×k, op(B) k×n.
//
// Callers pass tiles small enough that gonum runs them serially (no
// goroutines, no allocation); the engine parallelises across tiles itself.
// Swap this one function for a faster kernel (internal/gemm, OpenBLAS).
var sgemm = func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

var impl = blas32.Implementation()

// Tile sizes: gonum runs a product serially when it spans fewer than four
// 64×64 blocks, which tmRows×tmCols guarantees.
const (
	tileM = 64
	tileN = 192
)

// gemmTask is a tiled, parallel C = op(A)·op(B) (+ beta·C) with an optional
// epilogue per tile: add bias[row], add sum (same layout as C), activation.
type gemmTask struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	a           []float32
	lda         int
	b           []float32
	ldb         int
	c           []float32
	ldc         int
	tilesN      int
	bias        []float32 // per row of C, or nil
	sum         []float32 // added element-wise, laid out like C, or nil
	act         act
}

func (t *gemmTask) tiles() int {
	t.tilesN = (t.n + tileN - 1) / tileN
	return ((t.m + tileM - 1) / tileM) * t.tilesN
}

func (t *gemmTask) do(i int) {
	i0 := (i / t.tilesN) * tileM
	j0 := (i % t.tilesN) * tileN
	mb := min(tileM, t.m-i0)
	nb := min(tileN, t.n-j0)
	aOff := i0 * t.lda
	if t.tA {
		aOff = i0
	}
	bOff := j0
	if t.tB {
		bOff = j0 * t.ldb
	}
	c := t.c[i0*t.ldc+j0:]
	if t.k == 0 {
		for r := 0; r < mb; r++ {
			row := c[r*t.ldc : r*t.ldc+nb]
			for q := range row {
				row[q] *= t.beta
			}
		}
	} else {
		sgemm(t.tA, t.tB, mb, nb, t.k, t.alpha, t.a[aOff:], t.lda, t.b[bOff:], t.ldb, t.beta, c, t.ldc)
	}
	if t.bias == nil && t.sum == nil && t.act.kind == actNone {
		return
	}
	for r := 0; r < mb; r++ {
		row := c[r*t.ldc : r*t.ldc+nb]
		if t.bias != nil {
			bv := t.bias[i0+r]
			for q := range row {
				row[q] += bv
			}
		}
		if t.sum != nil {
			s := t.sum[(i0+r)*t.ldc+j0:][:nb]
			for q := range row {
				row[q] += s[q]
			}
		}
		t.act.apply(row)
	}
}

// gemm runs t across the session's threads.
func (s *Session) gemm(t *gemmTask) {
	if t.m == 0 || t.n == 0 {
		return
	}
	s.parallel(t, t.tiles())
}
