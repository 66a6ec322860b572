package gemm

// kernFunc is a register micro-kernel. It multiplies an A micro-panel (kc
// steps of MR floats, of which the first mr rows are used) by a B micro-panel
// (kc rows ldb floats apart, of which the first nv*vec columns are used) and
// writes C[i*ldc+j] = alpha*acc[i][j] + beta*C[i*ldc+j] for the mr×(nv*vec)
// tile at c. When beta == 0, C is not read.
type kernFunc func(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// kernelSet describes one instruction-set flavour of the micro-kernel with the
// cache blocking that suits it.
type kernelSet struct {
	name   string
	mr, nr int // register tile: rows of A, columns of B
	vec    int // columns per vector register; edge kernels exist for multiples of vec
	mc, kc int // A block mc×kc stays in L2
	nc     int // B panel kc×nc stays in L3
	// bMode chooses between packing B and reading it in place; only tests
	// and benchmarks change it from bAuto.
	bMode int
	// kern[mr][nv] computes an mr×(nv*vec) tile, 1 <= mr <= MR, 1 <= nv <= NR/vec.
	kern [][]kernFunc
}

// B handling modes of kernelSet.bMode.
const (
	bAuto   = iota // read B in place where that is faster
	bPacked        // always pack B
	bDirect        // read B in place whenever it is not transposed
)

// goKernels is the portable kernel set, used where no SIMD kernel applies.
var goKernels = func() *kernelSet {
	ks := &kernelSet{name: "go", mr: goMR, nr: goNR, vec: goNR, mc: 256, kc: 256, nc: 2048}
	ks.kern = make([][]kernFunc, goMR+1)
	for mr := 1; mr <= goMR; mr++ {
		ks.kern[mr] = []kernFunc{nil, goKernel(mr)}
	}
	return ks
}()

const (
	goMR = 4
	goNR = 8
)

// goKernel returns the portable mr×goNR kernel.
func goKernel(mr int) kernFunc {
	if mr == goMR {
		return goKernel4x8
	}
	return func(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
		goKernelEdge(mr, kc, a, b, ldb, c, ldc, alpha, beta)
	}
}

// goKernel4x8 is the full portable tile with the accumulators in locals so
// the compiler can keep them in registers.
func goKernel4x8(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	ap := unsafeSlice(a, kc*goMR)
	bp := unsafeSlice(b, (kc-1)*ldb+goNR)
	var c00, c01, c02, c03, c04, c05, c06, c07 float32
	var c10, c11, c12, c13, c14, c15, c16, c17 float32
	var c20, c21, c22, c23, c24, c25, c26, c27 float32
	var c30, c31, c32, c33, c34, c35, c36, c37 float32
	for p := 0; p < kc; p++ {
		av := ap[p*goMR : p*goMR+goMR : p*goMR+goMR]
		bv := bp[p*ldb : p*ldb+goNR : p*ldb+goNR]
		b0, b1, b2, b3, b4, b5, b6, b7 := bv[0], bv[1], bv[2], bv[3], bv[4], bv[5], bv[6], bv[7]
		a0 := av[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c04 += a0 * b4
		c05 += a0 * b5
		c06 += a0 * b6
		c07 += a0 * b7
		a1 := av[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c14 += a1 * b4
		c15 += a1 * b5
		c16 += a1 * b6
		c17 += a1 * b7
		a2 := av[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c24 += a2 * b4
		c25 += a2 * b5
		c26 += a2 * b6
		c27 += a2 * b7
		a3 := av[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		c34 += a3 * b4
		c35 += a3 * b5
		c36 += a3 * b6
		c37 += a3 * b7
	}
	acc := [goMR * goNR]float32{
		c00, c01, c02, c03, c04, c05, c06, c07,
		c10, c11, c12, c13, c14, c15, c16, c17,
		c20, c21, c22, c23, c24, c25, c26, c27,
		c30, c31, c32, c33, c34, c35, c36, c37,
	}
	storeTile(acc[:], goMR, c, ldc, alpha, beta)
}

func goKernelEdge(mr, kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	ap := unsafeSlice(a, kc*goMR)
	bp := unsafeSlice(b, (kc-1)*ldb+goNR)
	var acc [goMR * goNR]float32
	for p := 0; p < kc; p++ {
		bv := bp[p*ldb : p*ldb+goNR : p*ldb+goNR]
		for i := 0; i < mr; i++ {
			ai := ap[p*goMR+i]
			row := acc[i*goNR : i*goNR+goNR : i*goNR+goNR]
			for j, bj := range bv {
				row[j] += ai * bj
			}
		}
	}
	storeTile(acc[:], mr, c, ldc, alpha, beta)
}

// storeTile writes an mr×goNR accumulator tile to C.
func storeTile(acc []float32, mr int, c *float32, ldc int, alpha, beta float32) {
	cs := unsafeSlice(c, (mr-1)*ldc+goNR)
	for i := 0; i < mr; i++ {
		row := cs[i*ldc : i*ldc+goNR]
		src := acc[i*goNR : i*goNR+goNR]
		if beta == 0 {
			for j, v := range src {
				row[j] = alpha * v
			}
		} else {
			for j, v := range src {
				row[j] = alpha*v + beta*row[j]
			}
		}
	}
}
