package gemm

import "unsafe"

// unsafeSlice views n floats starting at p. The driver only passes pointers
// into slices it has checked to hold at least n elements from p.
func unsafeSlice(p *float32, n int) []float32 {
	return unsafe.Slice(p, n)
}
