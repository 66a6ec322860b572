package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// TestBiasClip checks biasClip (assembly where the CPU has AVX2) against a
// plain loop on odd lengths, with and without a residual, NaN included.
func TestBiasClip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 3, 7, 8, 9, 15, 31, 32, 33, 63, 100, 257} {
		for _, withSum := range []bool{false, true} {
			for _, b := range [][2]float32{{negInf, posInf}, {0, posInf}, {0, 6}, {-0.5, 0.25}} {
				x := randSlice(r, n)
				if n > 2 {
					x[n/2] = float32(math.NaN())
				}
				var sum []float32
				if withSum {
					sum = randSlice(r, n)
				}
				bias := float32(r.NormFloat64())
				want := append([]float32(nil), x...)
				for i := range want {
					v := want[i] + bias
					if sum != nil {
						v += sum[i]
					}
					if v < b[0] {
						v = b[0]
					}
					if v > b[1] {
						v = b[1]
					}
					want[i] = v
				}
				biasClip(x, sum, bias, b[0], b[1])
				for i := range x {
					if !(x[i] == want[i] || math.IsNaN(float64(x[i])) && math.IsNaN(float64(want[i]))) {
						t.Fatalf("n=%d sum=%v bounds=%v: [%d] = %v, want %v", n, withSum, b, i, x[i], want[i])
					}
				}
			}
		}
	}
	// adding negZero is the identity, -0 included
	x := []float32{float32(math.Copysign(0, -1)), 0, 1}
	biasClip(x, nil, negZero, negInf, posInf)
	if !math.Signbit(float64(x[0])) || math.Signbit(float64(x[1])) {
		t.Fatalf("signed zeros changed: %v", x)
	}
}

// TestDepthwiseFastPath compares the padded-plane 3×3 depthwise kernel
// (dwRows, assembly where available) with the general direct loop on odd
// sizes, both strides, asymmetric pads, fused residuals and activations.
func TestDepthwiseFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	acts := []act{{}, {kind: actRelu}, {kind: actClip, a: 0, b: 6}, {kind: actHardSwish}}
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {5, 7}, {9, 17}, {13, 33}, {8, 16}, {24, 41}} {
		for _, st := range [][2]int{{1, 1}, {2, 2}, {1, 2}, {2, 1}} {
			for _, pad := range [][4]int{{1, 1, 1, 1}, {0, 0, 1, 1}, {0, 0, 0, 0}, {2, 0, 0, 3}, {1, 3, 0, 1}, {0, 2, 2, 2}} {
				H, W := sz[0], sz[1]
				oh := (H+pad[0]+pad[2]-3)/st[0] + 1
				ow := (W+pad[1]+pad[3]-3)/st[1] + 1
				if oh <= 0 || ow <= 0 {
					continue
				}
				for k, a := range acts {
					withSum := k%2 == 1
					n, c := 2, 3
					base := dwTask{x: randSlice(r, n*c*H*W), w: randSlice(r, c*9), b: randSlice(r, c), c: c, H: H, W: W,
						kh: 3, kw: 3, oh: oh, ow: ow, sh: st[0], sw: st[1], dh: 1, dw: 1, pt: pad[0], pl: pad[1], act: a}
					if withSum {
						base.sum = randSlice(r, n*c*oh*ow)
					}
					want, got := base, base
					want.y = make([]float32, n*c*oh*ow)
					got.y = make([]float32, n*c*oh*ow)
					for i := 0; i < n*c; i++ {
						want.doGeneral(i)
					}
					size := got.setup()
					if !got.fast {
						t.Fatalf("fast path not taken for %v stride %v pads %v", sz, st, pad)
					}
					got.scratch[1] = make([]float32, size)
					for i := 0; i < n*c; i++ {
						got.doW(1, i)
					}
					name := fmt.Sprintf("%dx%d stride %v pads %v act %d sum %v", H, W, st, pad, a.kind, withSum)
					for i := range want.y {
						if d := math.Abs(float64(got.y[i] - want.y[i])); d > 1e-5*(1+math.Abs(float64(want.y[i]))) {
							t.Fatalf("%s: [%d] = %v, want %v", name, i, got.y[i], want.y[i])
						}
					}
				}
			}
		}
	}
}

// TestDwRowsGoMatchesAssembly checks the portable dwRows loop against the
// assembly one on rows whose lengths are not multiples of 8 or 16.
func TestDwRowsGoMatchesAssembly(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2 kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, ow := range []int{1, 5, 8, 13, 16, 23, 40} {
		oh, step := 3, ow+5
		src := randSlice(r, (oh+3)*step)
		var taps [9][]float32
		for k := range taps {
			taps[k] = src[(k/3)*step+k%3:]
		}
		var w [9]float32
		copy(w[:], randSlice(r, 9))
		ds := ow + 3
		want := make([]float32, oh*ds)
		got := make([]float32, oh*ds)
		dwRowsGo(want, ds, ow, oh, &taps, step, &w, 0.5, -1, 1)
		dwRows(got, ds, ow, oh, &taps, step, &w, 0.5, -1, 1)
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-5 {
				t.Fatalf("ow=%d: [%d] = %v, want %v", ow, i, got[i], want[i])
			}
		}
	}
}

// TestDeinterleave checks the even/odd split on odd lengths and unequal
// destinations against a plain loop.
func TestDeinterleave(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 7, 15, 16, 17, 33, 64, 65} {
		for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {5, 3}} {
			src := randSlice(r, n)
			ne, no := (n+1)/2+d[0], n/2+d[1]
			ev, od := make([]float32, ne), make([]float32, no)
			deinterleave(ev, od, src)
			for i := range ev {
				want := float32(0)
				if 2*i < n {
					want = src[2*i]
				}
				if ev[i] != want {
					t.Fatalf("n=%d: ev[%d] = %v, want %v", n, i, ev[i], want)
				}
			}
			for i := range od {
				want := float32(0)
				if 2*i+1 < n {
					want = src[2*i+1]
				}
				if od[i] != want {
					t.Fatalf("n=%d: od[%d] = %v, want %v", n, i, od[i], want)
				}
			}
		}
	}
}

// TestIm2colStride2 checks the deinterleaving stride-2 im2col rows against
// a direct gather on odd sizes and pads.
func TestIm2colStride2(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, sz := range [][2]int{{1, 1}, {5, 7}, {9, 16}, {11, 33}, {4, 300}} {
		for _, pad := range [][2]int{{0, 0}, {1, 1}, {3, 2}} {
			for _, k := range [][2]int{{3, 3}, {7, 7}, {1, 2}} {
				H, W := sz[0], sz[1]
				oh := (H+2*pad[0]-k[0])/2 + 1
				ow := (W+2*pad[1]-k[1])/2 + 1
				if oh <= 0 || ow <= 0 {
					continue
				}
				c := 2
				x := randSlice(r, c*H*W)
				K := c * k[0] * k[1]
				task := im2colTask{x: x, col: make([]float32, K*oh*ow), H: H, W: W, kh: k[0], kw: k[1], oh: oh, ow: ow,
					sh: 2, sw: 2, dh: 1, dw: 1, pt: pad[0], pl: pad[1]}
				for row := 0; row < K; row++ {
					task.do(row)
				}
				for row := 0; row < K; row++ {
					kx, ky, ch := row%k[1], (row/k[1])%k[0], row/(k[0]*k[1])
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							iy, ix := oy*2-pad[0]+ky, ox*2-pad[1]+kx
							want := float32(0)
							if iy >= 0 && iy < H && ix >= 0 && ix < W {
								want = x[(ch*H+iy)*W+ix]
							}
							if got := task.col[(row*oh+oy)*ow+ox]; got != want {
								t.Fatalf("%v pad %v kernel %v: row %d (%d,%d) = %v, want %v", sz, pad, k, row, oy, ox, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestIm2colRows checks im2col against a direct gather for strides 1 and 2,
// dilations, pads that keep the width (the shifted-copy path) and pads that
// do not, with rows filled one per item and in chunks, into a column
// matrix that starts out dirty.
func TestIm2colRows(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sz := range [][2]int{{1, 1}, {3, 3}, {7, 7}, {5, 9}, {14, 14}, {2, 40}} {
		for _, k := range [][2]int{{3, 3}, {1, 1}, {5, 3}, {1, 2}} {
			for _, st := range []int{1, 2} {
				for _, dil := range []int{1, 2} {
					for _, pad := range [][2]int{{dil * (k[0] - 1) / 2, dil * (k[1] - 1) / 2}, {0, 0}, {2, 1}} {
						H, W := sz[0], sz[1]
						oh := (H+2*pad[0]-dil*(k[0]-1)-1)/st + 1
						ow := (W+2*pad[1]-dil*(k[1]-1)-1)/st + 1
						if oh <= 0 || ow <= 0 {
							continue
						}
						c := 3
						x := randSlice(r, c*H*W)
						K := c * k[0] * k[1]
						for _, rows := range []int{0, 2, K} {
							task := im2colTask{x: x, col: make([]float32, K*oh*ow), H: H, W: W, kh: k[0], kw: k[1], oh: oh, ow: ow,
								sh: st, sw: st, dh: dil, dw: dil, pt: pad[0], pl: pad[1], rows: rows, K: K}
							for i := range task.col {
								task.col[i] = 7
							}
							items := K
							if rows > 1 {
								items = (K + rows - 1) / rows
							}
							for i := 0; i < items; i++ {
								task.do(i)
							}
							for row := 0; row < K; row++ {
								kx, ky, ch := row%k[1], (row/k[1])%k[0], row/(k[0]*k[1])
								for oy := 0; oy < oh; oy++ {
									for ox := 0; ox < ow; ox++ {
										iy, ix := oy*st-pad[0]+ky*dil, ox*st-pad[1]+kx*dil
										want := float32(0)
										if iy >= 0 && iy < H && ix >= 0 && ix < W {
											want = x[(ch*H+iy)*W+ix]
										}
										if got := task.col[(row*oh+oy)*ow+ox]; got != want {
											t.Fatalf("%v kernel %v stride %d dilation %d pad %v rows %d: row %d (%d,%d) = %v, want %v",
												sz, k, st, dil, pad, rows, row, oy, ox, got, want)
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
}
