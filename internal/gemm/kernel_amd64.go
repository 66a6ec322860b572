//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

func avx512Set() *kernelSet {
	ks := &kernelSet{name: "avx512", mr: 12, nr: 32, vec: 16, mc: 384, kc: 256, nc: 3072}
	ks.kern = make([][]kernFunc, ks.mr+1)
	for mr := 1; mr <= ks.mr; mr++ {
		ks.kern[mr] = kernelsAVX512[mr][:]
	}
	return ks
}

func avx2Set() *kernelSet {
	ks := &kernelSet{name: "avx2", mr: 6, nr: 16, vec: 8, mc: 192, kc: 256, nc: 3072}
	ks.kern = make([][]kernFunc, ks.mr+1)
	for mr := 1; mr <= ks.mr; mr++ {
		ks.kern[mr] = kernelsAVX2[mr][:]
	}
	return ks
}

// availableSets lists the kernel sets this CPU can run, fastest first.
func availableSets() []*kernelSet {
	var s []*kernelSet
	if cpu.X86.HasAVX512F {
		s = append(s, avx512Set())
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		s = append(s, avx2Set())
	}
	return append(s, goKernels)
}
