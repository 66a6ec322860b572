package gemm

import (
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
)

func TestSgemmParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	calls := testCalls(rng, true)
	// Shapes big enough to be split, along either side.
	calls = append(calls,
		call{tA: blas.NoTrans, tB: blas.NoTrans, m: 64, n: 1000, k: 70, alpha: 1, beta: 0},
		call{tA: blas.Trans, tB: blas.NoTrans, m: 530, n: 49, k: 300, alpha: 1, beta: 1},
		call{tA: blas.NoTrans, tB: blas.Trans, m: 131, n: 517, k: 33, alpha: -2, beta: 0.5, lda: 2, ldb: 1, ldc: 3},
	)
	for _, workers := range []int{0, 2, 3, 7} {
		for _, c := range calls {
			check(t, rng, c, func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
				SgemmParallel(workers, c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
			})
		}
	}
}

// TestSgemmParallelBitwise checks that splitting the work does not change a
// single bit of the result.
func TestSgemmParallelBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range []call{
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 64, n: 3136, k: 64, alpha: 1, beta: 0},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 512, n: 49, k: 300, alpha: 0.5, beta: 1},
		{tA: blas.Trans, tB: blas.Trans, m: 200, n: 190, k: 100, alpha: 1, beta: -1},
	} {
		a, lda, b, ldb, cm, ldc := c.operands(rng)
		serial := append([]float32(nil), cm...)
		Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, serial, ldc)
		for _, workers := range []int{2, 3, 5} {
			par := append([]float32(nil), cm...)
			SgemmParallel(workers, c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, par, ldc)
			for i := range par {
				if i%ldc < c.n {
					require.Equal(t, serial[i], par[i], "%v workers=%d index %d", c, workers, i)
				}
			}
		}
	}
}

// TestSgemmConcurrent runs many parallel products from several goroutines at
// once (run with -race to check the helpers).
func TestSgemmConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 11))
			c := call{tA: blas.NoTrans, tB: blas.NoTrans, m: 100 + g, n: 150, k: 80, alpha: 1, beta: 0}
			for it := 0; it < 5; it++ {
				a, lda, b, ldb, cm, ldc := c.operands(rng)
				want := append([]float32(nil), cm...)
				Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
				SgemmParallel(2+g%2, c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
				for i := range cm {
					if cm[i] != want[i] && i%ldc < c.n {
						errs <- c.String()
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent SgemmParallel differs from Sgemm: %s", e)
	}
}

// TestZeroAllocs checks that steady-state calls allocate nothing.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	// A collection empties the sync.Pools; keep it out of the measurement.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	m, n, k := 96, 300, 70
	a, b, c := benchOperands(m, n, k)
	pa := PackA(blas.NoTrans, m, k, a, k)
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"Sgemm", func() { Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n) }},
		{"SgemmTrans", func() { Sgemm(blas.Trans, blas.Trans, m, n, k, 1, a, m, b, k, 0, c, n) }},
		{"SgemmParallel", func() { SgemmParallel(2, blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n) }},
		{"PackedA.Sgemm", func() { pa.Sgemm(blas.NoTrans, n, 1, b, n, 0, c, n) }},
		{"PackedA.RowBlock", func() {
			blk := pa.RowBlock(pa.RowAlign(), m)
			blk.Sgemm(blas.NoTrans, n, 1, b, n, 0, c[pa.RowAlign()*n:], n)
		}},
		{"PackedA.SgemmParallel", func() { pa.SgemmParallel(2, blas.NoTrans, n, 1, b, n, 1, c, n) }},
	} {
		tc.fn()
		allocs := testing.AllocsPerRun(50, tc.fn)
		require.Zero(t, allocs, tc.name)
	}
}
