//go:build amd64 && !purego

package superpixel

import "golang.org/x/sys/cpu"

var (
	useSIMD   = cpu.X86.HasAVX2 && cpu.X86.HasBMI2
	useAVX512 = useSIMD && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
)

// assignRowAVX512 is assignRowGo on sixteen pixels at a time, any n.
//
//go:noescape
func assignRowAVX512(l, a, b *int16, d *float32, lab *int32, n int, p *kparams)

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
	if useAVX512 {
		assignRowAVX512(&l[0], &a[0], &b[0], &d[0], &lab[0], n, p)
		return
	}
	assignRowAVX(&l[0], &a[0], &b[0], &d[0], &lab[0], n&^7, p)
	if m := n &^ 7; m < n {
		q := *p
		q.x0 += float32(m)
		assignRowGo(l[m:n], a[m:n], b[m:n], d[m:n], lab[m:n], &q)
	}
}

//go:noescape
func accumulateRowAVX2(lab *int32, l, a, b *int16, n int, sums *int64, y int)

//go:noescape
func accumulateRowAVX512(lab *int32, l, a, b *int16, n int, sums *int64, y int)

// accumulateRowSIMD reports false when the row does not suit the kernel:
// too long for its int32 lane sums, or without the 7 elements of slack
// past the row that it reads.
func accumulateRowSIMD(lab []int32, l, a, b []int16, sums []int64, y int) bool {
	n := len(lab)
	if useAVX512 && n > 0 && n < 1<<21 && len(l) >= n && len(a) >= n && len(b) >= n {
		accumulateRowAVX512(&lab[0], &l[0], &a[0], &b[0], n, &sums[0], y)
		return true
	}
	if n == 0 || n >= 1<<21 || cap(lab) < n+7 || cap(l) < n+7 || cap(a) < n+7 || cap(b) < n+7 || len(l) < n || len(a) < n || len(b) < n {
		return false
	}
	accumulateRowAVX2(&lab[0], &l[0], &a[0], &b[0], n, &sums[0], y)
	return true
}
