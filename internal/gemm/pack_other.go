//go:build !amd64 || purego

package gemm

// interleave4 sets d[p*w+i] = s[i*ld+p] for i in [0, 4), p in [0, length).
func interleave4(d []float32, w int, s []float32, ld, length int) {
	s0 := s[:length]
	s1 := s[ld : ld+length]
	s2 := s[2*ld : 2*ld+length]
	s3 := s[3*ld : 3*ld+length]
	for p, v := range s0 {
		dd := d[p*w : p*w+4 : p*w+4]
		dd[0], dd[1], dd[2], dd[3] = v, s1[p], s2[p], s3[p]
	}
}
