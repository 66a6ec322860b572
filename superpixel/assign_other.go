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

func assignWindowAVX512(l, a, b *float32, d *float32, lab *int32, w, n, rows int, p *kparams, sx *float32) {
	panic("unreachable")
}

func labRowSIMD(t *labLUT, px []uint8, l, a, b []int16, lf, af, bf []float32) bool {
	return false
}

func accumulateVec(ws *workspace, sums []int64, vacc []int32, w, y0, y1 int) bool { return false }
