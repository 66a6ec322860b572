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
	if t.op.max && g.in[0] == 1 && g.k[0] == 1 && g.out[0] == 1 && g.pb[0] == 0 &&
		g.d[1] == 1 && g.d[2] == 1 && g.in[2] <= maxFastPoolWidth {
		maxPool2D(g, src, dst)
		return
	}
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

// maxFastPoolWidth bounds the input rows maxPool2D handles (its row of
// column maxima lives on the stack).
const maxFastPoolWidth = 1024

// maxPool2D is MaxPool of one plane without dilation (ResNet's 3×3
// stride-2 stem pool): for each output row it takes the maximum over the
// window's rows column by column, then over each window's columns. Like
// the general loop it skips padding and NaNs, and gives -Inf for a window
// that covers no input.
func maxPool2D(g *geom, src, dst []float32) {
	H, W, OW := g.in[1], g.in[2], g.out[2]
	ninf := float32(math.Inf(-1))
	var buf [maxFastPoolWidth]float32
	colMax := buf[:W]
	for oh := 0; oh < g.out[1]; oh++ {
		d := dst[oh*OW : (oh+1)*OW]
		h0 := oh*g.s[1] - g.pb[1]
		h1 := min(h0+g.k[1], H)
		h0 = max(h0, 0)
		for q := range colMax {
			colMax[q] = ninf
		}
		for r := h0; r < h1; r++ {
			for q, v := range src[r*W : (r+1)*W] {
				if v > colMax[q] {
					colMax[q] = v
				}
			}
		}
		for ow := range d {
			w0 := ow*g.s[2] - g.pb[2]
			w1 := min(w0+g.k[2], W)
			w0 = max(w0, 0)
			acc := ninf
			for q := w0; q < w1; q++ {
				if colMax[q] > acc {
					acc = colMax[q]
				}
			}
			d[ow] = acc
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
