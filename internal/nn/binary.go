package nn

import "fmt"

// binKind is an element-wise binary operator with numpy broadcasting.
type binKind uint8

const (
	opAdd binKind = iota
	opSub
	opMul
	opDiv
)

type binOp struct{ op binKind }

func init() {
	for name, op := range map[string]binKind{"Add": opAdd, "Sub": opSub, "Mul": opMul, "Div": opDiv} {
		op := op
		builders[name] = func(b *buildCtx) (kernel, error) {
			if err := b.needInputs(2, 2, fOrI); err != nil {
				return nil, err
			}
			if b.inT[0] != b.inT[1] {
				return nil, fmt.Errorf("input types %s and %s differ", b.inT[0], b.inT[1])
			}
			return &binOp{op: op}, nil
		}
	}
}

// broadcastShape writes the numpy broadcast of a and b into dst.
func broadcastShape(dst, a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	dst = dst[:0]
	for k := 0; k < r; k++ {
		da, db := 1, 1
		if j := k - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := k - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			dst = append(dst, da)
		case da == 1:
			dst = append(dst, db)
		default:
			return dst, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return dst, nil
}

// bcast iterates over an output shape with the flat offsets of two
// broadcast operands, calling f for each run of the innermost dimension.
// It allocates nothing for ranks up to 8.
func bcast(out, a, b []int, f func(o, ia, ib, n, sa, sb int)) {
	r := len(out)
	if r == 0 {
		f(0, 0, 0, 1, 0, 0)
		return
	}
	var sa, sb, idx [8]int
	var saBuf, sbBuf, idxBuf []int
	if r <= 8 {
		saBuf, sbBuf, idxBuf = sa[:r], sb[:r], idx[:r]
	} else {
		saBuf, sbBuf, idxBuf = make([]int, r), make([]int, r), make([]int, r)
	}
	strides := func(s []int, dst []int) {
		st := 1
		for k := r - 1; k >= 0; k-- {
			j := k - (r - len(s))
			d := 1
			if j >= 0 {
				d = s[j]
			}
			if d == 1 {
				dst[k] = 0
			} else {
				dst[k] = st
			}
			st *= d
		}
	}
	strides(a, saBuf)
	strides(b, sbBuf)
	inner := out[r-1]
	total := 1
	for _, d := range out {
		total *= d
	}
	if total == 0 {
		return
	}
	for o := 0; o < total; o += inner {
		ia, ib := 0, 0
		for k := 0; k < r-1; k++ {
			ia += idxBuf[k] * saBuf[k]
			ib += idxBuf[k] * sbBuf[k]
		}
		f(o, ia, ib, inner, saBuf[r-1], sbBuf[r-1])
		for k := r - 2; k >= 0; k-- {
			idxBuf[k]++
			if idxBuf[k] < out[k] {
				break
			}
			idxBuf[k] = 0
		}
	}
}

func (o *binOp) run(s *Session, in, out []*value) error {
	a, b, y := in[0], in[1], out[0]
	if a.dt != b.dt {
		return fmt.Errorf("input types %s and %s differ", a.dt, b.dt)
	}
	var err error
	if y.shape, err = broadcastShape(y.shape, a.shape, b.shape); err != nil {
		return err
	}
	if err := s.alloc(y, a.dt); err != nil {
		return err
	}
	if a.dt == dtFloat {
		if sameShape(a.shape, b.shape) {
			s.binT = binTask{op: o.op, y: y.f, a: a.f, b: b.f}
			s.parallel(&s.binT, chunks(len(y.f), 1<<14))
			return nil
		}
		bcast(y.shape, a.shape, b.shape, func(off, ia, ib, n, sa, sb int) {
			binF(o.op, y.f[off:off+n], a.f[ia:], sa, b.f[ib:], sb)
		})
		return nil
	}
	var bad bool
	bcast(y.shape, a.shape, b.shape, func(off, ia, ib, n, sa, sb int) {
		for k := 0; k < n; k++ {
			x, z := a.i[ia+k*sa], b.i[ib+k*sb]
			switch o.op {
			case opAdd:
				y.i[off+k] = x + z
			case opSub:
				y.i[off+k] = x - z
			case opMul:
				y.i[off+k] = x * z
			case opDiv:
				if z == 0 {
					bad = true
					continue
				}
				y.i[off+k] = x / z
			}
		}
	})
	if bad {
		return fmt.Errorf("integer division by zero")
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

type binTask struct {
	op      binKind
	y, a, b []float32
}

func (t *binTask) do(i int) {
	lo, hi := chunk(len(t.y), 1<<14, i)
	binF(t.op, t.y[lo:hi], t.a[lo:hi], 1, t.b[lo:hi], 1)
}

// binF computes y[k] = a[k*sa] op b[k*sb] for strides 0 or 1.
func binF(op binKind, y, a []float32, sa int, b []float32, sb int) {
	n := len(y)
	if sa == 1 && sb == 1 {
		a, b = a[:n], b[:n]
		switch op {
		case opAdd:
			for k := range y {
				y[k] = a[k] + b[k]
			}
		case opSub:
			for k := range y {
				y[k] = a[k] - b[k]
			}
		case opMul:
			for k := range y {
				y[k] = a[k] * b[k]
			}
		case opDiv:
			for k := range y {
				y[k] = a[k] / b[k]
			}
		}
		return
	}
	for k := range y {
		x, z := a[k*sa], b[k*sb]
		switch op {
		case opAdd:
			y[k] = x + z
		case opSub:
			y[k] = x - z
		case opMul:
			y[k] = x * z
		case opDiv:
			y[k] = x / z
		}
	}
}
