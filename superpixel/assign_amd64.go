//go:build amd64 && !purego

package superpixel

import "golang.org/x/sys/cpu"

var useSIMD = cpu.X86.HasAVX2

// assignRowAVX is assignRowGo on eight pixels at a time; n must be a
// multiple of 8.
//
//go:noescape
func assignRowAVX(l, a, b *int16, d *float32, lab *int32, n int, p *kparams)

func assignRowSIMD(l, a, b []int16, d []float32, lab []int32, p *kparams) {
	n := len(d)
	if n == 0 {
		return
	}
	_, _, _, _ = l[n-1], a[n-1], b[n-1], lab[n-1]
	assignRowAVX(&l[0], &a[0], &b[0], &d[0], &lab[0], n, p)
}
