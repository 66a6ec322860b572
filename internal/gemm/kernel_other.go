//go:build !amd64 || purego

package gemm

// availableSets lists the kernel sets this CPU can run, fastest first.
func availableSets() []*kernelSet {
	return []*kernelSet{goKernels}
}
