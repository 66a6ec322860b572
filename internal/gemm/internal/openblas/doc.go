// Package openblas lets the gemm benchmarks set OpenBLAS's thread count; its
// code builds only with the openblas tag and cgo.
package openblas
