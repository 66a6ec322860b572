package nn

import (
	"fmt"
	"math"
)

// bnOp is BatchNormalization in inference mode (running statistics).
type bnOp struct{ eps float32 }

func init() {
	builders["BatchNormalization"] = func(b *buildCtx) (kernel, error) {
		if err := b.needInputs(5, 5, fOnly); err != nil {
			return nil, err
		}
		op := &bnOp{eps: b.a.float("epsilon", 1e-5)}
		b.a.float("momentum", 0.9)
		if b.opset < 7 && b.a.int("is_test", 0) == 0 {
			return nil, unsupported("is_test=0 (inference only)")
		}
		if b.opset < 9 && b.a.int("spatial", 1) != 1 {
			return nil, unsupported("spatial=0")
		}
		if b.opset >= 14 && b.a.int("training_mode", 0) != 0 {
			return nil, unsupported("training_mode (inference only)")
		}
		return op, nil
	}
}

func (o *bnOp) run(s *Session, in, out []*value) error {
	x, y := in[0], out[0]
	if len(x.shape) < 2 {
		return fmt.Errorf("input rank %d, want at least 2", len(x.shape))
	}
	c := x.shape[1]
	for k := 1; k < 5; k++ {
		if len(in[k].f) != c {
			return fmt.Errorf("input %d has %d values, want %d", k, len(in[k].f), c)
		}
	}
	setShape(y, x.shape...)
	if err := s.allocF(y); err != nil {
		return err
	}
	sp := 1
	for _, d := range x.shape[2:] {
		sp *= d
	}
	scale, bias, mean, vr := in[1].f, in[2].f, in[3].f, in[4].f
	for i := 0; i < x.shape[0]*c; i++ {
		ch := i % c
		k := float32(float64(scale[ch]) / math.Sqrt(float64(vr[ch])+float64(o.eps)))
		b := bias[ch] - mean[ch]*k
		src, dst := x.f[i*sp:(i+1)*sp], y.f[i*sp:(i+1)*sp]
		for q := range dst {
			dst[q] = src[q]*k + b
		}
	}
	return nil
}
