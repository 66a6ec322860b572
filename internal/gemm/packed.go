package gemm

import (
	"runtime"

	"gonum.org/v1/gonum/blas"
)

// PackedA is a left operand op(A) packed once into the micro-kernel's panel
// layout, for products with many different right operands: the weights of a
// convolution or fully connected layer. Multiplying with a PackedA skips the
// copy of A that every [Sgemm] call makes, which matters when C has few
// columns (late CNN layers: 49 columns against thousands of rows). A PackedA
// is read-only after [PackA] and safe for concurrent use.
type PackedA struct {
	ks   *kernelSet
	m, k int
	pre  prepacked
}

// prepacked locates a packed op(A) in its storage.
type prepacked struct {
	data []float32 // nil when m == 0 or k == 0
	mPad int       // rows of the whole packed matrix, rounded up to MR
	row0 int       // first packed row of this matrix (non-zero for a RowBlock)
}

// PackA packs op(A), an m×k matrix (A is m×k with tA == blas.NoTrans, k×m
// otherwise), for use with [PackedA.Sgemm]. It checks its arguments like
// [Sgemm] and panics with gonum's messages on invalid ones.
func PackA(tA blas.Transpose, m, k int, a []float32, lda int) *PackedA {
	return packAWith(best, tA, m, k, a, lda)
}

func packAWith(ks *kernelSet, tA blas.Transpose, m, k int, a []float32, lda int) *PackedA {
	checkTranspose(tA)
	if m < 0 {
		panic(mLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	trans := tA != blas.NoTrans
	if trans {
		if lda < max(1, m) {
			panic(badLdA)
		}
	} else if lda < max(1, k) {
		panic(badLdA)
	}
	pa := &PackedA{ks: ks, m: m, k: k}
	pa.pre.mPad = (m + ks.mr - 1) / ks.mr * ks.mr
	if m == 0 || k == 0 {
		return pa
	}
	if trans {
		if len(a) < (k-1)*lda+m {
			panic(shortA)
		}
	} else if len(a) < (m-1)*lda+k {
		panic(shortA)
	}
	// The same KC blocking as kernelSet.run: block pc holds all mPad rows,
	// kc deep, at offset pc*mPad.
	pa.pre.data = make([]float32, pa.pre.mPad*k)
	kcB := blockSize(k, ks.kc, 1)
	for pc := 0; pc < k; pc += kcB {
		kc := min(kcB, k-pc)
		packA(pa.pre.data[pc*pa.pre.mPad:], ks.mr, trans, a, lda, 0, pc, m, kc)
	}
	return pa
}

// RowAlign is the row granularity of [PackedA.RowBlock]: the micro-kernel's
// tile height (12 with AVX-512, 6 with AVX2, 4 otherwise).
func (pa *PackedA) RowAlign() int { return pa.ks.mr }

// RowBlock returns rows [i0, i1) of op(A) as a PackedA sharing pa's storage,
// for computing C in row blocks (for example to run an epilogue on each block
// while it is in cache). i0 must be a multiple of [PackedA.RowAlign] and
// 0 <= i0 <= i1 <= m; otherwise RowBlock panics. The result is a value, so
// taking a block allocates nothing.
func (pa *PackedA) RowBlock(i0, i1 int) PackedA {
	if i0 < 0 || i1 < i0 || i1 > pa.m || i0%pa.ks.mr != 0 {
		panic("gemm: bad PackedA row block")
	}
	b := *pa
	b.m = i1 - i0
	b.pre.row0 = pa.pre.row0 + i0
	return b
}

// Rows returns m, the number of rows of op(A) and of C.
func (pa *PackedA) Rows() int { return pa.m }

// Cols returns k, the number of columns of op(A).
func (pa *PackedA) Cols() int { return pa.k }

// Sgemm computes C = alpha * op(A) * op(B) + beta * C for the packed op(A):
// the same as [Sgemm](tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
// with the m, k, tA and A given to [PackA], and bitwise the same result.
func (pa *PackedA) Sgemm(tB blas.Transpose, n int, alpha float32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var p problem
	if !p.initPacked(pa, tB, n, alpha, b, ldb, beta, c, ldc) {
		return
	}
	buf := getBuffers()
	pa.ks.run(&p, 0, pa.m, 0, n, buf)
	putBuffers(buf)
}

// SgemmParallel is [PackedA.Sgemm] split over up to workers goroutines, as
// [SgemmParallel] does; workers <= 0 means runtime.GOMAXPROCS(0).
func (pa *PackedA) SgemmParallel(workers int, tB blas.Transpose, n int, alpha float32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	j := jobPool.Get().(*job)
	defer jobPool.Put(j)
	if j.p.initPacked(pa, tB, n, alpha, b, ldb, beta, c, ldc) {
		j.run(pa.ks, workers)
	}
}

// initPacked is problem.init for a pre-packed A.
func (p *problem) initPacked(pa *PackedA, tB blas.Transpose, n int, alpha float32, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	checkTranspose(tB)
	if n < 0 {
		panic(nLT0)
	}
	m, k := pa.m, pa.k
	transB := tB != blas.NoTrans
	checkStridesBC(transB, n, k, ldb, ldc)
	if m == 0 || n == 0 {
		return false
	}
	checkLengthsBC(transB, m, n, k, b, ldb, c, ldc)
	if alpha == 0 || k == 0 {
		scaleC(c, ldc, 0, m, 0, n, beta)
		return false
	}
	*p = problem{
		transB: transB,
		m:      m, n: n, k: k,
		alpha: alpha, beta: beta,
		b: b, c: c,
		ldb: ldb, ldc: ldc,
		pre: pa.pre,
	}
	return true
}
