//go:build amd64 && !purego

package superpixel

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAssignKernelsAVX2 runs kernel tests again with AVX-512 off, so the
// AVX2 kernels and the row-by-row path are checked on machines that have
// both.
func TestAssignKernelsAVX2(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512: TestAssignKernelsAgree covers AVX2")
	}
	useAVX512 = false
	defer func() { useAVX512 = true }()
	TestAssignKernelsAgree(t)
	TestAccumulateKernelsAgree(t)
	TestLabCache(t)
	TestQuadrants(t)
}

// TestAssignWindowAgrees compares the AVX-512 window kernel with the row
// loop it replaces, and that with the portable kernel.
func TestAssignWindowAgrees(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(5, 5))
	w, h := 97, 61
	l, a, b := make([]int16, w*h), make([]int16, w*h), make([]int16, w*h)
	lf, af, bf := make([]float32, w*h), make([]float32, w*h), make([]float32, w*h)
	for i := range l {
		l[i], a[i], b[i] = int16(rng.IntN(6401)), int16(rng.IntN(16001)-8000), int16(rng.IntN(16001)-8000)
		lf[i], af[i], bf[i] = float32(l[i]), float32(a[i]), float32(b[i])
	}
	for trial := range 200 {
		x0, y0 := rng.IntN(w), rng.IntN(h)
		n, rows := 1+rng.IntN(w-x0), 1+rng.IntN(h-y0)
		p := kparams{cl: float32(rng.Float64() * 6400), ca: float32(rng.Float64()*100 - 50), cb: 7.25,
			cx: float32(rng.Float64() * float64(w)), w: float32(rng.Float64() * 3), k: int32(trial),
			x0: float32(x0), cy: float32(rng.Float64() * float64(h)), y0: float32(y0)}
		var ds [3][]float32
		var ls [3][]int32
		for v := range 3 {
			ds[v] = make([]float32, w*h)
			ls[v] = make([]int32, w*h)
			for i := range ds[v] {
				ds[v][i] = float32(i%1000) * 3e4
				ls[v][i] = -1
			}
		}
		ws := &workspace{l: l, a: a, b: b, lf: lf, af: af, bf: bf}
		for v := range 3 {
			ws.dist, ws.lab = ds[v], ls[v]
			switch v {
			case 1:
				useAVX512 = false
			case 2:
				useSIMD = false
			}
			assignWindow(ws, y0*w+x0, w, n, rows, &p, nil)
		}
		useAVX512, useSIMD = true, true
		require.Equal(t, ds[2], ds[0], "trial %d", trial)
		require.Equal(t, ls[2], ls[0], "trial %d", trial)
		require.Equal(t, ds[2], ds[1], "trial %d", trial)
		require.Equal(t, ls[2], ls[1], "trial %d", trial)
	}
}

// TestSameResultOnEveryKernel: a whole segmentation is the same with the
// AVX-512, the AVX2 and the portable kernels.
func TestSameResultOnEveryKernel(t *testing.T) {
	img := makeScene(3, 320, 240).img
	var want *Segmentation
	avx512, simd := useAVX512, useSIMD
	defer func() { useAVX512, useSIMD = avx512, simd }()
	for v := range 3 {
		switch v {
		case 1:
			useAVX512 = false
		case 2:
			useAVX512, useSIMD = false, false
		}
		seg, err := SLIC{Segments: 150, Sigma: 0.5}.Segment(context.Background(), img)
		require.NoError(t, err)
		if want == nil {
			want = seg
			continue
		}
		require.Equal(t, want.Labels, seg.Labels, "kernel set %d", v)
		require.Equal(t, want.Segments, seg.Segments, "kernel set %d", v)
	}
}

// TestLabRowAVX512 compares the AVX-512 colour conversion with
// labLUT.linear, on every grey and primary ramp and on random rows of
// every length up to 40.
func TestLabRowAVX512(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512")
	}
	lut := labTables()
	rng := rand.New(rand.NewPCG(9, 9))
	check := func(px []uint8) {
		n := len(px) / 4
		l, a, b := make([]int16, n+3), make([]int16, n+3), make([]int16, n+3)
		lf, af, bf := make([]float32, n+3), make([]float32, n+3), make([]float32, n+3)
		for i := range l {
			l[i], a[i], b[i] = 77, 77, 77
			lf[i], af[i], bf[i] = 77, 77, 77
		}
		require.True(t, labRowSIMD(lut, px, l[:n], a[:n], b[:n], lf[:n], af[:n], bf[:n]))
		for i := range n {
			L, A, B := lut.linear(lut.lin[px[4*i]], lut.lin[px[4*i+1]], lut.lin[px[4*i+2]])
			require.Equal(t, [3]int16{L, A, B}, [3]int16{l[i], a[i], b[i]}, "pixel %d %v", i, px[4*i:4*i+3])
			require.Equal(t, [3]float32{float32(L), float32(A), float32(B)}, [3]float32{lf[i], af[i], bf[i]}, "pixel %d %v", i, px[4*i:4*i+3])
		}
		for i := n; i < n+3; i++ {
			require.Equal(t, [3]int16{77, 77, 77}, [3]int16{l[i], a[i], b[i]}, "wrote past the row")
			require.Equal(t, [3]float32{77, 77, 77}, [3]float32{lf[i], af[i], bf[i]}, "wrote past the row")
		}
	}
	for c := range 4 {
		px := make([]uint8, 4*256)
		for v := range 256 {
			for ch := range 3 {
				if c == 3 || c == ch {
					px[4*v+ch] = uint8(v)
				}
			}
		}
		check(px)
	}
	for n := 1; n <= 40; n++ {
		for range 20 {
			px := make([]uint8, 4*n)
			for i := range px {
				px[i] = uint8(rng.IntN(256))
			}
			check(px)
		}
	}
}

// TestAccumulateVecAgrees compares the AVX-512 update, with its lane sums
// reduced every few rows, with the portable one, on rows wide enough to
// force several reductions per band.
func TestAccumulateVecAgrees(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(11, 11))
	for _, size := range [][2]int{{37, 5}, {300, 40}, {100000, 9}} {
		w, h := size[0], size[1]
		n := w * h
		ws := &workspace{centers: make([]center, 7), vacc: make([][]int32, 1)}
		ws.l, ws.a, ws.b = make([]int16, n, n+slack), make([]int16, n, n+slack), make([]int16, n, n+slack)
		ws.lab, ws.dist, ws.inf = make([]int32, n, n+slack), make([]float32, n), make([]float32, w)
		k := int32(0)
		for i := range n {
			if rng.IntN(9) == 0 {
				k = int32(rng.IntN(7))
			}
			ws.lab[i] = k
			ws.l[i], ws.a[i], ws.b[i] = 6400, -8192, int16(rng.IntN(16385)-8192)
		}
		got, want := make([]int64, 42), make([]int64, 42)
		ws.accumulate(got, w, 1, h, 0)
		useAVX512 = false
		ws.accumulate(want, w, 1, h, 0)
		useAVX512 = true
		require.Equal(t, want, got, "%dx%d", w, h)
	}
}
