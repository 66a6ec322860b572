package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"

	"github.com/labelfree/labelfree/internal/gemm"
)

// convOp is Conv (1-D and 2-D, grouped and depthwise, any padding mode and
// dilation), computed as im2col + GEMM, as a plain GEMM for 1×1 stride-1
// convs, or with a direct kernel when depthwise. Fusion adds a folded
// BatchNormalization (in the weights), a residual input (sum) and an
// activation applied in the GEMM epilogue.
//
// Inputs: X, W, optional B, and (fused) the residual at index 3.
type convOp struct {
	w     window
	group int
	act   act
	sum   bool
	// packed holds, per group, the constant weights packed once at load
	// into internal/gemm's panel layout (see prepack), or is nil.
	packed []*gemm.PackedA
}

// prepack returns a copy of o that multiplies with weights w packed once
// for internal/gemm, so that no call copies them again; o itself when w
// is not a float weight tensor of a GEMM-based conv, or when another GEMM
// backend is in use.
func (o *convOp) prepack(w *value) *convOp {
	if gemmBackend != "internal/gemm" || w == nil || w.dt != dtFloat || len(w.shape) < 3 {
		return o
	}
	m, cg, G := w.shape[0], w.shape[1], o.group
	if G < 1 || m%G != 0 || (cg == 1 && G == m) { // depthwise runs directly
		return o
	}
	K, err := numel(w.shape[1:])
	if err != nil || K == 0 || len(w.f) != m*K {
		return o
	}
	mg := m / G
	c := *o
	c.packed = make([]*gemm.PackedA, G)
	for g := range c.packed {
		c.packed[g] = gemm.PackA(blas.NoTrans, mg, K, w.f[g*mg*K:], K)
	}
	return &c
}

func init() {
	builders["Conv"] = func(b *buildCtx) (kernel, error) {
		if err := b.needInputs(2, 3, fOnly); err != nil {
			return nil, err
		}
		w, err := parseWindow(b, false)
		if err != nil {
			return nil, err
		}
		op := &convOp{w: w, group: int(b.a.int("group", 1))}
		if op.group < 1 {
			return nil, fmt.Errorf("group %d", op.group)
		}
		rank := len(w.kernel) + 2
		if W := b.konst(1); W != nil {
			rank = len(W.shape)
		} else if r := b.rank(1); r > 0 {
			rank = r
		}
		if r := b.rank(0); r > 0 && len(w.kernel) == 0 {
			rank = r
		}
		if rank == 5 || len(w.kernel) == 3 {
			return nil, unsupported("3-D convolution")
		}
		return op, nil
	}
}

func (o *convOp) run(s *Session, in, out []*value) error {
	x, wt, y := in[0], in[1], out[0]
	var bias, res *value
	if len(in) > 2 {
		bias = in[2]
	}
	if len(in) > 3 {
		res = in[3]
	}
	r := len(x.shape)
	if r != 3 && r != 4 {
		return fmt.Errorf("input rank %d, want 3 or 4", r)
	}
	if len(wt.shape) != r {
		return fmt.Errorf("weight rank %d does not match input rank %d", len(wt.shape), r)
	}
	if o.w.kernel != nil && !sameShape(o.w.kernel, wt.shape[2:]) {
		return fmt.Errorf("kernel_shape %v does not match weights %v", o.w.kernel, wt.shape)
	}
	gm, err := o.w.resolve(x.shape[2:], wt.shape[2:])
	if err != nil {
		return err
	}
	n, c, m, cg := x.shape[0], x.shape[1], wt.shape[0], wt.shape[1]
	G := o.group
	if cg*G != c || m%G != 0 {
		return fmt.Errorf("input channels %d, weight %v and group %d do not agree", c, wt.shape, G)
	}
	if bias != nil && len(bias.f) != m {
		return fmt.Errorf("bias has %d values, want %d", len(bias.f), m)
	}
	if r == 4 {
		setShape(y, n, m, gm.out[1], gm.out[2])
	} else {
		setShape(y, n, m, gm.out[2])
	}
	if res != nil && !sameShape(res.shape, y.shape) {
		return o.runUnfusedSum(s, in, out)
	}
	if err := s.allocF(y); err != nil {
		return err
	}
	if err := s.checkWork(len(y.f), cg*max(gm.k[1]*gm.k[2], 1)); err != nil {
		return err
	}
	if err := s.checkWork(cg*gm.k[1]*gm.k[2], gm.out[1]*gm.out[2]/64+1); err != nil {
		return err // the im2col buffer
	}
	var bf []float32
	if bias != nil {
		bf = bias.f
	}
	H, W := gm.in[1], gm.in[2]
	kh, kw := gm.k[1], gm.k[2]
	oh, ow := gm.out[1], gm.out[2]
	P := oh * ow
	mg := m / G
	K := cg * kh * kw
	if G == c && cg == 1 && m == c {
		t := &s.dwT
		*t = dwTask{x: x.f, w: wt.f, b: bf, y: y.f, c: c, H: H, W: W, kh: kh, kw: kw, oh: oh, ow: ow,
			sh: gm.s[1], sw: gm.s[2], dh: gm.d[1], dw: gm.d[2], pt: gm.pb[1], pl: gm.pb[2], act: o.act}
		if res != nil {
			t.sum = res.f
		}
		size := t.setup()
		if size > 0 {
			for w := 0; w < s.threads; w++ {
				t.scratch[w] = s.getBuf(size)
			}
		}
		s.parallel(t, n*c)
		if size > 0 {
			for w := 0; w < s.threads; w++ {
				s.putBuf(t.scratch[w])
				t.scratch[w] = nil
			}
		}
		return nil
	}
	packed := o.packed
	if len(packed) != G || packed[0].Rows() != mg || packed[0].Cols() != K {
		packed = nil
	}
	pointwise := kh == 1 && kw == 1 && gm.s[1] == 1 && gm.s[2] == 1 && gm.pb[1] == 0 && gm.pb[2] == 0 && oh == H && ow == W
	if n >= s.threads && s.threads > 1 {
		// batch parallelism: each thread runs whole images, serially
		t := &s.convT
		*t = convBatchTask{x: x.f, w: wt.f, packed: packed, y: y.f, bias: bf, act: o.act, c: c, m: m, G: G, cg: cg, mg: mg, K: K, P: P, H: H, W: W, pointwise: pointwise,
			geo: im2colTask{H: H, W: W, kh: kh, kw: kw, oh: oh, ow: ow, sh: gm.s[1], sw: gm.s[2], dh: gm.d[1], dw: gm.d[2], pt: gm.pb[1], pl: gm.pb[2]}}
		if res != nil {
			t.sum = res.f
		}
		if !pointwise {
			for w := 0; w < s.threads; w++ {
				t.cols[w] = s.getBuf(K * P)
			}
		}
		s.parallel(t, n)
		if !pointwise {
			for w := 0; w < s.threads; w++ {
				s.putBuf(t.cols[w])
				t.cols[w] = nil
			}
		}
		return nil
	}
	var col []float32
	if !pointwise {
		col = s.getBuf(K * P)
		defer s.putBuf(col)
	}
	for img := 0; img < n; img++ {
		for g := 0; g < G; g++ {
			xg := x.f[(img*c+g*cg)*H*W:][:cg*H*W]
			b := xg
			if !pointwise {
				t := &s.im2colT
				*t = im2colTask{x: xg, col: col, H: H, W: W, kh: kh, kw: kw, oh: oh, ow: ow,
					sh: gm.s[1], sw: gm.s[2], dh: gm.d[1], dw: gm.d[2], pt: gm.pb[1], pl: gm.pb[2],
					rows: max(1, im2colItem/max(P, 1)), K: K}
				s.parallel(t, (K+t.rows-1)/t.rows)
				b = col
			}
			off := (img*m + g*mg) * P
			t := &s.gemmT
			*t = gemmTask{m: mg, n: P, k: K, alpha: 1, a: wt.f[g*mg*K:], lda: K, b: b, ldb: P,
				c: y.f[off:], ldc: P, act: o.act}
			if packed != nil {
				t.pa = packed[g]
			}
			if bf != nil {
				t.bias = bf[g*mg:]
			}
			if res != nil {
				t.sum = res.f[off:]
			}
			s.gemm(t)
		}
	}
	return nil
}

// runUnfusedSum handles a fused residual Add whose operand broadcasts.
func (o *convOp) runUnfusedSum(s *Session, in, out []*value) error {
	plain := *o
	plain.sum, plain.act = false, act{}
	tmp := value{}
	if err := plain.run(s, in[:3], []*value{&tmp}); err != nil {
		return err
	}
	defer s.putBuf(tmp.f)
	if err := (&binOp{op: opAdd}).run(s, []*value{&tmp, in[3]}, out); err != nil {
		return err
	}
	o.act.apply(out[0].f)
	return nil
}

// shifted fills a row of a stride-1 conv whose output rows are as wide as
// the input's: then the row is the input plane shifted by one offset, so
// the valid output rows are one copy, after which the columns that wrapped
// around the plane's edge (ox outside [lo, hi)) are zeroed.
func (t *im2colTask) shifted(dst, src []float32, ky, off, lo, hi int) {
	ow := t.ow
	oy0 := min(max(0, t.pt-ky*t.dh), t.oh)
	oy1 := max(min(t.oh, t.H+t.pt-ky*t.dh), oy0)
	clear(dst[:oy0*ow])
	clear(dst[oy1*ow:])
	if oy0 == oy1 {
		return
	}
	base := (oy0-t.pt+ky*t.dh)*t.W + off
	j0, j1 := oy0*ow+lo, (oy1-1)*ow+hi
	copy(dst[j0:j1], src[base+lo:base+lo+j1-j0])
	for oy := oy0; oy < oy1; oy++ {
		d := dst[oy*ow : (oy+1)*ow]
		for q := range d[:lo] {
			d[q] = 0
		}
		for q := range d[hi:] {
			d[hi+q] = 0
		}
	}
}

// im2colTask fills rows (c, ky, kx) of the column matrix: one per item, or
// rows per item when rows > 1 (of K in all), so that the small rows of late
// layers (7×7 outputs) do not cost an item each.
type im2colTask struct {
	x, col                                       []float32
	H, W, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl int
	rows, K                                      int
}

// im2colItem is about the number of floats one parallel im2col item writes.
const im2colItem = 8192

func (t *im2colTask) do(i int) {
	if t.rows <= 1 {
		t.row(i)
		return
	}
	for r := i * t.rows; r < min((i+1)*t.rows, t.K); r++ {
		t.row(r)
	}
}

// row fills row (c, ky, kx) of the column matrix.
func (t *im2colTask) row(row int) {
	kx := row % t.kw
	ky := (row / t.kw) % t.kh
	c := row / (t.kw * t.kh)
	P := t.oh * t.ow
	dst := t.col[row*P : (row+1)*P]
	src := t.x[c*t.H*t.W : (c+1)*t.H*t.W]
	// valid ox range: 0 <= ox*sw - pl + kx*dw < W
	off := kx*t.dw - t.pl
	lo := 0
	if off < 0 {
		lo = (-off + t.sw - 1) / t.sw
	}
	hi := 0
	if t.W-1-off >= 0 {
		hi = (t.W-1-off)/t.sw + 1
	}
	hi = min(hi, t.ow)
	lo = min(lo, hi)
	if t.sh == 1 && t.sw == 1 && t.ow == t.W && lo < hi {
		t.shifted(dst, src, ky, off, lo, hi)
		return
	}
	var odd [256]float32 // the discarded phase of a stride-2 row
	for oy := 0; oy < t.oh; oy++ {
		d := dst[oy*t.ow : (oy+1)*t.ow]
		iy := oy*t.sh - t.pt + ky*t.dh
		if iy < 0 || iy >= t.H {
			clear(d)
			continue
		}
		clear(d[:lo])
		clear(d[hi:])
		srow := src[iy*t.W:]
		if lo >= hi {
			continue
		}
		if t.sw == 1 {
			copy(d[lo:hi], srow[lo+off:hi+off])
			continue
		}
		if t.sw == 2 && hi-lo <= len(odd) {
			// d[ox] = srow[2ox+off]: the even phase of srow from 2lo+off
			deinterleave(d[lo:hi], odd[:hi-lo], srow[2*lo+off:])
			continue
		}
		for ox := lo; ox < hi; ox++ {
			d[ox] = srow[ox*t.sw+off]
		}
	}
}

// dwTask is a direct depthwise convolution; one item is one (image,
// channel) plane. 3×3 kernels with strides 1 or 2 and no dilation (the
// MobileNet family's) copy each plane into a zero-padded, per-worker
// scratch plane, split into column phases for stride 2, so that every tap
// is a contiguous run of the scratch and dwRows computes the plane with
// the bias and a clamp activation fused; other shapes take the general loop.
type dwTask struct {
	x, w, b, y, sum                                 []float32
	c, H, W, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl int
	act                                             act
	// fast path geometry: the scratch holds sw phases of R rows of L floats
	fast    bool
	R, L    int
	scratch [maxThreads][]float32
}

// setup decides whether the fast path applies and sizes its scratch.
func (t *dwTask) setup() int {
	t.fast = t.kh == 3 && t.kw == 3 && t.dh == 1 && t.dw == 1 && (t.sh == 1 || t.sh == 2) && (t.sw == 1 || t.sw == 2) &&
		t.pt >= 0 && t.pl >= 0 && t.oh > 0 && t.ow > 0
	if !t.fast {
		return 0
	}
	t.R = (t.oh-1)*t.sh + 3
	t.L = t.ow + 2/t.sw
	return t.sw * t.R * t.L
}

func (t *dwTask) do(i int) { t.doW(0, i) }

func (t *dwTask) doW(w, i int) {
	if !t.fast {
		t.doGeneral(i)
		return
	}
	ch := i % t.c
	var wt [9]float32
	copy(wt[:], t.w[ch*9:ch*9+9])
	bv := negZero
	if t.b != nil {
		bv = t.b[ch]
	}
	lo, hi, clamp := t.act.clampBounds()
	if t.sum != nil || !clamp {
		lo, hi = negInf, posInf
	}
	P := t.oh * t.ow
	dst := t.y[i*P : (i+1)*P]
	buf := t.scratch[w]
	t.pad(buf, t.x[i*t.H*t.W:(i+1)*t.H*t.W])
	var taps [9][]float32
	for k := range taps {
		ky, kx := k/3, k%3
		taps[k] = buf[((kx%t.sw)*t.R+ky)*t.L+kx/t.sw:]
	}
	dwRows(dst, t.ow, t.ow, t.oh, &taps, t.sh*t.L, &wt, bv, lo, hi)
	if t.sum != nil {
		lo, hi, clamp = t.act.clampBounds()
		if !clamp {
			lo, hi = negInf, posInf
		}
		biasClip(dst, t.sum[i*P:(i+1)*P], negZero, lo, hi)
	}
	if !clamp {
		t.act.apply(dst)
	}
}

// pad copies one input plane into buf: phase ph, row r, column j holds
// input (r-pt, j*sw+ph-pl), or zero outside the input.
func (t *dwTask) pad(buf, src []float32) {
	R, L := t.R, t.L
	for r := 0; r < R; r++ {
		iy := r - t.pt
		row := buf[r*L : (r+1)*L]
		if t.sw == 2 {
			odd := buf[(R+r)*L : (R+r+1)*L]
			clear(row)
			clear(odd)
			if iy < 0 || iy >= t.H {
				continue
			}
			// even phase j holds input column 2j-pl, odd phase 2j+1-pl
			srow := src[iy*t.W : (iy+1)*t.W]
			p := t.pl / 2
			if t.pl%2 == 0 {
				deinterleave(row[min(p, L):], odd[min(p, L):], srow)
			} else {
				deinterleave(odd[min(p, L):], row[min(p+1, L):], srow)
			}
			continue
		}
		if iy < 0 || iy >= t.H {
			clear(row)
			continue
		}
		srow := src[iy*t.W : (iy+1)*t.W]
		// column j holds input column j-pl
		lo := min(t.pl, L)
		hi := min(t.pl+t.W, L)
		clear(row[:lo])
		clear(row[hi:])
		if lo < hi {
			copy(row[lo:hi], srow[lo-t.pl:])
		}
	}
}

// doGeneral is the direct loop for any depthwise geometry.
func (t *dwTask) doGeneral(i int) {
	ch := i % t.c
	src := t.x[i*t.H*t.W : (i+1)*t.H*t.W]
	P := t.oh * t.ow
	dst := t.y[i*P : (i+1)*P]
	bv := float32(0)
	if t.b != nil {
		bv = t.b[ch]
	}
	for k := range dst {
		dst[k] = bv
	}
	w := t.w[ch*t.kh*t.kw:]
	for ky := 0; ky < t.kh; ky++ {
		for kx := 0; kx < t.kw; kx++ {
			wv := w[ky*t.kw+kx]
			off := kx*t.dw - t.pl
			lo := 0
			if off < 0 {
				lo = (-off + t.sw - 1) / t.sw
			}
			hi := 0
			if t.W-1-off >= 0 {
				hi = (t.W-1-off)/t.sw + 1
			}
			hi = min(hi, t.ow)
			if lo >= hi {
				continue
			}
			for oy := 0; oy < t.oh; oy++ {
				iy := oy*t.sh - t.pt + ky*t.dh
				if iy < 0 || iy >= t.H {
					continue
				}
				d := dst[oy*t.ow+lo : oy*t.ow+hi]
				srow := src[iy*t.W:]
				if t.sw == 1 {
					s := srow[lo+off : hi+off]
					for q := range d {
						d[q] += wv * s[q]
					}
				} else {
					for q := range d {
						d[q] += wv * srow[(lo+q)*t.sw+off]
					}
				}
			}
		}
	}
	if t.sum != nil {
		s := t.sum[i*P : (i+1)*P]
		for k := range dst {
			dst[k] += s[k]
		}
	}
	t.act.apply(dst)
}

// maxThreads bounds the per-worker scratch of batch-parallel kernels.
const maxThreads = 64

// convBatchTask runs whole images of a Conv per item, one thread each.
type convBatchTask struct {
	x, w, y, bias, sum          []float32
	act                         act
	c, m, G, cg, mg, K, P, H, W int
	packed                      []*gemm.PackedA
	pointwise                   bool
	geo                         im2colTask
	cols                        [maxThreads][]float32
}

func (t *convBatchTask) do(i int) { t.doW(0, i) }

func (t *convBatchTask) doW(w, img int) {
	for g := 0; g < t.G; g++ {
		xg := t.x[(img*t.c+g*t.cg)*t.H*t.W:][:t.cg*t.H*t.W]
		b := xg
		if !t.pointwise {
			col := t.cols[w]
			ic := t.geo
			ic.x, ic.col = xg, col
			for row := 0; row < t.K; row++ {
				ic.row(row)
			}
			b = col
		}
		off := (img*t.m + g*t.mg) * t.P
		gt := gemmTask{m: t.mg, n: t.P, k: t.K, alpha: 1, a: t.w[g*t.mg*t.K:], lda: t.K, b: b, ldb: t.P,
			c: t.y[off:], ldc: t.P, act: t.act, tileM: t.mg, tileN: t.P, tilesN: 1}
		if t.packed != nil {
			gt.pa = t.packed[g]
		}
		if t.bias != nil {
			gt.bias = t.bias[g*t.mg:]
		}
		if t.sum != nil {
			gt.sum = t.sum[off:]
		}
		gt.do(0)
	}
}
