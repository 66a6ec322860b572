//go:build !amd64 || purego

package nn

const haveAVX2 = false

func dw3x3AVX2(dst *float32, ow, oh int, taps *[9]*float32, step, dstep int, w *[9]float32, bias, lo, hi float32) {
	panic("unreachable")
}

func biasClipAVX2(dst, sum *float32, n int, bias, lo, hi float32) { panic("unreachable") }

func deint2AVX2(ev, od, src *float32, n int) { panic("unreachable") }
