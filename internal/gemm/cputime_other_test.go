//go:build !unix

package gemm

func processCPUSeconds() float64 { return 0 }
