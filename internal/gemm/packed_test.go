package gemm

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
)

func TestPackedAKernelSets(t *testing.T) {
	for _, ks := range kernelSetsUnderTest() {
		t.Run(ks.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			for _, c := range testCalls(rng, true) {
				check(t, rng, c, func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
					pa := packAWith(ks, c.tA, c.m, c.k, a, lda)
					var p problem
					if p.initPacked(pa, c.tB, c.n, c.alpha, b, ldb, c.beta, cm, ldc) {
						ks.run(&p, 0, c.m, 0, c.n, new(buffers))
					}
				})
			}
		})
	}
}

// TestPackedABitwise checks that PackedA products equal Sgemm's bit for bit.
func TestPackedABitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, c := range []call{
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 512, n: 49, k: 600, alpha: 1, beta: 0},
		{tA: blas.Trans, tB: blas.NoTrans, m: 70, n: 300, k: 70, alpha: 0.5, beta: 1, lda: 3},
		{tA: blas.NoTrans, tB: blas.Trans, m: 29, n: 31, k: 300, alpha: -1, beta: 2, ldb: 1, ldc: 2},
	} {
		a, lda, b, ldb, cm, ldc := c.operands(rng)
		want := append([]float32(nil), cm...)
		Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
		pa := PackA(c.tA, c.m, c.k, a, lda)
		require.Equal(t, c.m, pa.Rows())
		require.Equal(t, c.k, pa.Cols())
		for _, workers := range []int{1, 2, 3} {
			got := append([]float32(nil), cm...)
			if workers == 1 {
				pa.Sgemm(c.tB, c.n, c.alpha, b, ldb, c.beta, got, ldc)
			} else {
				pa.SgemmParallel(workers, c.tB, c.n, c.alpha, b, ldb, c.beta, got, ldc)
			}
			for i := range got {
				if i%ldc < c.n {
					require.Equal(t, want[i], got[i], "%v workers=%d index %d", c, workers, i)
				}
			}
		}
	}
}

func TestPackedAPanics(t *testing.T) {
	s := make([]float32, 100)
	N := blas.NoTrans
	require.PanicsWithValue(t, badTranspose, func() { PackA('q', 2, 2, s, 2) })
	require.PanicsWithValue(t, mLT0, func() { PackA(N, -1, 2, s, 2) })
	require.PanicsWithValue(t, kLT0, func() { PackA(N, 2, -1, s, 2) })
	require.PanicsWithValue(t, badLdA, func() { PackA(N, 2, 3, s, 2) })
	require.PanicsWithValue(t, badLdA, func() { PackA(blas.Trans, 3, 2, s, 2) })
	require.PanicsWithValue(t, shortA, func() { PackA(N, 2, 3, s[:5], 3) })
	pa := PackA(N, 2, 3, s, 3)
	require.PanicsWithValue(t, badTranspose, func() { pa.Sgemm(0, 4, 1, s, 4, 0, s, 4) })
	require.PanicsWithValue(t, nLT0, func() { pa.Sgemm(N, -1, 1, s, 4, 0, s, 4) })
	require.PanicsWithValue(t, badLdB, func() { pa.Sgemm(N, 4, 1, s, 3, 0, s, 4) })
	require.PanicsWithValue(t, badLdB, func() { pa.Sgemm(blas.Trans, 4, 1, s, 2, 0, s, 4) })
	require.PanicsWithValue(t, badLdC, func() { pa.Sgemm(N, 4, 1, s, 4, 0, s, 3) })
	require.PanicsWithValue(t, shortB, func() { pa.Sgemm(N, 4, 1, s[:11], 4, 0, s, 4) })
	require.PanicsWithValue(t, shortC, func() { pa.Sgemm(N, 4, 1, s, 4, 0, s[:7], 4) })
	require.NotPanics(t, func() { pa.Sgemm(N, 4, 1, s[:12], 4, 0, s[:8], 4) })
	require.NotPanics(t, func() { PackA(N, 0, 0, nil, 1).Sgemm(N, 3, 1, nil, 3, 0, nil, 3) })
	// k == 0: C = beta*C.
	c := []float32{1, 2, 3, 4}
	PackA(N, 2, 0, s, 1).Sgemm(N, 2, 1, nil, 2, 3, c, 2)
	require.Equal(t, []float32{3, 6, 9, 12}, c)
}

// TestPackedARowBlock computes C in row blocks of a PackedA and checks the
// result equals the whole product bit for bit.
func TestPackedARowBlock(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	c := call{tA: blas.NoTrans, tB: blas.NoTrans, m: 100, n: 70, k: 300, alpha: 1, beta: 0.5}
	a, lda, b, ldb, cm, ldc := c.operands(rng)
	want := append([]float32(nil), cm...)
	Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
	pa := PackA(c.tA, c.m, c.k, a, lda)
	step := 2 * pa.RowAlign()
	for i0 := 0; i0 < c.m; i0 += step {
		i1 := min(c.m, i0+step)
		blk := pa.RowBlock(i0, i1)
		require.Equal(t, i1-i0, blk.Rows())
		// A block of a block.
		half := pa.RowAlign()
		if i1-i0 > half {
			lo, hi := blk.RowBlock(0, half), blk.RowBlock(half, i1-i0)
			lo.Sgemm(c.tB, c.n, c.alpha, b, ldb, c.beta, cm[i0*ldc:], ldc)
			hi.SgemmParallel(2, c.tB, c.n, c.alpha, b, ldb, c.beta, cm[(i0+half)*ldc:], ldc)
			continue
		}
		blk.Sgemm(c.tB, c.n, c.alpha, b, ldb, c.beta, cm[i0*ldc:], ldc)
	}
	for i := range cm {
		if i%ldc < c.n {
			require.Equal(t, want[i], cm[i], "index %d", i)
		}
	}
	require.Panics(t, func() { pa.RowBlock(1, 5) })
	require.Panics(t, func() { pa.RowBlock(0, c.m+1) })
	require.Panics(t, func() { pa.RowBlock(pa.RowAlign(), 0) })
	require.NotPanics(t, func() { pa.RowBlock(0, 0) })
}
