package gemm

// packA copies the mc×kc block of op(A) at (i0, p0) into dst as a sequence of
// MR-row micro-panels: dst[q*MR*kc + p*MR + i] = op(A)[i0+q*MR+i][p0+p].
// Rows past mc in the last panel are zero.
func packA(dst []float32, MR int, trans bool, a []float32, lda, i0, p0, mc, kc int) {
	for q := 0; q*MR < mc; q++ {
		mr := min(MR, mc-q*MR)
		d := dst[q*MR*kc : (q+1)*MR*kc]
		r0 := i0 + q*MR
		if trans {
			// op(A)[i][p] = a[p*lda+i]: each k step is a contiguous run.
			copyRuns(d, MR, a, lda, p0, r0, kc, mr)
		} else {
			// op(A)[i][p] = a[i*lda+p]: interleave mr rows of a.
			interleave(d, MR, a, lda, r0, p0, mr, kc)
		}
	}
}

// packB copies the kc×nc block of op(B) at (p0, j0) into dst as a sequence of
// NR-column micro-panels: dst[r*NR*kc + p*NR + j] = op(B)[p0+p][j0+r*NR+j].
// Columns past nc in the last panel are zero.
func packB(dst []float32, NR int, trans bool, b []float32, ldb, p0, j0, kc, nc int) {
	for r := 0; r*NR < nc; r++ {
		nr := min(NR, nc-r*NR)
		d := dst[r*NR*kc : (r+1)*NR*kc]
		c0 := j0 + r*NR
		if !trans {
			// op(B)[p][j] = b[p*ldb+j]: each k step is a contiguous run.
			copyRuns(d, NR, b, ldb, p0, c0, kc, nr)
		} else {
			// op(B)[p][j] = b[j*ldb+p]: interleave nr rows of b.
			interleave(d, NR, b, ldb, c0, p0, nr, kc)
		}
	}
}

// copyRuns sets d[p*w : p*w+w] = s[(r0+p)*ld+c0 : ... + cnt] followed by
// w-cnt zeros, for p in [0, rows).
func copyRuns(d []float32, w int, s []float32, ld, r0, c0, rows, cnt int) {
	for p := 0; p < rows; p++ {
		o := (r0+p)*ld + c0
		dd := d[p*w : p*w+w]
		copy(dd, s[o:o+cnt])
		clear(dd[cnt:])
	}
}

// interleave sets d[p*w+i] = s[(r0+i)*ld+c0+p] for i in [0, cnt) and p in
// [0, length), and zeros d[p*w+i] for i in [cnt, w).
func interleave(d []float32, w int, s []float32, ld, r0, c0, cnt, length int) {
	d = d[:length*w]
	i := 0
	for ; i+4 <= cnt; i += 4 {
		o := (r0+i)*ld + c0
		interleave4(d[i:], w, s[o:o+3*ld+length], ld, length)
	}
	for ; i < cnt; i++ {
		o := (r0+i)*ld + c0
		for p, v := range s[o : o+length] {
			d[p*w+i] = v
		}
	}
	if cnt < w {
		for p := 0; p < length; p++ {
			clear(d[p*w+cnt : p*w+w])
		}
	}
}
