package nn

import (
	"fmt"
	"math"
)

// poolOp is MaxPool or AveragePool over 1 to 3 spatial dimensions.
type poolOp struct {
	w          window
	max        bool
	includePad bool
}

func init() {
	builders["MaxPool"] = func(b *buildCtx) (kernel, error) {
		if err := b.needInputs(1, 1, fOnly); err != nil {
			return nil, err
		}
		if b.a.int("storage_order", 0) != 0 {
			return nil, unsupported("storage_order 1")
		}
		w, err := parseWindow(b, true)
		return &poolOp{w: w, max: true}, err
	}
	builders["AveragePool"] = func(b *buildCtx) (kernel, error) {
		if err := b.needInputs(1, 1, fOnly); err != nil {
			return nil, err
		}
		w, err := parseWindow(b, true)
		if err == nil && w.dilations != nil {
			for _, d := range w.dilations {
				if d != 1 {
					return nil, unsupported("AveragePool dilations")
				}
			}
		}
		return &poolOp{w: w, includePad: b.a.int("count_include_pad", 0) != 0}, err
	}
	builders["GlobalAveragePool"] = func(b *buildCtx) (kernel, error) {
		return &globalPoolOp{}, b.needInputs(1, 1, fOnly)
	}
}

func (o *poolOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	nd := len(o.w.kernel)
	if len(x.shape) != nd+2 {
		return fmt.Errorf("input rank %d does not match kernel_shape %v", len(x.shape), o.w.kernel)
	}
	g, err := o.w.resolve(x.shape[2:], o.w.kernel)
	if err != nil {
		return err
	}
	y.shape = append(y.shape[:0], x.shape[0], x.shape[1])
	y.shape = append(y.shape, g.out[3-nd:]...)
	if err := s.allocF(y); err != nil {
		return err
	}
	if err := s.checkWork(len(y.f), g.k[0]*g.k[1]*g.k[2]); err != nil {
		return err
	}
	t := &s.poolT
	*t = poolTask{op: o, g: g, x: x.f, y: y.f}
	s.parallel(t, x.shape[0]*x.shape[1])
	return nil
}

type poolTask struct {
	op   *poolOp
	g    geom
	x, y []float32
}

func (t *poolTask) do(i int) {
	g := &t.g
	inN := g.in[0] * g.in[1] * g.in[2]
	outN := g.out[0] * g.out[1] * g.out[2]
	src := t.x[i*inN : (i+1)*inN]
	dst := t.y[i*outN : (i+1)*outN]
	// padded extent: windows may run past the end pad only in ceil mode,
	// and those positions never count as padding.
	var limit [3]int
	for q := 0; q < 3; q++ {
		limit[q] = g.in[q] + g.pb[q]
		if t.op.w.autoPad == "NOTSET" && t.op.w.pads != nil {
			nd := len(t.op.w.kernel)
			if q >= 3-nd {
				limit[q] = g.in[q] + t.op.w.pads[nd+q-(3-nd)]
			}
		} else {
			limit[q] = max(g.in[q], (g.out[q]-1)*g.s[q]+(g.k[q]-1)*g.d[q]+1-g.pb[q])
		}
	}
	k := 0
	for od := 0; od < g.out[0]; od++ {
		for oh := 0; oh < g.out[1]; oh++ {
			for ow := 0; ow < g.out[2]; ow++ {
				acc := float32(0)
				if t.op.max {
					acc = float32(math.Inf(-1))
				}
				cnt, padCnt := 0, 0
				for kd := 0; kd < g.k[0]; kd++ {
					id := od*g.s[0] - g.pb[0] + kd*g.d[0]
					if id >= limit[0] {
						continue
					}
					for kh := 0; kh < g.k[1]; kh++ {
						ih := oh*g.s[1] - g.pb[1] + kh*g.d[1]
						if ih >= limit[1] {
							continue
						}
						for kw := 0; kw < g.k[2]; kw++ {
							iw := ow*g.s[2] - g.pb[2] + kw*g.d[2]
							if iw >= limit[2] {
								continue
							}
							padCnt++
							if id < 0 || ih < 0 || iw < 0 || id >= g.in[0] || ih >= g.in[1] || iw >= g.in[2] {
								continue
							}
							v := src[(id*g.in[1]+ih)*g.in[2]+iw]
							cnt++
							if t.op.max {
								if v > acc {
									acc = v
								}
							} else {
								acc += v
							}
						}
					}
				}
				if !t.op.max {
					div := cnt
					if t.op.includePad {
						div = padCnt
					}
					if div > 0 {
						acc /= float32(div)
					}
				}
				dst[k] = acc
				k++
			}
		}
	}
}

// globalPoolOp is GlobalAveragePool.
type globalPoolOp struct{}

func (o *globalPoolOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	if len(x.shape) < 2 {
		return fmt.Errorf("input rank %d, want at least 2", len(x.shape))
	}
	y.shape = append(y.shape[:0], x.shape[0], x.shape[1])
	sp := 1
	for _, d := range x.shape[2:] {
		y.shape = append(y.shape, 1)
		sp *= d
	}
	if err := s.allocF(y); err != nil {
		return err
	}
	for i := range y.f {
		sum := float32(0)
		for _, v := range x.f[i*sp : (i+1)*sp] {
			sum += v
		}
		y.f[i] = sum / float32(max(sp, 1))
	}
	return nil
}
