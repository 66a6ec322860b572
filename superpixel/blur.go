package superpixel

import "math"

// gaussianKernel returns the normalised 1-D Gaussian of standard deviation
// sigma truncated at 4σ, as scipy.ndimage.gaussian_filter (and so
// scikit-image's gaussian) builds it.
func gaussianKernel(sigma float64) []float32 {
	radius := int(4*sigma + 0.5)
	k := make([]float64, 2*radius+1)
	sum := 0.0
	for i := range k {
		x := float64(i - radius)
		k[i] = math.Exp(-0.5 * x * x / (sigma * sigma))
		sum += k[i]
	}
	out := make([]float32, len(k))
	for i := range k {
		out[i] = float32(k[i] / sum)
	}
	return out
}

// reflect maps i into [0, n) by half-sample symmetric reflection
// (d c b a | a b c d | d c b a), scipy's "reflect" mode.
func reflect(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * n
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - 1 - i
	}
	return i
}

// gaussianPlane smooths the w×h plane p in place (tmp is scratch of the
// same size), separably, rows then columns, in row bands.
func gaussianPlane(p, tmp []float32, w, h int, sigma float64, cr *crew) {
	k := gaussianKernel(sigma)
	r := len(k) / 2
	cr.bands(h, func(_, y0, y1 int) {
		line := make([]float32, w+2*r)
		for y := y0; y < y1; y++ {
			src := p[y*w : (y+1)*w]
			for i := range line {
				line[i] = src[reflect(i-r, w)]
			}
			dst := tmp[y*w : (y+1)*w]
			for x := range dst {
				var s float32
				for j, kv := range k {
					s += float32(kv * line[x+j])
				}
				dst[x] = s
			}
		}
	})
	cr.bands(h, func(_, y0, y1 int) {
		for y := y0; y < y1; y++ {
			dst := p[y*w : (y+1)*w]
			clear(dst)
			for j, kv := range k {
				src := tmp[reflect(y+j-r, h)*w:][:w]
				for x := range dst {
					dst[x] += float32(kv * src[x])
				}
			}
		}
	})
}

// smoothLab smooths a fixed-point Lab plane through the float32 scratch
// planes f and tmp.
func smoothLab(p []int16, f, tmp []float32, w, h int, sigma float64, cr *crew) {
	for i, v := range p {
		f[i] = float32(v)
	}
	gaussianPlane(f, tmp, w, h, sigma, cr)
	for i, v := range f {
		p[i] = fixLab(v)
	}
}
