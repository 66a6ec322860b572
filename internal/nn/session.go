package nn

import (
	"context"
	"fmt"
	"runtime"
)

// Session runs a Model with buffers it keeps between calls, so that repeated
// runs on same-shaped inputs allocate nothing. A Session is not safe for
// concurrent use; create one per goroutine (Model.Run pools them).
type Session struct {
	p       *plan
	vals    []value
	ins     [][]*value
	outs    [][]*value
	free    [][]float32
	threads int
	limit   int
	job     job
	broken  bool
	native  native
	natIn   []*Tensor
	natOut  []*Tensor

	// task scratch, reused so that parallel loops do not allocate
	gemmT   gemmTask
	convT   convBatchTask
	im2colT im2colTask
	dwT     dwTask
	poolT   poolTask
	actT    actTask
	binT    binTask
}

// NewSession returns a Session using all GOMAXPROCS threads.
func (m *Model) NewSession() *Session {
	p := m.p
	s := &Session{p: p, vals: make([]value, len(p.vals)), threads: min(runtime.GOMAXPROCS(0), maxThreads), limit: m.opts.MaxElements, native: m.native}
	ptr := func(id int) *value {
		if id < 0 {
			return nil
		}
		if c := p.vals[id].c; c != nil {
			return c
		}
		return &s.vals[id]
	}
	for _, st := range p.steps {
		in := make([]*value, len(st.in))
		for k, id := range st.in {
			in[k] = ptr(id)
		}
		out := make([]*value, len(st.out))
		for k, id := range st.out {
			out[k] = ptr(id)
		}
		s.ins = append(s.ins, in)
		s.outs = append(s.outs, out)
	}
	return s
}

// SetThreads limits the number of goroutines one run uses (at least 1).
// It has no effect on EngineONNXRuntime, whose thread pool is set at load
// (GOMAXPROCS threads).
func (s *Session) SetThreads(n int) {
	n = max(1, min(n, maxThreads))
	s.threads = n
}

// Run evaluates the model. outputs must have one non-nil entry per model
// output; their Shape and Data (or Int64) are overwritten, reusing their
// capacity. Inputs are read, never written, and not retained.
func (s *Session) Run(ctx context.Context, inputs, outputs []*Tensor) (err error) {
	g := s.p.g
	if len(inputs) != len(g.inputs) {
		return fmt.Errorf("nn: got %d inputs, model has %d", len(inputs), len(g.inputs))
	}
	if len(outputs) != len(g.outputs) {
		return fmt.Errorf("nn: got %d output tensors, model has %d outputs", len(outputs), len(g.outputs))
	}
	for k, id := range g.inputs {
		if err := s.bindInput(id, inputs[k]); err != nil {
			return err
		}
	}
	defer func() {
		for _, id := range g.inputs {
			v := &s.vals[id]
			v.f, v.i, v.shape = nil, nil, nil
		}
		if r := recover(); r != nil {
			s.broken = true
			err = fmt.Errorf("nn: internal error: %v", r)
		}
	}()
	if s.native != nil {
		for k, o := range outputs {
			if o == nil {
				return fmt.Errorf("nn: output tensor %d is nil", k)
			}
		}
		// Session-owned copies, so that the caller's slices do not escape
		// through the interface call (the Go path allocates nothing).
		s.natIn = append(s.natIn[:0], inputs...)
		s.natOut = append(s.natOut[:0], outputs...)
		return s.native.run(ctx, s.natIn, s.natOut)
	}
	for k, st := range s.p.steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := st.k.run(s, s.ins[k], s.outs[k]); err != nil {
			return fmt.Errorf("nn: node %q (%s): %w", st.name, st.op, err)
		}
		for _, id := range st.release {
			v := &s.vals[id]
			if v.f != nil {
				s.putBuf(v.f)
				v.f = nil
			}
		}
	}
	for k, id := range g.outputs {
		v := &s.vals[id]
		if c := s.p.vals[id].c; c != nil {
			v = c
		}
		o := outputs[k]
		if o == nil {
			return fmt.Errorf("nn: output tensor %d is nil", k)
		}
		o.Shape = append(o.Shape[:0], v.shape...)
		if v.dt == dtFloat {
			o.Data = append(o.Data[:0], v.f...)
			o.Int64 = nil
		} else {
			o.Int64 = append(o.Int64[:0], v.i...)
			o.Data = nil
		}
	}
	return nil
}

func (s *Session) bindInput(id int, t *Tensor) error {
	info := &s.p.g.vals[id]
	if t == nil {
		return fmt.Errorf("nn: input %q is nil", info.name)
	}
	n, err := numel(t.Shape)
	if err != nil {
		return fmt.Errorf("nn: input %q: %w", info.name, err)
	}
	if info.shape != nil {
		ok := len(info.shape) == len(t.Shape)
		for k := 0; ok && k < len(t.Shape); k++ {
			ok = info.shape[k] < 0 || info.shape[k] == t.Shape[k]
		}
		if !ok {
			return fmt.Errorf("nn: input %q has shape %v, model wants %v", info.name, t.Shape, info.shape)
		}
	}
	v := &s.vals[id]
	v.dt = info.dt
	v.shape = t.Shape
	if info.dt == dtFloat {
		if len(t.Data) != n {
			return fmt.Errorf("nn: input %q: shape %v needs %d float32s, got %d", info.name, t.Shape, n, len(t.Data))
		}
		v.f = t.Data
		return nil
	}
	if len(t.Int64) != n {
		return fmt.Errorf("nn: input %q: shape %v needs %d integers, got %d", info.name, t.Shape, n, len(t.Int64))
	}
	v.i = t.Int64
	return nil
}

// getBuf returns a float buffer of length n, best fit from the free list.
func (s *Session) getBuf(n int) []float32 {
	best := -1
	for k, b := range s.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(s.free[best])) {
			best = k
		}
	}
	if best < 0 {
		return make([]float32, n)
	}
	b := s.free[best]
	last := len(s.free) - 1
	s.free[best] = s.free[last]
	s.free[last] = nil
	s.free = s.free[:last]
	return b[:n]
}

func (s *Session) putBuf(b []float32) {
	if cap(b) > 0 {
		s.free = append(s.free, b)
	}
}

// allocF sizes v as a float32 tensor of v.shape.
func (s *Session) allocF(v *value) error {
	n, err := s.numel(v.shape)
	if err != nil {
		return err
	}
	v.dt = dtFloat
	v.i = nil
	if cap(v.f) >= n {
		v.f = v.f[:n]
		return nil
	}
	if v.f != nil {
		s.putBuf(v.f)
	}
	v.f = s.getBuf(n)
	return nil
}

// allocI sizes v as an integer tensor of v.shape.
func (s *Session) allocI(v *value, dt dtype) error {
	n, err := s.numel(v.shape)
	if err != nil {
		return err
	}
	v.dt = dt
	if v.f != nil {
		s.putBuf(v.f)
		v.f = nil
	}
	if cap(v.i) >= n {
		v.i = v.i[:n]
	} else {
		v.i = make([]int64, n)
	}
	return nil
}

// alloc sizes v with the element type dt.
func (s *Session) alloc(v *value, dt dtype) error {
	if dt == dtFloat {
		return s.allocF(v)
	}
	return s.allocI(v, dt)
}

// setShape sets v.shape without allocating when capacity allows.
func setShape(v *value, dims ...int) { v.shape = append(v.shape[:0], dims...) }

// numel is numel with the session's element limit.
func (s *Session) numel(shape []int) (int, error) {
	n, err := numel(shape)
	if err == nil && s.limit > 0 && n > s.limit {
		err = fmt.Errorf("shape %v has more than %d elements (Options.MaxElements)", shape, s.limit)
	}
	return n, err
}

// checkWork bounds the multiply-adds of one window operator to 64 times
// the element limit, so that hostile kernel and pad attributes cannot make
// a tiny model run for hours.
func (s *Session) checkWork(outElems, perOutput int) error {
	limit := s.limit
	if limit <= 0 {
		limit = MaxElements
	}
	if perOutput > 0 && outElems > 64*limit/perOutput {
		return fmt.Errorf("operator needs more than %d multiply-adds", 64*limit)
	}
	return nil
}
