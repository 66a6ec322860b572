package superpixel

// kparams is one cluster centre as the assignment kernels see it. The
// layout (ten 4-byte fields) is read by assign_amd64.s.
type kparams struct {
	cl, ca, cb float32 // centre colour
	cx         float32 // centre x
	w          float32 // spatial weight (m/S)²
	wdy2       float32 // w·(y−cy)² for the current row
	k          int32   // cluster index
	x0         float32 // x of the first pixel of the row segment
	cy         float32 // centre y (window kernels)
	y0         float32 // y of the window's first row (window kernels)
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

// assignWindow runs the assignment step for one centre over a window of
// rows pixels by n columns starting at offset o of the planes (row stride
// w); p.x0, p.cy and p.y0 place it in the image. Each row's spatial term
// w·(y−cy)² is computed exactly as assignRowGo's callers do. The AVX-512
// kernel reads ws's float32 planes, the others its int16 planes: they hold
// the same values. sx is scratch for the AVX-512 kernel, at least n+16
// long.
func assignWindow(ws *workspace, o, w, n, rows int, p *kparams, sx []float32) {
	if useAVX512 && n > 0 && rows > 0 {
		end := o + (rows-1)*w + n
		_, _, _, _, _ = ws.lf[end-1], ws.af[end-1], ws.bf[end-1], ws.dist[end-1], ws.lab[end-1]
		sx = grow(sx, n+16)
		assignWindowAVX512(&ws.lf[o], &ws.af[o], &ws.bf[o], &ws.dist[o], &ws.lab[o], w, n, rows, p, &sx[0])
		return
	}
	q := *p
	for r := range rows {
		dy := (p.y0 + float32(r)) - p.cy
		q.wdy2 = float32(dy*dy) * p.w
		s := o + r*w
		assignRow(ws.l[s:s+n], ws.a[s:s+n], ws.b[s:s+n], ws.dist[s:s+n], ws.lab[s:s+n], &q)
	}
}

// reduceLanes adds the sixteen int32 lanes of each label's ΣL, Σa and Σb in
// vacc (48 per label) to sums (6 per label), and zeroes vacc.
func reduceLanes(vacc []int32, sums []int64) {
	for k := 0; 48*k < len(vacc) && 6*k < len(sums); k++ {
		v := vacc[48*k : 48*k+48 : 48*k+48]
		for ch := range 3 {
			var t int64
			for _, x := range v[16*ch : 16*ch+16] {
				t += int64(x)
			}
			sums[6*k+ch] += t
		}
		clear(v)
	}
}
