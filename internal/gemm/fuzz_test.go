package gemm

import (
	"math/rand/v2"
	"testing"
)

// FuzzSgemm checks arbitrary small shapes, strides, scalars and transposes
// against the float64 reference, for every kernel set, B mode and worker
// count, with A packed per call or ahead (PackedA).
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(0), uint8(1), uint8(1), uint8(1), uint8(0), uint8(0), uint8(0), float32(1), float32(0), uint64(1))
	f.Add(uint8(1), uint8(13), uint8(33), uint8(17), uint8(1), uint8(2), uint8(3), float32(-2), float32(0.5), uint64(2))
	f.Add(uint8(2), uint8(12), uint8(32), uint8(0), uint8(0), uint8(0), uint8(0), float32(1), float32(1), uint64(3))
	f.Add(uint8(3), uint8(25), uint8(49), uint8(8), uint8(4), uint8(1), uint8(0), float32(0), float32(2), uint64(4))
	f.Add(uint8(8), uint8(7), uint8(70), uint8(40), uint8(0), uint8(0), uint8(5), float32(3), float32(-1), uint64(5))
	f.Add(uint8(4), uint8(30), uint8(50), uint8(20), uint8(1), uint8(0), uint8(2), float32(1), float32(1), uint64(1<<16|1<<8|2))
	f.Add(uint8(5), uint8(13), uint8(17), uint8(9), uint8(0), uint8(3), uint8(1), float32(-1), float32(0), uint64(1<<16|7))
	sets := kernelSetsUnderTest()
	f.Fuzz(func(t *testing.T, flags, m, n, k, lda, ldb, ldc uint8, alpha, beta float32, seed uint64) {
		c := call{
			tA: transposes[flags%3], tB: transposes[flags/3%3],
			m: int(m % 80), n: int(n % 80), k: int(k % 80),
			alpha: alpha, beta: beta,
			lda: int(lda % 8), ldb: int(ldb % 8), ldc: int(ldc % 8),
		}
		if !finite(alpha) || !finite(beta) || abs32(alpha) > 1e6 || abs32(beta) > 1e6 {
			t.Skip("non-finite or huge scalars make the tolerance meaningless")
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		ks := sets[int(seed%uint64(len(sets)))]
		workers := int(seed>>8%4) + 1
		prepack := seed>>16%2 == 1
		check(t, rng, c, func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
			if prepack {
				if workers > 1 {
					pa := PackA(c.tA, c.m, c.k, a, lda)
					pa.SgemmParallel(workers, c.tB, c.n, c.alpha, b, ldb, c.beta, cm, ldc)
					return
				}
				pa := packAWith(ks, c.tA, c.m, c.k, a, lda)
				var p problem
				if p.initPacked(pa, c.tB, c.n, c.alpha, b, ldb, c.beta, cm, ldc) {
					ks.run(&p, 0, c.m, 0, c.n, new(buffers))
				}
				return
			}
			if workers > 1 {
				SgemmParallel(workers, c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
				return
			}
			runWith(ks)(c)(a, lda, b, ldb, cm, ldc)
		})
	})
}

func finite(x float32) bool { return x-x == 0 }

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
