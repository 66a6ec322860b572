package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}

// call is one Sgemm invocation; the matrices are generated from its fields.
type call struct {
	tA, tB        blas.Transpose
	m, n, k       int
	alpha, beta   float32
	lda, ldb, ldc int // 0 means tight
}

func (c call) String() string {
	return fmt.Sprintf("%c%c m=%d n=%d k=%d alpha=%g beta=%g ld=%d,%d,%d",
		c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.beta, c.lda, c.ldb, c.ldc)
}

// operands builds A, B and C for c (with NaN padding past the logical
// columns so that reading outside the matrix shows up in the result) and
// returns them with the effective leading dimensions.
func (c call) operands(rng *rand.Rand) (a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
	ar, ac := c.m, c.k
	if c.tA != blas.NoTrans {
		ar, ac = c.k, c.m
	}
	br, bc := c.k, c.n
	if c.tB != blas.NoTrans {
		br, bc = c.n, c.k
	}
	lda = max(1, ac) + c.lda
	ldb = max(1, bc) + c.ldb
	ldc = max(1, c.n) + c.ldc
	a = fill(rng, ar, ac, lda)
	b = fill(rng, br, bc, ldb)
	cm = fill(rng, c.m, c.n, ldc)
	return
}

// fill returns a rows×cols matrix with stride ld; padding is NaN and the
// slice ends right after the last element, as tight as gonum allows.
func fill(rng *rand.Rand, rows, cols, ld int) []float32 {
	if rows == 0 {
		return make([]float32, 0)
	}
	s := make([]float32, (rows-1)*ld+cols)
	for i := range s {
		if i%ld < cols {
			s[i] = float32(rng.NormFloat64())
		} else {
			s[i] = float32(math.NaN())
		}
	}
	return s
}

// reference computes the product in float64 and also returns, per element,
// the sum of magnitudes of its terms (for the rounding tolerance).
func reference(c call, a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) (want, mag []float64) {
	m, n, k := c.m, c.n, c.k
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	// Dense float64 copies of op(A) (m×k) and op(B) (k×n).
	opA := make([]float64, m*k)
	opB := make([]float64, k*n)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			if c.tA != blas.NoTrans {
				opA[i*k+p] = float64(a[p*lda+i])
			} else {
				opA[i*k+p] = float64(a[i*lda+p])
			}
		}
	}
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			if c.tB != blas.NoTrans {
				opB[p*n+j] = float64(b[j*ldb+p])
			} else {
				opB[p*n+j] = float64(b[p*ldb+j])
			}
		}
	}
	alpha, beta := float64(c.alpha), float64(c.beta)
	for i := 0; i < m; i++ {
		w := want[i*n : i*n+n]
		g := mag[i*n : i*n+n]
		if alpha != 0 {
			for p := 0; p < k; p++ {
				aip := opA[i*k+p]
				for j, bv := range opB[p*n : p*n+n] {
					t := aip * bv
					w[j] += t
					g[j] += math.Abs(t)
				}
			}
		}
		for j := range w {
			w[j] *= alpha
			g[j] *= math.Abs(alpha)
			if beta != 0 {
				cv := beta * float64(cm[i*ldc+j])
				w[j] += cv
				g[j] += math.Abs(cv)
			}
		}
	}
	return want, mag
}

// check runs fn on fresh operands for c and compares with the reference,
// including that padding of C is untouched.
func check(t *testing.T, rng *rand.Rand, c call, fn func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int)) {
	t.Helper()
	a, lda, b, ldb, cm, ldc := c.operands(rng)
	if c.beta == 0 && len(cm) > 0 {
		// beta == 0 must overwrite, never read, C.
		for i := range cm {
			if i%ldc < c.n {
				cm[i] = float32(math.NaN())
			}
		}
	}
	want, mag := reference(c, a, lda, b, ldb, cm, ldc)
	before := append([]float32(nil), cm...)
	fn(a, lda, b, ldb, cm, ldc)
	const eps = 1.0 / (1 << 23)
	for i := 0; i < c.m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(cm); j++ {
			got := cm[i*ldc+j]
			if j >= c.n {
				if !math.IsNaN(float64(got)) {
					t.Fatalf("%v: padding C[%d][%d] changed to %g", c, i, j, got)
				}
				continue
			}
			w, m := want[i*c.n+j], mag[i*c.n+j]
			tol := eps*float64(c.k+4)*m + 1e-30
			if math.IsNaN(float64(got)) || math.Abs(float64(got)-w) > tol {
				t.Fatalf("%v: C[%d][%d] = %g, want %g (tol %g, before %g)", c, i, j, got, w, tol, before[i*ldc+j])
			}
		}
	}
}

// kernelSetsUnderTest returns every kernel set this CPU runs, each in every
// B handling mode.
func kernelSetsUnderTest() []*kernelSet {
	var sets []*kernelSet
	for _, ks := range availableSets() {
		for mode, name := range []string{"auto", "packB", "directB"} {
			v := *ks
			v.bMode = mode
			v.name += "-" + name
			sets = append(sets, &v)
		}
	}
	return sets
}

func runWith(ks *kernelSet) func(c call) func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
	return func(c call) func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
		return func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
			var p problem
			if !p.init(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc) {
				return
			}
			ks.run(&p, 0, c.m, 0, c.n, new(buffers))
		}
	}
}

// shapes are chosen around every kernel set's MR, NR and vector width, and
// around the blocking sizes.
func testCalls(rng *rand.Rand, short bool) []call {
	var calls []call
	dims := []int{0, 1, 2, 3, 5, 6, 7, 8, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 64, 65}
	ks := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31}
	scalars := [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0.5}, {0, 0}, {2.5, -1}, {1, 0.5}, {0, 1}}
	for _, m := range dims {
		for _, n := range dims {
			k := ks[rng.IntN(len(ks))]
			s := scalars[rng.IntN(len(scalars))]
			calls = append(calls, call{
				tA: transposes[rng.IntN(3)], tB: transposes[rng.IntN(3)],
				m: m, n: n, k: k, alpha: s[0], beta: s[1],
				lda: rng.IntN(3), ldb: rng.IntN(3), ldc: rng.IntN(3),
			})
		}
	}
	// Every transpose combination and scalar case on an awkward shape.
	for _, tA := range transposes {
		for _, tB := range transposes {
			for _, s := range scalars {
				calls = append(calls, call{tA: tA, tB: tB, m: 29, n: 37, k: 19, alpha: s[0], beta: s[1], lda: 3, ldb: 1, ldc: 5})
			}
		}
	}
	// Shapes that cross the MC, KC and NC block boundaries.
	big := []call{
		{m: 400, n: 70, k: 300, alpha: 1, beta: 0},    // several MC and KC blocks
		{m: 97, n: 3100, k: 30, alpha: 1, beta: 1},    // several NC blocks
		{m: 13, n: 33, k: 777, alpha: -1, beta: 0.25}, // several KC blocks
		{m: 64, n: 49, k: 600, alpha: 1, beta: 1},
		{m: 390, n: 3080, k: 20, alpha: 0.5, beta: 0}, // MC and NC
	}
	if short {
		big = big[:3]
	}
	for _, c := range big {
		for _, tA := range transposes[:2] {
			for _, tB := range transposes[:2] {
				c.tA, c.tB = tA, tB
				c.lda = 1
				calls = append(calls, c)
			}
		}
	}
	return calls
}

func TestKernelSets(t *testing.T) {
	for _, ks := range kernelSetsUnderTest() {
		t.Run(ks.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			run := runWith(ks)
			for _, c := range testCalls(rng, testing.Short()) {
				check(t, rng, c, run(c))
			}
		})
	}
}

func TestSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range testCalls(rng, true) {
		check(t, rng, c, func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
			Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
		})
	}
}

// TestMatchesGonum checks agreement with gonum on ordinary inputs.
func TestMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range testCalls(rng, true) {
		if c.alpha == 0 {
			continue
		}
		a, lda, b, ldb, cm, ldc := c.operands(rng)
		ours := append([]float32(nil), cm...)
		Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, ours, ldc)
		blas32.Implementation().Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
		for i := range cm {
			if i%ldc >= c.n {
				continue
			}
			require.InDelta(t, cm[i], ours[i], 1e-4*float64(c.k+1), "%v index %d", c, i)
		}
	}
}

// TestPanicsLikeGonum checks that invalid arguments panic with the same
// message as gonum, and valid edge cases do not panic.
func TestPanicsLikeGonum(t *testing.T) {
	s := make([]float32, 100)
	type args struct {
		tA, tB        blas.Transpose
		m, n, k       int
		a             []float32
		lda           int
		b             []float32
		ldb           int
		c             []float32
		ldc           int
		wantPanicText string
	}
	N, T := blas.NoTrans, blas.Trans
	cases := []args{
		{tA: 'x', tB: N, m: 1, n: 1, k: 1, a: s, lda: 1, b: s, ldb: 1, c: s, ldc: 1, wantPanicText: badTranspose},
		{tA: N, tB: 0, m: 1, n: 1, k: 1, a: s, lda: 1, b: s, ldb: 1, c: s, ldc: 1, wantPanicText: badTranspose},
		{tA: N, tB: N, m: -1, n: 1, k: 1, a: s, lda: 1, b: s, ldb: 1, c: s, ldc: 1, wantPanicText: mLT0},
		{tA: N, tB: N, m: 1, n: -1, k: 1, a: s, lda: 1, b: s, ldb: 1, c: s, ldc: 1, wantPanicText: nLT0},
		{tA: N, tB: N, m: 1, n: 1, k: -1, a: s, lda: 1, b: s, ldb: 1, c: s, ldc: 1, wantPanicText: kLT0},
		{tA: N, tB: N, m: 2, n: 3, k: 4, a: s, lda: 3, b: s, ldb: 3, c: s, ldc: 3, wantPanicText: badLdA},
		{tA: T, tB: N, m: 2, n: 3, k: 4, a: s, lda: 1, b: s, ldb: 3, c: s, ldc: 3, wantPanicText: badLdA},
		{tA: N, tB: N, m: 2, n: 3, k: 4, a: s, lda: 4, b: s, ldb: 2, c: s, ldc: 3, wantPanicText: badLdB},
		{tA: N, tB: T, m: 2, n: 3, k: 4, a: s, lda: 4, b: s, ldb: 3, c: s, ldc: 3, wantPanicText: badLdB},
		{tA: N, tB: N, m: 2, n: 3, k: 4, a: s, lda: 4, b: s, ldb: 3, c: s, ldc: 2, wantPanicText: badLdC},
		{tA: N, tB: N, m: 0, n: 0, k: 0, a: nil, lda: 0, b: nil, ldb: 1, c: nil, ldc: 1, wantPanicText: badLdA},
		{tA: N, tB: N, m: 2, n: 3, k: 4, a: s[:7], lda: 4, b: s, ldb: 3, c: s, ldc: 3, wantPanicText: shortA},
		{tA: T, tB: N, m: 2, n: 3, k: 4, a: s[:7], lda: 2, b: s, ldb: 3, c: s, ldc: 3, wantPanicText: shortA},
		{tA: N, tB: N, m: 2, n: 3, k: 4, a: s, lda: 4, b: s[:11], ldb: 3, c: s, ldc: 3, wantPanicText: shortB},
		{tA: N, tB: T, m: 2, n: 3, k: 4, a: s, lda: 4, b: s[:11], ldb: 4, c: s, ldc: 3, wantPanicText: shortB},
		{tA: N, tB: N, m: 2, n: 3, k: 4, a: s, lda: 4, b: s, ldb: 3, c: s[:5], ldc: 3, wantPanicText: shortC},
		// Valid: empty products, k == 0 with nil A and B.
		{tA: N, tB: N, m: 0, n: 3, k: 4, a: nil, lda: 4, b: nil, ldb: 3, c: nil, ldc: 3},
		{tA: N, tB: N, m: 2, n: 3, k: 0, a: s[:1], lda: 1, b: nil, ldb: 3, c: s[:6], ldc: 3},
		{tA: T, tB: T, m: 2, n: 3, k: 0, a: nil, lda: 2, b: s[:2], ldb: 1, c: s[:6], ldc: 3},
		{tA: N, tB: N, m: 2, n: 3, k: 4, a: s[:8], lda: 4, b: s[:12], ldb: 3, c: s[:6], ldc: 3},
	}
	for _, tc := range cases {
		ours := func() {
			Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 1, tc.c, tc.ldc)
		}
		theirs := func() {
			blas32.Implementation().Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 1, tc.c, tc.ldc)
		}
		if tc.wantPanicText == "" {
			require.NotPanics(t, ours, "%+v", tc)
			require.NotPanics(t, theirs, "%+v", tc)
			continue
		}
		require.PanicsWithValue(t, tc.wantPanicText, ours, "%+v", tc)
		require.PanicsWithValue(t, tc.wantPanicText, theirs, "%+v", tc)
	}
}
