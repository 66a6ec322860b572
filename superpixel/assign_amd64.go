//go:build amd64 && !purego

package superpixel

import "golang.org/x/sys/cpu"

var (
	useSIMD   = cpu.X86.HasAVX2 && cpu.X86.HasBMI2
	useAVX512 = useSIMD && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
)

// assignWindowAVX512 is assignWindow's loop over rows, sixteen pixels at a
// time: a rows×n window at stride w of float32 planes.
//
//go:noescape
func assignWindowAVX512(l, a, b *float32, d *float32, lab *int32, w, n, rows int, p *kparams, sx *float32)

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

// labRowAVX512 is labLUT.linear over a row of n RGBA pixels, writing the
// fixed-point planes as int16 and as float32.
//
//go:noescape
func labRowAVX512(px *uint8, l, a, b *int16, lf, af, bf *float32, n int, lin, f, m *float32)

// labRowSIMD converts a row of packed RGBA pixels into int16 planes and
// their float32 copies when the CPU has AVX-512, reporting whether it did.
func labRowSIMD(t *labLUT, px []uint8, l, a, b []int16, lf, af, bf []float32) bool {
	n := len(l)
	if !useAVX512 || n == 0 || len(px) < 4*n || len(a) < n || len(b) < n || len(lf) < n || len(af) < n || len(bf) < n {
		return false
	}
	labRowAVX512(&px[0], &l[0], &a[0], &b[0], &lf[0], &af[0], &bf[0], n, &t.lin[0], &t.f[0], &t.m[0])
	return true
}

//go:noescape
func accumulateRowVecAVX512(lab *int32, l, a, b *int16, n int, sums *int64, y int, vacc *int32)

// accumulateVec is workspace.accumulate's AVX-512 path: colour sums stay in
// sixteen int32 lanes per label (vacc, 48 per label) and are reduced into
// sums every few rows, before 2^18 pixels could overflow a lane. It
// reports false when the rows are too wide for it.
func accumulateVec(ws *workspace, sums []int64, vacc []int32, w, y0, y1 int) bool {
	const maxPixels = 1<<18 - 1
	if !useAVX512 || w > maxPixels || len(vacc) < 48*len(ws.centers) {
		return false
	}
	per := maxPixels / w
	for y := y0; y < y1; y++ {
		o := y * w
		accumulateRowVecAVX512(&ws.lab[o], &ws.l[o], &ws.a[o], &ws.b[o], w, &sums[0], y, &vacc[0])
		copy(ws.dist[o:o+w], ws.inf[:w])
		if (y-y0+1)%per == 0 || y == y1-1 {
			reduceLanes(vacc, sums)
		}
	}
	return true
}
