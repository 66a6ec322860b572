//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

// haveAVX2 selects the AVX2+FMA kernels of simd_amd64.s.
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dw3x3AVX2 is the assembly form of dwRows for nine taps.
//
//go:noescape
func dw3x3AVX2(dst *float32, ow, oh int, taps *[9]*float32, step, dstep int, w *[9]float32, bias, lo, hi float32)

// biasClipAVX2 is the assembly form of biasClip.
//
//go:noescape
func biasClipAVX2(dst, sum *float32, n int, bias, lo, hi float32)

// deint2AVX2 is the assembly form of deinterleave for a multiple of 8.
//
//go:noescape
func deint2AVX2(ev, od, src *float32, n int)
