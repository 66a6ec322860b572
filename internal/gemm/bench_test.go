package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/labelfree/labelfree/internal/cputime"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// benchShapes are im2col GEMMs of ResNet-50 at 224×224, batch 1 (M = output
// channels, N = output H*W, K = input channels × kernel area), and squares.
var benchShapes = []struct {
	name    string
	m, n, k int
}{
	{"conv1_64x12544x147", 64, 12544, 147},
	{"res2_64x3136x64", 64, 3136, 64},
	{"res2_64x3136x576", 64, 3136, 576},
	{"res2_256x3136x64", 256, 3136, 64},
	{"res3_128x784x1152", 128, 784, 1152},
	{"res3_512x784x128", 512, 784, 128},
	{"res4_256x196x2304", 256, 196, 2304},
	{"res4_1024x196x256", 1024, 196, 256},
	{"res5_512x49x4608", 512, 49, 4608},
	{"res5_2048x49x512", 2048, 49, 512},
	{"sq512", 512, 512, 512},
	{"sq1024", 1024, 1024, 1024},
	{"sq2048", 2048, 2048, 2048},
}

func benchOperands(m, n, k int) (a, b, c []float32) {
	rng := rand.New(rand.NewPCG(1, 1))
	r := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32() - 0.5
		}
		return s
	}
	return r(m * k), r(k * n), r(m * n)
}

// reportGFLOPS reports the wall-clock rate and, where the OS tells, the rate
// per CPU-second the process used (cpu0: process CPU time at the start).
// On a machine shared with other work the second is the steadier measure
// of the code's own efficiency; for multi-threaded runs it counts every
// thread's time, spinning included.
func reportGFLOPS(b *testing.B, m, n, k int, cpu0 float64) {
	flop := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := cputime.Process().Seconds() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(flop/cpu/1e9, "GFLOP/cpu-s")
	}
}

type benchImpl struct {
	name  string
	fn    func()
	setup func() // before timing, may be nil
}

// benchPeer is a further Sgemm implementation to compare with.
type benchPeer struct {
	name  string
	setup func()
	sgemm func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

// benchPeers are registered by build-tagged files (openblas_bench_test.go).
var benchPeers []benchPeer

// BenchmarkSgemm runs, for each shape, gonum's Sgemm (which itself uses
// GOMAXPROCS goroutines), ours on one goroutine, and ours split over 2
// workers, and ours with A packed ahead (PackedA, as for convolution weights)
// on 1 and 2 workers, side by side in one process; with the openblas build tag also
// OpenBLAS through gonum.org/v1/netlib.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		if testing.Short() && s.m*s.n*s.k > 1<<28 {
			continue
		}
		a, bm, c := benchOperands(s.m, s.n, s.k)
		pa := PackA(blas.NoTrans, s.m, s.k, a, s.k)
		impls := []benchImpl{
			{name: "gonum", fn: func() {
				blas32.Implementation().Sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n)
			}},
			{name: "ours-1", fn: func() {
				Sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n)
			}},
			{name: "ours-2", fn: func() {
				SgemmParallel(2, blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n)
			}},
			{name: "packedA-1", fn: func() { pa.Sgemm(blas.NoTrans, s.n, 1, bm, s.n, 0, c, s.n) }},
			{name: "packedA-2", fn: func() { pa.SgemmParallel(2, blas.NoTrans, s.n, 1, bm, s.n, 0, c, s.n) }},
		}
		for _, peer := range benchPeers {
			impls = append(impls, benchImpl{peer.name, func() {
				peer.sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n)
			}, peer.setup})
		}
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s/%s", s.name, im.name), func(b *testing.B) {
				if im.setup != nil {
					im.setup()
				}
				b.ReportAllocs()
				cpu0 := cputime.Process().Seconds()
				for b.Loop() {
					im.fn()
				}
				reportGFLOPS(b, s.m, s.n, s.k, cpu0)
			})
		}
	}
}
