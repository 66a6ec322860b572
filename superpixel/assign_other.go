//go:build !amd64 || purego

package superpixel

const (
	useSIMD   = false
	useAVX512 = false
)

func assignRowSIMD(l, a, b []int16, d []float32, lab []int32, p *kparams) {
	assignRowGo(l, a, b, d, lab, p)
}

func accumulateRowSIMD(lab []int32, l, a, b []int16, sums []int64, y int) bool { return false }
