// Package gemm is a pure-Go (no cgo) single-precision matrix multiply for the
// CPU inference engine.
//
// [Sgemm] is a drop-in replacement for gonum's
// blas32.Implementation().Sgemm: row-major storage, the same argument order,
// the same transpose flags (gonum.org/v1/gonum/blas) and the same argument
// checks. It computes
//
//	C = alpha * op(A) * op(B) + beta * C
//
// where op(X) is X or Xᵀ, op(A) is m×k, op(B) is k×n and C is m×n.
// [SgemmParallel] does the same with the work split across goroutines so that
// one large product uses every core.
//
// # Method
//
// The implementation follows the BLIS design: the operands are cut into
// KC-deep slices, op(B) is packed into NR-wide column panels (kept in L3/L2)
// and op(A) into MR-high row panels (kept in L2), and an MR×NR register
// micro-kernel written in Go assembly walks the packed panels. Three
// micro-kernels exist and the fastest one the CPU supports is picked at start
// up with golang.org/x/sys/cpu:
//
//   - AVX-512F: 12×32 tile, 24 zmm accumulators;
//   - AVX2+FMA: 6×16 tile, 12 ymm accumulators;
//   - portable Go: 4×8 tile, for other CPUs and architectures.
//
// Edge tiles (m not a multiple of MR, n not a multiple of NR) run narrower
// kernel variants or go through a small scratch tile, so every output element
// is computed exactly once with the same k-order as the interior.
//
// # Semantics and checks
//
// Arguments are validated like gonum's: a bad transpose flag, a negative
// dimension, a leading dimension smaller than the stored row, or a slice too
// short for the described matrix panics with gonum's message (for example
// "blas: insufficient length of a"). The package is internal and these are
// programming errors of the caller, exactly as with gonum; valid input never
// panics.
//
// Like the reference BLAS, when alpha == 0 or k == 0 the function only scales
// C by beta and does not read A or B; when beta == 0, C is not read, so NaN
// or Inf values already in C do not propagate. Results equal gonum's up to
// float32 rounding (the summation order differs); accumulation is in float32
// with fused multiply-add.
//
// # Allocation
//
// Packing buffers come from a sync.Pool, so steady-state calls allocate
// nothing. [SgemmParallel] hands work to a small set of long-lived helper
// goroutines (started on first use, at most one fewer than the largest worker
// count asked for) and does not allocate in steady state either.
package gemm
