//go:build amd64 && !purego

package superpixel

import "testing"

// TestAssignKernelsAVX2 runs the kernel test again with AVX-512 off, so the
// AVX2 kernel is checked on machines that have both.
func TestAssignKernelsAVX2(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512: TestAssignKernelsAgree covers AVX2")
	}
	useAVX512 = false
	defer func() { useAVX512 = true }()
	TestAssignKernelsAgree(t)
	TestAccumulateKernelsAgree(t)
	TestQuadrants(t)
}
