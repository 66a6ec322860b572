//go:build !amd64 || purego

package superpixel

const useSIMD = false

func assignRowSIMD(l, a, b []int16, d []float32, lab []int32, p *kparams) {
	assignRowGo(l, a, b, d, lab, p)
}
