package nn

import (
	"fmt"
	"math"
)

// softmaxOp is Softmax: before opset 13 over the input coerced to 2-D at
// axis (default 1), from opset 13 along one axis (default -1).
type softmaxOp struct {
	axis   int
	coerce bool
}

func init() {
	builders["Softmax"] = func(b *buildCtx) (kernel, error) {
		if b.opset < 13 {
			return &softmaxOp{axis: int(b.a.int("axis", 1)), coerce: true}, b.needInputs(1, 1, fOnly)
		}
		return &softmaxOp{axis: int(b.a.int("axis", -1))}, b.needInputs(1, 1, fOnly)
	}
}

func (o *softmaxOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	r := len(x.shape)
	axis, err := normAxis(o.axis, max(r, 1))
	if err != nil {
		return err
	}
	setShape(y, x.shape...)
	if err := s.allocF(y); err != nil {
		return err
	}
	outer, n, inner := 1, 1, 1
	for k, d := range x.shape {
		switch {
		case k < axis:
			outer *= d
		case k == axis || (o.coerce && k > axis):
			n *= d
		default:
			inner *= d
		}
	}
	for q := 0; q < outer; q++ {
		for j := 0; j < inner; j++ {
			base := q*n*inner + j
			m := float32(math.Inf(-1))
			for k := 0; k < n; k++ {
				m = max(m, x.f[base+k*inner])
			}
			sum := 0.0
			for k := 0; k < n; k++ {
				e := math.Exp(float64(x.f[base+k*inner] - m))
				y.f[base+k*inner] = float32(e)
				sum += e
			}
			for k := 0; k < n; k++ {
				y.f[base+k*inner] = float32(float64(y.f[base+k*inner]) / sum)
			}
		}
	}
	return nil
}

// padOp is Pad in constant, reflect and edge modes.
type padOp struct {
	mode  string
	pads  []int // attribute form (opset < 11)
	value float32
}

func init() {
	builders["Pad"] = func(b *buildCtx) (kernel, error) {
		op := &padOp{mode: b.a.str("mode", "constant")}
		switch op.mode {
		case "constant", "reflect", "edge":
		default:
			return nil, unsupported("mode %q", op.mode)
		}
		if b.opset < 11 {
			var ok bool
			if op.pads, ok = b.a.ints("pads"); !ok {
				return nil, fmt.Errorf("pads is required")
			}
			op.value = b.a.float("value", 0)
			return op, b.needInputs(1, 1, fOnly)
		}
		if err := b.needInputs(2, 3, anyT, iOnly, anyT); err != nil {
			return nil, err
		}
		if b.has(2) && b.inT[2] != b.inT[0] {
			return nil, fmt.Errorf("constant_value type %s differs from input type %s", b.inT[2], b.inT[0])
		}
		return op, nil
	}
}

func (o *padOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	r := len(x.shape)
	if r > 8 {
		return unsupported("rank %d", r)
	}
	var pads [16]int
	cval, ival := o.value, int64(0)
	if o.pads != nil {
		if len(o.pads) != 2*r {
			return fmt.Errorf("pads %v for rank %d", o.pads, r)
		}
		copy(pads[:], o.pads)
	} else {
		p := in[1].i
		if len(p) != 2*r {
			return fmt.Errorf("pads %v for rank %d", p, r)
		}
		for k, v := range p {
			if v > MaxElements || v < -MaxElements {
				return fmt.Errorf("pad %d out of range", v)
			}
			pads[k] = int(v)
		}
		if len(in) > 2 && in[2] != nil {
			if in[2].len() != 1 {
				return fmt.Errorf("constant_value must be a scalar")
			}
			if x.dt == dtFloat {
				cval = in[2].f[0]
			} else {
				ival = in[2].i[0]
			}
		}
	}
	y.shape = y.shape[:0]
	for k, d := range x.shape {
		nd := d + pads[k] + pads[r+k]
		if nd < 0 {
			return fmt.Errorf("pads %v shrink dimension %d below zero", pads[:2*r], k)
		}
		if o.mode != "constant" && d == 0 && nd > 0 {
			return fmt.Errorf("cannot %s-pad an empty dimension", o.mode)
		}
		if o.mode == "reflect" && (pads[k] >= d || pads[r+k] >= d) && d > 0 && (pads[k] > 0 || pads[r+k] > 0) {
			if d == 1 {
				return fmt.Errorf("cannot reflect-pad a dimension of size 1")
			}
		}
		y.shape = append(y.shape, nd)
	}
	if err := s.alloc(y, x.dt); err != nil {
		return err
	}
	var st [8]int
	acc := 1
	for k := r - 1; k >= 0; k-- {
		st[k] = acc
		acc *= x.shape[k]
	}
	var idx [8]int
	n := y.len()
	for q := 0; q < n; q++ {
		off, inside := 0, true
		for k := 0; k < r; k++ {
			i := idx[k] - pads[k]
			d := x.shape[k]
			if i < 0 || i >= d {
				switch o.mode {
				case "constant":
					inside = false
				case "edge":
					i = max(0, min(d-1, i))
				case "reflect":
					if d < 2 {
						return fmt.Errorf("cannot reflect-pad a dimension of size %d", d)
					}
					period := 2 * (d - 1)
					i = ((i % period) + period) % period
					if i >= d {
						i = period - i
					}
				}
			}
			off += i * st[k]
		}
		switch {
		case x.dt == dtFloat && inside:
			y.f[q] = x.f[off]
		case x.dt == dtFloat:
			y.f[q] = cval
		case inside:
			y.i[q] = x.i[off]
		default:
			y.i[q] = ival
		}
		for k := r - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < y.shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return nil
}

// dequantOp is DequantizeLinear: y = (x - zero_point) * scale, per tensor
// or per axis.
type dequantOp struct{ axis int }

func init() {
	builders["DequantizeLinear"] = func(b *buildCtx) (kernel, error) {
		b.outT = []dtype{dtFloat}
		op := &dequantOp{axis: 1}
		if b.opset >= 13 {
			op.axis = int(b.a.int("axis", 1))
		}
		if err := b.needInputs(2, 3, quantT, fOnly, quantT); err != nil {
			return nil, err
		}
		if b.has(2) && b.inT[2] != b.inT[0] {
			return nil, fmt.Errorf("zero point type %s differs from input type %s", b.inT[2], b.inT[0])
		}
		return op, nil
	}
}

func (o *dequantOp) run(s *Session, in, out []*value) error {
	x, scale, y := in[0], in[1], out[0]
	var zp []int64
	if len(in) > 2 && in[2] != nil {
		zp = in[2].i
		if len(zp) != len(scale.f) {
			return fmt.Errorf("zero point has %d values, scale %d", len(zp), len(scale.f))
		}
	}
	setShape(y, x.shape...)
	if err := s.allocF(y); err != nil {
		return err
	}
	inner, nch := 1, 1
	if len(scale.f) != 1 {
		axis, err := normAxis(o.axis, len(x.shape))
		if err != nil {
			return err
		}
		nch = x.shape[axis]
		if len(scale.f) != nch || len(scale.shape) != 1 {
			return fmt.Errorf("scale of shape %v for axis %d of %v", scale.shape, axis, x.shape)
		}
		for k := axis + 1; k < len(x.shape); k++ {
			inner *= x.shape[k]
		}
	}
	for q, v := range x.i {
		c := (q / inner) % nch
		z := int64(0)
		if zp != nil {
			z = zp[c]
		}
		y.f[q] = float32(v-z) * scale.f[c]
	}
	return nil
}

// castOp is Cast between float32 and the integer types.
type castOp struct{ to dtype }

func init() {
	builders["Cast"] = func(b *buildCtx) (kernel, error) {
		t := b.a.int("to", 0)
		dt, name, ok := dtypeOf(int32(t))
		if !ok {
			return nil, unsupported("cast to %s", name)
		}
		b.a.int("saturate", 1)
		b.outT = []dtype{dt}
		return &castOp{to: dt}, b.needInputs(1, 1, anyT)
	}
}

func (o *castOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	setShape(y, x.shape...)
	if err := s.alloc(y, o.to); err != nil {
		return err
	}
	switch {
	case x.dt == dtFloat && o.to == dtFloat:
		copy(y.f, x.f)
	case x.dt == dtFloat:
		for k, v := range x.f {
			y.i[k] = castInt(float64(v), o.to)
		}
	case o.to == dtFloat:
		for k, v := range x.i {
			y.f[k] = float32(v)
		}
	default:
		for k, v := range x.i {
			y.i[k] = wrapInt(v, o.to)
		}
	}
	return nil
}

func castInt(v float64, to dtype) int64 {
	if to == dtBool {
		if v != 0 {
			return 1
		}
		return 0
	}
	if math.IsNaN(v) {
		return 0
	}
	return wrapInt(int64(v), to)
}

func wrapInt(v int64, to dtype) int64 {
	switch to {
	case dtInt32:
		return int64(int32(v))
	case dtUint8:
		return int64(uint8(v))
	case dtInt8:
		return int64(int8(v))
	case dtBool:
		if v != 0 {
			return 1
		}
		return 0
	}
	return v
}

// constOp is Constant; it has no inputs and is always folded at load.
type constOp struct{ v *value }

func init() {
	builders["Constant"] = func(b *buildCtx) (kernel, error) {
		if err := b.needInputs(0, 0, anyT); err != nil {
			return nil, err
		}
		var v *value
		set := 0
		if tp := b.a.tensor("value"); tp != nil {
			var err error
			if v, err = decodeTensor(tp); err != nil {
				return nil, err
			}
			set++
		}
		if b.a.has("value_float") {
			v = &value{dt: dtFloat, shape: []int{}, f: []float32{b.a.float("value_float", 0)}}
			set++
		}
		if fs, ok := b.a.floats("value_floats"); ok {
			v = &value{dt: dtFloat, shape: []int{len(fs)}, f: append([]float32{}, fs...)}
			set++
		}
		if b.a.has("value_int") {
			v = &value{dt: dtInt64, shape: []int{}, i: []int64{b.a.int("value_int", 0)}}
			set++
		}
		if b.a.has("value_ints") {
			p := b.a.get("value_ints", 7)
			v = &value{dt: dtInt64, shape: []int{len(p.GetInts())}, i: append([]int64{}, p.GetInts()...)}
			set++
		}
		if set != 1 {
			return nil, unsupported("Constant value form (need exactly one of value, value_float(s), value_int(s))")
		}
		b.outT = []dtype{v.dt}
		return &constOp{v: v}, nil
	}
}

func (o *constOp) run(s *Session, in, out []*value) error {
	y := out[0]
	setShape(y, o.v.shape...)
	if err := s.alloc(y, o.v.dt); err != nil {
		return err
	}
	copy(y.f, o.v.f)
	copy(y.i, o.v.i)
	return nil
}
