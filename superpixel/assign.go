package superpixel

// kparams is one cluster centre as the assignment kernels see it. The
// layout (eight 4-byte fields) is read by assign_amd64.s.
type kparams struct {
	cl, ca, cb float32 // centre colour
	cx         float32 // centre x
	w          float32 // spatial weight (m/S)²
	wdy2       float32 // w·(y−cy)² for the current row
	k          int32   // cluster index
	x0         float32 // x of the first pixel of the row segment
}

// assignRowGo is the portable assignment kernel: for each pixel i of a row
// segment it computes SLIC's distance to the centre,
//
//	D = (ΔL² + Δa² + Δb²) + (m/S)²·(Δx² + Δy²),
//
// and takes the pixel when D is below its best distance so far. The
// explicit conversions pin the rounding of every operation (no fused
// multiply-add), so the SIMD kernel can match it bit for bit. Colours are
// fixed-point Lab (see labScale).
func assignRowGo(l, a, b []int16, d []float32, lab []int32, p *kparams) {
	n := len(d)
	l, a, b, lab = l[:n], a[:n], b[:n], lab[:n]
	cl, ca, cb, cx, w, wdy2, k := p.cl, p.ca, p.cb, p.cx, p.w, p.wdy2, p.k
	x := p.x0
	for i := range d {
		dl := float32(l[i]) - cl
		da := float32(a[i]) - ca
		db := float32(b[i]) - cb
		dc := float32(dl * dl)
		dc += float32(da * da)
		dc += float32(db * db)
		dx := x - cx
		ds := float32(float32(dx*dx)*w) + wdy2
		if D := dc + ds; D < d[i] {
			d[i] = D
			lab[i] = k
		}
		x++
	}
}

// assignRow runs the fastest kernel this CPU supports.
func assignRow(l, a, b []int16, d []float32, lab []int32, p *kparams) {
	if useSIMD {
		assignRowSIMD(l, a, b, d, lab, p)
		return
	}
	assignRowGo(l, a, b, d, lab, p)
}

// accumulateRowGo adds, for each run of equal labels k in lab, the run's
// ΣL, Σa, Σb, length, 2Σx and y·length to sums[6k:6k+6].
func accumulateRowGo(lab []int32, l, a, b []int16, sums []int64, y int) {
	w := len(lab)
	l, a, b = l[:w], a[:w], b[:w]
	for i := 0; i < w; {
		k := lab[i]
		var sl, sa, sb int64
		j := i
		for ; j < w && lab[j] == k; j++ {
			sl += int64(l[j])
			sa += int64(a[j])
			sb += int64(b[j])
		}
		n := int64(j - i)
		s := sums[6*int(k) : 6*int(k)+6 : 6*int(k)+6]
		s[0] += sl
		s[1] += sa
		s[2] += sb
		s[3] += n
		s[4] += int64(i+j-1) * n
		s[5] += int64(y) * n
		i = j
	}
}

// accumulateRow runs the fastest accumulation kernel that suits the row.
func accumulateRow(lab []int32, l, a, b []int16, sums []int64, y int) {
	if useSIMD && accumulateRowSIMD(lab, l, a, b, sums, y) {
		return
	}
	accumulateRowGo(lab, l, a, b, sums, y)
}
