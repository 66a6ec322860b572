//go:build amd64 && !purego

package gemm

// transpose4x4 sets d[p*dstride+i] = s[i*sstride+p] for p in [0, n), i in
// [0, 4); n must be a multiple of 4.
//
//go:noescape
func transpose4x4(d *float32, dstride int, s *float32, sstride int, n int)

// interleave4 sets d[p*w+i] = s[i*ld+p] for i in [0, 4), p in [0, length).
// The caller guarantees the bounds (d holds length*w floats from &d[0] with
// w >= 4, s holds 3*ld+length floats).
func interleave4(d []float32, w int, s []float32, ld, length int) {
	n := length &^ 3
	if n > 0 {
		_ = d[(n-1)*w+3]
		_ = s[3*ld+n-1]
		transpose4x4(&d[0], w, &s[0], ld, n)
	}
	for p := n; p < length; p++ {
		dd := d[p*w : p*w+4 : p*w+4]
		dd[0], dd[1], dd[2], dd[3] = s[p], s[ld+p], s[2*ld+p], s[3*ld+p]
	}
}
