package nn

import (
	"fmt"
	"math"
)

// actKind is an element-wise activation, standalone or fused into a conv.
type actKind uint8

const (
	actNone actKind = iota
	actRelu
	actClip
	actSigmoid
	actHardSigmoid
	actHardSwish
	actLeakyRelu
	actTanh
)

// act is an activation with its parameters (Clip bounds in a, b;
// HardSigmoid alpha, beta; LeakyRelu alpha).
type act struct {
	kind actKind
	a, b float32
}

func (a act) apply(x []float32) {
	switch a.kind {
	case actRelu, actClip:
		lo, hi, _ := a.clampBounds()
		biasClip(x, nil, negZero, lo, hi)
	case actSigmoid:
		for k, v := range x {
			x[k] = sigmoid(v)
		}
	case actHardSigmoid:
		for k, v := range x {
			x[k] = max(0, min(1, a.a*v+a.b))
		}
	case actHardSwish:
		for k, v := range x {
			x[k] = v * max(0, min(1, v/6+0.5))
		}
	case actLeakyRelu:
		for k, v := range x {
			if v < 0 {
				x[k] = a.a * v
			}
		}
	case actTanh:
		for k, v := range x {
			x[k] = float32(math.Tanh(float64(v)))
		}
	}
}

func sigmoid(v float32) float32 {
	if v >= 0 {
		return float32(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return float32(e / (1 + e))
}

// actOp is a standalone activation node.
type actOp struct {
	act         act
	constBounds bool // Clip bounds known at load
}

func init() {
	simple := func(kind actKind) builder {
		return func(b *buildCtx) (kernel, error) {
			return &actOp{act: act{kind: kind}}, b.needInputs(1, 1, fOnly)
		}
	}
	builders["Relu"] = simple(actRelu)
	builders["Sigmoid"] = simple(actSigmoid)
	builders["HardSwish"] = simple(actHardSwish)
	builders["Tanh"] = simple(actTanh)
	builders["HardSigmoid"] = func(b *buildCtx) (kernel, error) {
		return &actOp{act: act{kind: actHardSigmoid, a: b.a.float("alpha", 0.2), b: b.a.float("beta", 0.5)}}, b.needInputs(1, 1, fOnly)
	}
	builders["LeakyRelu"] = func(b *buildCtx) (kernel, error) {
		return &actOp{act: act{kind: actLeakyRelu, a: b.a.float("alpha", 0.01)}}, b.needInputs(1, 1, fOnly)
	}
	builders["Clip"] = func(b *buildCtx) (kernel, error) {
		op := &actOp{act: act{kind: actClip, a: float32(math.Inf(-1)), b: float32(math.Inf(1))}, constBounds: true}
		if b.opset < 11 {
			op.act.a = b.a.float("min", op.act.a)
			op.act.b = b.a.float("max", op.act.b)
			return op, b.needInputs(1, 1, fOnly)
		}
		if err := b.needInputs(1, 3, fOnly); err != nil {
			return nil, err
		}
		for i := 1; i <= 2; i++ {
			if !b.has(i) {
				continue
			}
			c := b.konst(i)
			if c == nil {
				op.constBounds = false
				continue
			}
			if len(c.f) != 1 {
				return nil, fmt.Errorf("bound %d is not a scalar", i)
			}
			if i == 1 {
				op.act.a = c.f[0]
			} else {
				op.act.b = c.f[0]
			}
		}
		return op, nil
	}
}

func (o *actOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	a := o.act
	if !o.constBounds {
		for i := 1; i <= 2 && i < len(in); i++ {
			if in[i] == nil {
				continue
			}
			if len(in[i].f) != 1 {
				return fmt.Errorf("bound %d is not a scalar", i)
			}
			if i == 1 {
				a.a = in[i].f[0]
			} else {
				a.b = in[i].f[0]
			}
		}
	}
	setShape(y, x.shape...)
	if err := s.allocF(y); err != nil {
		return err
	}
	copy(y.f, x.f)
	s.actT = actTask{a: a, x: y.f}
	s.parallel(&s.actT, chunks(len(y.f), 1<<14))
	return nil
}

type actTask struct {
	a act
	x []float32
}

func (t *actTask) do(i int) {
	lo, hi := chunk(len(t.x), 1<<14, i)
	t.a.apply(t.x[lo:hi])
}

func chunks(n, size int) int { return (n + size - 1) / size }

func chunk(n, size, i int) (int, int) { return i * size, min(n, (i+1)*size) }

// identityOp copies its input (Identity, Dropout in inference).
type identityOp struct{ mask bool }

func init() {
	builders["Identity"] = func(b *buildCtx) (kernel, error) {
		return &identityOp{}, b.needInputs(1, 1, anyT)
	}
	builders["Dropout"] = func(b *buildCtx) (kernel, error) {
		b.maxOut = 2
		b.outT = []dtype{b.inT[0], dtBool}
		if b.opset < 12 {
			b.a.float("ratio", 0.5)
			if b.opset < 7 {
				b.a.int("is_test", 0)
			}
			return &identityOp{mask: true}, b.needInputs(1, 1, fOnly)
		}
		b.a.int("seed", 0)
		if err := b.needInputs(1, 3, fOnly, fOnly, []dtype{dtBool}); err != nil {
			return nil, err
		}
		if b.has(2) {
			c := b.konst(2)
			if c == nil || len(c.i) != 1 || c.i[0] != 0 {
				return nil, unsupported("training_mode input (inference only)")
			}
		}
		return &identityOp{mask: true}, nil
	}
}

func (o *identityOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	setShape(y, x.shape...)
	if err := s.alloc(y, x.dt); err != nil {
		return err
	}
	copy(y.f, x.f)
	copy(y.i, x.i)
	if o.mask && len(out) > 1 && out[1] != nil {
		m := out[1]
		setShape(m, x.shape...)
		if err := s.allocI(m, dtBool); err != nil {
			return err
		}
		for k := range m.i {
			m.i[k] = 1
		}
	}
	return nil
}
