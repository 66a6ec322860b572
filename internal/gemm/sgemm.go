package gemm

import (
	"sync"

	"gonum.org/v1/gonum/blas"
)

// Panic messages, identical to gonum's blas/gonum package.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// best is the fastest kernel set this CPU supports.
var best = availableSets()[0]

// Kernel reports which micro-kernel Sgemm uses on this machine: "avx512",
// "avx2" or "go".
func Kernel() string { return best.name }

// Sgemm computes
//
//	C = alpha * op(A) * op(B) + beta * C
//
// on row-major matrices, where op(A) is m×k, op(B) is k×n and C is m×n; op(X)
// is X when the flag is blas.NoTrans and Xᵀ for blas.Trans or
// blas.ConjTrans. It has the signature and the argument checks of gonum's
// blas32.Implementation().Sgemm and panics with gonum's messages on invalid
// arguments (see the package documentation). It runs on the calling
// goroutine only; see [SgemmParallel] to use several cores.
func Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var p problem
	if !p.init(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	buf := getBuffers()
	best.run(&p, 0, m, 0, n, buf)
	putBuffers(buf)
}

// problem holds one validated Sgemm call.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	// pre, when pre.data is set, holds op(A) already packed for this kernel
	// set (copied out of a PackedA so that the PackedA does not escape); a
	// and lda are then unused.
	pre prepacked
}

// init validates the arguments like gonum and handles the cases that need no
// product (empty C, alpha == 0, k == 0). It reports whether the product
// remains to be computed.
func (p *problem) init(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	checkTranspose(tA)
	checkTranspose(tB)
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	transA := tA != blas.NoTrans
	transB := tB != blas.NoTrans
	if transA {
		if lda < max(1, m) {
			panic(badLdA)
		}
	} else if lda < max(1, k) {
		panic(badLdA)
	}
	checkStridesBC(transB, n, k, ldb, ldc)
	if m == 0 || n == 0 {
		return false
	}
	// Same length checks as gonum, written so that they cannot overflow for
	// k == 0 (where (k-1)*lda is negative and the check trivially passes).
	if transA {
		if len(a) < (k-1)*lda+m {
			panic(shortA)
		}
	} else if len(a) < (m-1)*lda+k {
		panic(shortA)
	}
	checkLengthsBC(transB, m, n, k, b, ldb, c, ldc)
	if alpha == 0 || k == 0 {
		scaleC(c, ldc, 0, m, 0, n, beta)
		return false
	}
	*p = problem{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, b: b, c: c,
		lda: lda, ldb: ldb, ldc: ldc,
	}
	return true
}

// scaleC sets C[i0:i1, j0:j1] *= beta, writing zeros when beta == 0.
// checkTranspose panics like gonum on an unknown transpose flag.
func checkTranspose(t blas.Transpose) {
	switch t {
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	default:
		panic(badTranspose)
	}
}

// checkStridesBC panics like gonum on a leading dimension of B or C that is
// too small; Sgemm and PackedA share it.
func checkStridesBC(transB bool, n, k, ldb, ldc int) {
	if transB {
		if ldb < max(1, k) {
			panic(badLdB)
		}
	} else if ldb < max(1, n) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
}

// checkLengthsBC panics like gonum when B or C is too short for its
// dimensions. The checks cannot overflow for k == 0, where (k-1)*ldb is
// negative and the B check trivially passes.
func checkLengthsBC(transB bool, m, n, k int, b []float32, ldb int, c []float32, ldc int) {
	if transB {
		if len(b) < (n-1)*ldb+k {
			panic(shortB)
		}
	} else if len(b) < (k-1)*ldb+n {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}
}

func scaleC(c []float32, ldc, i0, i1, j0, j1 int, beta float32) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// buffers holds the packing buffers of one goroutine.
type buffers struct {
	a, b []float32
	tmp  []float32 // one MR×NR edge tile
}

var bufPool = sync.Pool{New: func() any { return new(buffers) }}

func getBuffers() *buffers  { return bufPool.Get().(*buffers) }
func putBuffers(b *buffers) { bufPool.Put(b) }

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// blockSize splits total into the fewest blocks of at most limit and returns
// the balanced block size rounded up to a multiple of unit.
func blockSize(total, limit, unit int) int {
	nb := (total + limit - 1) / limit
	bs := (total + nb - 1) / nb
	return (bs + unit - 1) / unit * unit
}

// run computes rows [i0,i1) and columns [j0,j1) of C for problem p with the
// BLIS loop nest: jc (NC) → pc (KC, pack B) → ic (MC, pack A) → jr (NR) → ir
// (MR) → micro-kernel.
//
// When B is not transposed its rows are already contiguous runs of columns,
// so the micro-kernel can read B in place (ldb floats between k steps), and
// only a trailing micro-panel narrower than a vector is packed. That saves a
// copy of the whole of B, which for im2col convolutions is the large operand,
// and wins when each B panel is used by a single A block (at most MC rows of
// C), narrow C included: the 49- and 196-column row blocks of late conv
// layers run 5-15% faster reading B in place than packing it for each
// block. With several A blocks the packed, contiguous panel is faster.
func (ks *kernelSet) run(p *problem, i0, i1, j0, j1 int, buf *buffers) {
	MR, NR, vec := ks.mr, ks.nr, ks.vec
	kcB := blockSize(p.k, ks.kc, 1)
	mcB := blockSize(i1-i0, ks.mc, MR)
	ncB := blockSize(j1-j0, ks.nc, NR)
	direct := false
	if !p.transB {
		switch ks.bMode {
		case bAuto:
			direct = i1-i0 <= mcB
		case bDirect:
			direct = i1-i0 <= mcB
		}
	}
	if p.pre.data == nil {
		buf.a = grow(buf.a, mcB*kcB)
	}
	if direct {
		buf.b = grow(buf.b, kcB*NR)
	} else {
		buf.b = grow(buf.b, kcB*ncB)
	}
	buf.tmp = grow(buf.tmp, MR*NR)
	c, ldc, alpha := p.c, p.ldc, p.alpha
	for jc := j0; jc < j1; jc += ncB {
		nc := min(ncB, j1-jc)
		jrLast := (nc - 1) / NR * NR
		for pc := 0; pc < p.k; pc += kcB {
			kc := min(kcB, p.k-pc)
			switch {
			case !direct:
				packB(buf.b, NR, p.transB, p.b, p.ldb, pc, jc, kc, nc)
			case (nc-jrLast)%vec != 0:
				packB(buf.b, NR, false, p.b, p.ldb, pc, jc+jrLast, kc, nc-jrLast)
			}
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			for ic := i0; ic < i1; ic += mcB {
				mc := min(mcB, i1-ic)
				apanel := buf.a
				if pre := &p.pre; pre.data != nil {
					// Pre-packed: the pc block of all of A starts at pc*mPad
					// and row0+ic is a multiple of MR.
					apanel = pre.data[pc*pre.mPad+(pre.row0+ic)*kc:]
				} else {
					packA(buf.a, MR, p.transA, p.a, p.lda, ic, pc, mc, kc)
				}
				for jr := 0; jr < nc; jr += NR {
					nr := min(NR, nc-jr)
					nv := (nr + vec - 1) / vec
					var bp *float32
					ldb := NR
					switch {
					case !direct:
						bp = &buf.b[jr*kc]
					case nr%vec == 0:
						bp, ldb = &p.b[pc*p.ldb+jc+jr], p.ldb
					default:
						bp = &buf.b[0]
					}
					for ir := 0; ir < mc; ir += MR {
						mr := min(MR, mc-ir)
						ap := &apanel[ir*kc]
						ci := (ic+ir)*ldc + jc + jr
						kern := ks.kern[mr][nv]
						if nr == nv*vec {
							kern(kc, ap, bp, ldb, &c[ci], ldc, alpha, beta)
							continue
						}
						// Partial vector of columns: compute the tile into
						// scratch and merge the valid part.
						tmp := buf.tmp
						kern(kc, ap, bp, ldb, &tmp[0], NR, alpha, 0)
						for i := 0; i < mr; i++ {
							dst := c[ci+i*ldc : ci+i*ldc+nr]
							src := tmp[i*NR : i*NR+nr]
							if beta == 0 {
								copy(dst, src)
							} else {
								for j, v := range src {
									dst[j] = v + beta*dst[j]
								}
							}
						}
					}
				}
			}
		}
	}
}
