package gemm_test

import (
	"fmt"

	"github.com/labelfree/labelfree/internal/gemm"
	"gonum.org/v1/gonum/blas"
)

// A 1×1 convolution with 2 output channels over a 2×3 image with 3 input
// channels is one GEMM: weights (2×3) times the image as a 3×6 matrix.
func ExampleSgemm() {
	w := []float32{
		1, 0, 0, // output channel 0 copies input channel 0
		0, 1, 1, // output channel 1 sums channels 1 and 2
	}
	img := []float32{
		1, 2, 3, 4, 5, 6, // channel 0
		10, 20, 30, 40, 50, 60, // channel 1
		100, 200, 300, 400, 500, 600, // channel 2
	}
	out := make([]float32, 2*6)
	gemm.Sgemm(blas.NoTrans, blas.NoTrans, 2, 6, 3, 1, w, 3, img, 6, 0, out, 6)
	fmt.Println(out[:6])
	fmt.Println(out[6:])
	// Output:
	// [1 2 3 4 5 6]
	// [110 220 330 440 550 660]
}

// SgemmParallel splits one product over several goroutines; the result is
// bitwise the same as Sgemm's.
func ExampleSgemmParallel() {
	const m, n, k = 256, 512, 64
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	for i := range a {
		a[i] = 1
	}
	for i := range b {
		b[i] = 0.5
	}
	c := make([]float32, m*n)
	gemm.SgemmParallel(2, blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
	fmt.Println(c[0], c[m*n-1])
	// Output:
	// 32 32
}

// Convolution weights are constant, so pack them once and reuse them for
// every image; the product is bitwise the same as Sgemm's.
func ExamplePackA() {
	const cout, cin, hw = 4, 3, 5
	w := make([]float32, cout*cin)
	for i := range w {
		w[i] = float32(i % 3)
	}
	weights := gemm.PackA(blas.NoTrans, cout, cin, w, cin)
	for img := 1; img <= 2; img++ {
		x := make([]float32, cin*hw)
		for i := range x {
			x[i] = float32(img)
		}
		y := make([]float32, cout*hw)
		weights.Sgemm(blas.NoTrans, hw, 1, x, hw, 0, y, hw)
		fmt.Println(y[:hw])
	}
	// Output:
	// [3 3 3 3 3]
	// [6 6 6 6 6]
}
