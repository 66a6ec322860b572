package nn

import (
	"gonum.org/v1/gonum/blas"

	"github.com/labelfree/labelfree/internal/gemm"
)

// sgemm is the single matrix-multiply entry point of the engine, with
// gonum's Sgemm signature (row-major):
//
//	C = alpha * op(A) * op(B) + beta * C,  op(A) m×k, op(B) k×n.
//
// It runs on the calling goroutine; the engine parallelises by cutting C
// into a few blocks itself (so that a bias/residual/activation epilogue runs
// on each block while it is in cache). It is internal/gemm's AVX-512/AVX2
// Sgemm; the openblas build tag swaps in OpenBLAS.
var sgemm = func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmBackend names the GEMM in use: "internal/gemm" or "openblas".
var gemmBackend = "internal/gemm"

// GEMMBackend reports which matrix multiply the engine was built with.
func GEMMBackend() string { return gemmBackend }

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// Block sizes: C is cut along its longer side into about blocksPerThread
// blocks per thread, rounded to the micro-kernel's tile (12×32 on
// AVX-512), and products under minSplit multiply-adds are not cut at all.
const (
	blocksPerThread = 2
	minSplit        = 1 << 20
	roundM          = 12
	roundN          = 32
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
	tileM       int
	tileN       int
	tilesN      int
	pa          *gemm.PackedA // op(A) packed in advance (tA false), or nil
	bias        []float32     // per row of C, or nil
	sum         []float32     // added element-wise, laid out like C, or nil
	act         act
}

func (t *gemmTask) tiles(threads int) int {
	t.tileM, t.tileN = t.m, t.n
	if threads > 1 && t.m*t.n*t.k >= minSplit {
		parts := threads * blocksPerThread
		if t.n >= t.m {
			t.tileN = roundUp((t.n+parts-1)/parts, roundN)
		} else {
			t.tileM = roundUp((t.m+parts-1)/parts, roundM)
		}
	}
	t.tilesN = (t.n + t.tileN - 1) / t.tileN
	return ((t.m + t.tileM - 1) / t.tileM) * t.tilesN
}

func roundUp(x, r int) int { return (x + r - 1) / r * r }

func (t *gemmTask) do(i int) {
	i0 := (i / t.tilesN) * t.tileM
	j0 := (i % t.tilesN) * t.tileN
	mb := min(t.tileM, t.m-i0)
	nb := min(t.tileN, t.n-j0)
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
	} else if t.pa != nil {
		blk := t.pa.RowBlock(i0, i0+mb)
		blk.Sgemm(trans(t.tB), nb, t.alpha, t.b[bOff:], t.ldb, t.beta, c, t.ldc)
	} else {
		sgemm(t.tA, t.tB, mb, nb, t.k, t.alpha, t.a[aOff:], t.lda, t.b[bOff:], t.ldb, t.beta, c, t.ldc)
	}
	if t.bias == nil && t.sum == nil && t.act.kind == actNone {
		return
	}
	lo, hi, clamp := t.act.clampBounds()
	if !clamp {
		lo, hi = negInf, posInf
	}
	for r := 0; r < mb; r++ {
		row := c[r*t.ldc : r*t.ldc+nb]
		bv := negZero
		if t.bias != nil {
			bv = t.bias[i0+r]
		}
		var sum []float32
		if t.sum != nil {
			sum = t.sum[(i0+r)*t.ldc+j0:][:nb]
		}
		biasClip(row, sum, bv, lo, hi)
		if !clamp {
			t.act.apply(row)
		}
	}
}

// gemm runs t across the session's threads.
func (s *Session) gemm(t *gemmTask) {
	if t.m == 0 || t.n == 0 {
		return
	}
	s.parallel(t, t.tiles(s.threads))
}
