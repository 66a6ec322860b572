package nn

import (
	"fmt"
)

// This file holds the data-movement operators: Flatten, Reshape, Squeeze,
// Unsqueeze, Concat, Transpose, Shape and Gather. They work on float32 and
// integer tensors alike.

func normAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// copyValue sizes y like x's type and copies the data (shape already set).
func copyValue(s *Session, x, y *value) error {
	if err := s.alloc(y, x.dt); err != nil {
		return err
	}
	if x.dt == dtFloat {
		if len(y.f) != len(x.f) {
			return fmt.Errorf("cannot reshape %v (%d elements) to %v", x.shape, len(x.f), y.shape)
		}
		copy(y.f, x.f)
	} else {
		if len(y.i) != len(x.i) {
			return fmt.Errorf("cannot reshape %v (%d elements) to %v", x.shape, len(x.i), y.shape)
		}
		copy(y.i, x.i)
	}
	return nil
}

type flattenOp struct{ axis int }

type reshapeOp struct{ allowZero bool }

type squeezeOp struct {
	axes    []int
	unsq    bool
	fromArg bool
}

func init() {
	builders["Flatten"] = func(b *buildCtx) (kernel, error) {
		return &flattenOp{axis: int(b.a.int("axis", 1))}, b.needInputs(1, 1, anyT)
	}
	builders["Reshape"] = func(b *buildCtx) (kernel, error) {
		return &reshapeOp{allowZero: b.a.int("allowzero", 0) != 0}, b.needInputs(2, 2, anyT, iOnly)
	}
	sq := func(unsq bool) builder {
		return func(b *buildCtx) (kernel, error) {
			op := &squeezeOp{unsq: unsq}
			if b.opset < 13 {
				op.axes, _ = b.a.ints("axes")
				if unsq && op.axes == nil {
					return nil, fmt.Errorf("axes is required")
				}
				return op, b.needInputs(1, 1, anyT)
			}
			op.fromArg = true
			if unsq {
				return op, b.needInputs(2, 2, anyT, iOnly)
			}
			return op, b.needInputs(1, 2, anyT, iOnly)
		}
	}
	builders["Squeeze"] = sq(false)
	builders["Unsqueeze"] = sq(true)
}

func (o *flattenOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	r := len(x.shape)
	axis := o.axis
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis > r {
		return fmt.Errorf("axis %d out of range for rank %d", o.axis, r)
	}
	a, b := 1, 1
	for k, d := range x.shape {
		if k < axis {
			a *= d
		} else {
			b *= d
		}
	}
	setShape(y, a, b)
	return copyValue(s, x, y)
}

func (o *reshapeOp) run(s *Session, in, out []*value) error {
	x, sh, y := in[0], in[1], out[0]
	if len(sh.shape) != 1 {
		return fmt.Errorf("shape input must be 1-D, got %v", sh.shape)
	}
	y.shape = y.shape[:0]
	infer := -1
	known := 1
	for k, d := range sh.i {
		switch {
		case d == 0 && !o.allowZero:
			if k >= len(x.shape) {
				return fmt.Errorf("shape %v: 0 at %d copies a missing dimension", sh.i, k)
			}
			d = int64(x.shape[k])
		case d == -1:
			if infer >= 0 {
				return fmt.Errorf("shape %v has more than one -1", sh.i)
			}
			infer = k
			y.shape = append(y.shape, 1)
			continue
		case d < -1 || d > MaxElements:
			return fmt.Errorf("bad dimension %d in shape %v", d, sh.i)
		}
		y.shape = append(y.shape, int(d))
		if d != 0 {
			known *= int(d)
			if known > MaxElements {
				return fmt.Errorf("shape %v too large", sh.i)
			}
		}
	}
	n := x.len()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return fmt.Errorf("cannot reshape %v to %v", x.shape, sh.i)
		}
		y.shape[infer] = n / known
	}
	return copyValue(s, x, y)
}

func (o *squeezeOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	axes := o.axes
	var buf [8]int
	if o.fromArg && len(in) > 1 && in[1] != nil {
		axes = buf[:0]
		for _, a := range in[1].i {
			if a > MaxElements || a < -MaxElements {
				return fmt.Errorf("axis %d out of range", a)
			}
			axes = append(axes, int(a))
		}
	}
	rank := len(x.shape)
	if o.unsq {
		rank += len(axes)
	}
	var mark [16]bool
	if rank > len(mark) {
		return unsupported("rank %d", rank)
	}
	for _, a := range axes {
		ax, err := normAxis(a, rank)
		if err != nil {
			return err
		}
		if mark[ax] {
			return fmt.Errorf("axis %d repeated", a)
		}
		mark[ax] = true
	}
	y.shape = y.shape[:0]
	if o.unsq {
		j := 0
		for k := 0; k < rank; k++ {
			if mark[k] {
				y.shape = append(y.shape, 1)
			} else {
				y.shape = append(y.shape, x.shape[j])
				j++
			}
		}
	} else {
		for k, d := range x.shape {
			if (axes == nil && d == 1) || mark[k] {
				if d != 1 {
					return fmt.Errorf("cannot squeeze axis %d of size %d", k, d)
				}
				continue
			}
			y.shape = append(y.shape, d)
		}
	}
	return copyValue(s, x, y)
}

type concatOp struct{ axis int }

func init() {
	builders["Concat"] = func(b *buildCtx) (kernel, error) {
		if !b.a.has("axis") {
			return nil, fmt.Errorf("axis is required")
		}
		if err := b.needInputs(1, -1, anyT); err != nil {
			return nil, err
		}
		for k := range b.inT {
			if b.inT[k] != b.inT[0] {
				return nil, fmt.Errorf("input types %s and %s differ", b.inT[0], b.inT[k])
			}
		}
		return &concatOp{axis: int(b.a.int("axis", 0))}, nil
	}
}

func (o *concatOp) run(s *Session, in, out []*value) error {
	x0, y := in[0], out[0]
	r := len(x0.shape)
	axis, err := normAxis(o.axis, r)
	if err != nil {
		return err
	}
	total := 0
	for _, x := range in {
		if len(x.shape) != r {
			return fmt.Errorf("inputs have ranks %d and %d", r, len(x.shape))
		}
		for k := range x.shape {
			if k != axis && x.shape[k] != x0.shape[k] {
				return fmt.Errorf("shapes %v and %v differ outside axis %d", x0.shape, x.shape, axis)
			}
		}
		total += x.shape[axis]
	}
	setShape(y, x0.shape...)
	y.shape[axis] = total
	if err := s.alloc(y, x0.dt); err != nil {
		return err
	}
	outer, inner := 1, 1
	for k := 0; k < axis; k++ {
		outer *= x0.shape[k]
	}
	for k := axis + 1; k < r; k++ {
		inner *= x0.shape[k]
	}
	off := 0
	for _, x := range in {
		w := x.shape[axis] * inner
		for q := 0; q < outer; q++ {
			if y.dt == dtFloat {
				copy(y.f[q*total*inner+off:], x.f[q*w:(q+1)*w])
			} else {
				copy(y.i[q*total*inner+off:], x.i[q*w:(q+1)*w])
			}
		}
		off += w
	}
	return nil
}

type transposeOp struct{ perm []int }

func init() {
	builders["Transpose"] = func(b *buildCtx) (kernel, error) {
		perm, _ := b.a.ints("perm")
		return &transposeOp{perm: perm}, b.needInputs(1, 1, anyT)
	}
}

func (o *transposeOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	r := len(x.shape)
	if r > 8 {
		return unsupported("rank %d", r)
	}
	var perm [8]int
	var seen [8]bool
	for k := 0; k < r; k++ {
		perm[k] = r - 1 - k
		if o.perm != nil {
			if len(o.perm) != r {
				return fmt.Errorf("perm %v for rank %d", o.perm, r)
			}
			perm[k] = o.perm[k]
		}
		if perm[k] < 0 || perm[k] >= r || seen[perm[k]] {
			return fmt.Errorf("bad perm %v", o.perm)
		}
		seen[perm[k]] = true
	}
	y.shape = y.shape[:0]
	var st, src [8]int
	acc := 1
	for k := r - 1; k >= 0; k-- {
		st[k] = acc
		acc *= x.shape[k]
	}
	for k := 0; k < r; k++ {
		y.shape = append(y.shape, x.shape[perm[k]])
		src[k] = st[perm[k]]
	}
	if err := s.alloc(y, x.dt); err != nil {
		return err
	}
	n := y.len()
	var idx [8]int
	off := 0
	for q := 0; q < n; q++ {
		if y.dt == dtFloat {
			y.f[q] = x.f[off]
		} else {
			y.i[q] = x.i[off]
		}
		for k := r - 1; k >= 0; k-- {
			idx[k]++
			off += src[k]
			if idx[k] < y.shape[k] {
				break
			}
			off -= src[k] * idx[k]
			idx[k] = 0
		}
	}
	return nil
}

type shapeOp struct{ start, end int64 }

type gatherOp struct{ axis int }

func init() {
	builders["Shape"] = func(b *buildCtx) (kernel, error) {
		b.outT = []dtype{dtInt64}
		op := &shapeOp{end: 1 << 40}
		if b.opset >= 15 {
			op.start = b.a.int("start", 0)
			op.end = b.a.int("end", 1<<40)
		}
		return op, b.needInputs(1, 1, anyT)
	}
	builders["Gather"] = func(b *buildCtx) (kernel, error) {
		return &gatherOp{axis: int(b.a.int("axis", 0))}, b.needInputs(2, 2, anyT, idxT)
	}
}

func (o *shapeOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	r := int64(len(x.shape))
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return max(0, min(r, v))
	}
	a, b := clamp(o.start), clamp(o.end)
	b = max(a, b)
	setShape(y, int(b-a))
	if err := s.allocI(y, dtInt64); err != nil {
		return err
	}
	for k := a; k < b; k++ {
		y.i[k-a] = int64(x.shape[k])
	}
	return nil
}

func (o *gatherOp) run(s *Session, in, out []*value) error {
	x, idx, y := in[0], in[1], out[0]
	r := len(x.shape)
	axis, err := normAxis(o.axis, r)
	if err != nil {
		return err
	}
	y.shape = append(y.shape[:0], x.shape[:axis]...)
	y.shape = append(y.shape, idx.shape...)
	y.shape = append(y.shape, x.shape[axis+1:]...)
	if err := s.alloc(y, x.dt); err != nil {
		return err
	}
	outer, inner := 1, 1
	for k := 0; k < axis; k++ {
		outer *= x.shape[k]
	}
	for k := axis + 1; k < r; k++ {
		inner *= x.shape[k]
	}
	dim := x.shape[axis]
	ni := len(idx.i)
	for q := 0; q < outer; q++ {
		for j, ix := range idx.i {
			if ix < 0 {
				ix += int64(dim)
			}
			if ix < 0 || ix >= int64(dim) {
				return fmt.Errorf("index %d out of range [0, %d)", idx.i[j], dim)
			}
			src := (q*dim + int(ix)) * inner
			dst := (q*ni + j) * inner
			if y.dt == dtFloat {
				copy(y.f[dst:dst+inner], x.f[src:src+inner])
			} else {
				copy(y.i[dst:dst+inner], x.i[src:src+inner])
			}
		}
	}
	return nil
}
