package nn

import "fmt"

// gemmOp is Gemm: Y = alpha·op(A)·op(B) + beta·C, C broadcast to Y.
type gemmOp struct {
	alpha, beta float32
	tA, tB      bool
}

func init() {
	builders["Gemm"] = func(b *buildCtx) (kernel, error) {
		if err := b.needInputs(2, 3, fOnly); err != nil {
			return nil, err
		}
		if b.opset < 7 {
			b.a.int("broadcast", 0) // C is broadcast either way; shapes are checked at run time
		}
		return &gemmOp{alpha: b.a.float("alpha", 1), beta: b.a.float("beta", 1),
			tA: b.a.int("transA", 0) != 0, tB: b.a.int("transB", 0) != 0}, nil
	}
	builders["MatMul"] = func(b *buildCtx) (kernel, error) {
		return &matmulOp{}, b.needInputs(2, 2, fOnly)
	}
}

func (o *gemmOp) run(s *Session, in, out []*value) error {
	a, b, y := in[0], in[1], out[0]
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return fmt.Errorf("inputs must be 2-D, got %v and %v", a.shape, b.shape)
	}
	m, k := a.shape[0], a.shape[1]
	if o.tA {
		m, k = k, m
	}
	k2, n := b.shape[0], b.shape[1]
	if o.tB {
		k2, n = n, k2
	}
	if k != k2 {
		return fmt.Errorf("inner dimensions %d and %d differ", k, k2)
	}
	setShape(y, m, n)
	if err := s.allocF(y); err != nil {
		return err
	}
	beta := float32(0)
	if len(in) > 2 && in[2] != nil && o.beta != 0 {
		c := in[2]
		if !unidirectional(c.shape, y.shape) {
			return fmt.Errorf("input C of shape %v does not broadcast to %v", c.shape, y.shape)
		}
		bcastCopy(y.f, y.shape, c.f, c.shape)
		beta = o.beta
	}
	lda, ldb := k, n
	if o.tA {
		lda = m
	}
	if o.tB {
		ldb = k
	}
	s.gemmT = gemmTask{tA: o.tA, tB: o.tB, m: m, n: n, k: k, alpha: o.alpha, beta: beta,
		a: a.f, lda: lda, b: b.f, ldb: ldb, c: y.f, ldc: n}
	s.gemm(&s.gemmT)
	return nil
}

// bcastCopy writes src broadcast to dstShape into dst.
func bcastCopy(dst []float32, dstShape []int, src []float32, srcShape []int) {
	bcast(dstShape, srcShape, srcShape, func(o, ia, _, n, sa, _ int) {
		d := dst[o : o+n]
		if sa == 1 {
			copy(d, src[ia:ia+n])
			return
		}
		for k := range d {
			d[k] = src[ia]
		}
	})
}

// matmulOp is numpy-style MatMul with batch broadcasting.
type matmulOp struct{}

func (o *matmulOp) run(s *Session, in, out []*value) error {
	a, b, y := in[0], in[1], out[0]
	if len(a.shape) == 0 || len(b.shape) == 0 {
		return fmt.Errorf("scalar operand")
	}
	as, bs := a.shape, b.shape
	var abuf, bbuf [8]int
	if len(as) == 1 {
		as = append(abuf[:0], 1, as[0])
	}
	if len(bs) == 1 {
		bs = append(bbuf[:0], bs[0], 1)
	}
	m, k := as[len(as)-2], as[len(as)-1]
	k2, n := bs[len(bs)-2], bs[len(bs)-1]
	if k != k2 {
		return fmt.Errorf("shapes %v and %v: inner dimensions differ", a.shape, b.shape)
	}
	var err error
	y.shape, err = broadcastShape(y.shape, as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return err
	}
	batch := y.shape
	nb := 1
	for _, d := range batch {
		nb *= d
	}
	// batch offsets via a broadcast walk over the batch dims
	var offs []int
	if len(batch) > 0 {
		offs = make([]int, 0, 2*nb)
		bcast(append(append([]int{}, batch...), 1), append(append([]int{}, as[:len(as)-2]...), 1), append(append([]int{}, bs[:len(bs)-2]...), 1),
			func(_, ia, ib, _, _, _ int) { offs = append(offs, ia, ib) })
	}
	if len(a.shape) > 1 {
		y.shape = append(y.shape, m)
	}
	if len(b.shape) > 1 {
		y.shape = append(y.shape, n)
	}
	if err := s.allocF(y); err != nil {
		return err
	}
	for q := 0; q < nb; q++ {
		ia, ib := 0, 0
		if offs != nil {
			ia, ib = offs[2*q], offs[2*q+1]
		}
		s.gemmT = gemmTask{m: m, n: n, k: k, alpha: 1, a: a.f[ia*m*k:], lda: k, b: b.f[ib*k*n:], ldb: n, c: y.f[q*m*n:], ldc: n}
		s.gemm(&s.gemmT)
	}
	return nil
}

// unidirectional reports whether shape s broadcasts to shape to.
func unidirectional(s, to []int) bool {
	if len(s) > len(to) {
		return false
	}
	for k := range s {
		d, t := s[len(s)-1-k], to[len(to)-1-k]
		if d != t && d != 1 {
			return false
		}
	}
	return true
}
