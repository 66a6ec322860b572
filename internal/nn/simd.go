package nn

import "math"

// Vector kernels of the engine: a 3×3 depthwise convolution over a padded
// plane and the bias/residual/clamp epilogue of a GEMM. On amd64 with
// AVX2+FMA they run as assembly (simd_amd64.s); elsewhere, and with the
// purego build tag, as the plain Go below.

// negZero is the identity of float32 addition (x + -0 == x for every x,
// -0 included), used as the bias when there is none.
var negZero = float32(math.Copysign(0, -1))

var (
	negInf = float32(math.Inf(-1))
	posInf = float32(math.Inf(1))
)

// clampBounds returns the bounds of an activation that is a clamp (none,
// Relu, Clip) and true, or false for any other activation.
func (a act) clampBounds() (lo, hi float32, ok bool) {
	switch a.kind {
	case actNone:
		return negInf, posInf, true
	case actRelu:
		return 0, posInf, true
	case actClip:
		return a.a, a.b, true
	}
	return 0, 0, false
}

// biasClip sets x[i] = clamp(x[i] + bias + sum[i], lo, hi) (sum may be nil),
// where clamp keeps NaN, as the Go comparisons v < lo, v > hi do.
func biasClip(x, sum []float32, bias, lo, hi float32) {
	if len(x) == 0 {
		return
	}
	if sum != nil {
		sum = sum[:len(x)]
	}
	if haveAVX2 {
		var sp *float32
		if sum != nil {
			sp = &sum[0]
		}
		biasClipAVX2(&x[0], sp, len(x), bias, lo, hi)
		return
	}
	biasClipGo(x, sum, bias, lo, hi)
}

func biasClipGo(x, sum []float32, bias, lo, hi float32) {
	for i, v := range x {
		v += bias
		if sum != nil {
			v += sum[i]
		}
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		x[i] = v
	}
}

// dwRows computes oh rows of ow outputs of a 3×3 depthwise convolution:
// dst[y*ds+x] = clamp(bias + Σ_t w[t]·taps[t][y*step+x], lo, hi) (clamp as
// in biasClip). Every tap must hold (oh-1)*step+ow values.
func dwRows(dst []float32, ds, ow, oh int, taps *[9][]float32, step int, w *[9]float32, bias, lo, hi float32) {
	if ow <= 0 || oh <= 0 {
		return
	}
	dst = dst[:(oh-1)*ds+ow]
	for _, tp := range taps {
		_ = tp[(oh-1)*step+ow-1]
	}
	if haveAVX2 {
		var ptr [9]*float32
		for t, tp := range taps {
			ptr[t] = &tp[0]
		}
		dw3x3AVX2(&dst[0], ow, oh, &ptr, 4*step, 4*ds, w, bias, lo, hi)
		return
	}
	dwRowsGo(dst, ds, ow, oh, taps, step, w, bias, lo, hi)
}

func dwRowsGo(dst []float32, ds, ow, oh int, taps *[9][]float32, step int, w *[9]float32, bias, lo, hi float32) {
	for y := 0; y < oh; y++ {
		d := dst[y*ds : y*ds+ow]
		for x := range d {
			d[x] = bias
		}
		for t, tp := range taps {
			s := tp[y*step:][:ow]
			wv := w[t]
			for x := range d {
				d[x] += wv * s[x]
			}
		}
		biasClipGo(d, nil, negZero, lo, hi)
	}
}

// deinterleave sets ev[i] = src[2i] and od[i] = src[2i+1] for every i where
// both sides exist.
func deinterleave(ev, od, src []float32) {
	n := min(len(src)/2, len(ev), len(od))
	i := 0
	if haveAVX2 && n >= 8 {
		i = n &^ 7
		deint2AVX2(&ev[0], &od[0], &src[0], i)
	}
	for ; i < n; i++ {
		ev[i], od[i] = src[2*i], src[2*i+1]
	}
	for i := n; i < len(ev) && 2*i < len(src); i++ {
		ev[i] = src[2*i]
	}
	for i := n; i < len(od) && 2*i+1 < len(src); i++ {
		od[i] = src[2*i+1]
	}
}
