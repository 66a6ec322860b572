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
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+r0 : (p0+p)*lda+r0+mr]
				dd := d[p*MR : p*MR+MR]
				copy(dd, src)
				clear(dd[mr:])
			}
			continue
		}
		// op(A)[i][p] = a[i*lda+p]: interleave mr rows.
		for i := 0; i < mr; i++ {
			src := a[(r0+i)*lda+p0 : (r0+i)*lda+p0+kc]
			for p, v := range src {
				d[p*MR+i] = v
			}
		}
		if mr < MR {
			for p := 0; p < kc; p++ {
				clear(d[p*MR+mr : p*MR+MR])
			}
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
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+c0 : (p0+p)*ldb+c0+nr]
				dd := d[p*NR : p*NR+NR]
				copy(dd, src)
				clear(dd[nr:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: interleave nr rows of b.
		for j := 0; j < nr; j++ {
			src := b[(c0+j)*ldb+p0 : (c0+j)*ldb+p0+kc]
			for p, v := range src {
				d[p*NR+j] = v
			}
		}
		if nr < NR {
			for p := 0; p < kc; p++ {
				clear(d[p*NR+nr : p*NR+NR])
			}
		}
	}
}
