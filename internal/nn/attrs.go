package nn

import (
	"fmt"
	"sort"

	"github.com/labelfree/labelfree/internal/nn/onnxpb"
)

// attrs gives typed access to a node's attributes and remembers which ones
// the operator's builder asked for, so that any attribute it does not know is
// reported at load time instead of being silently ignored.
type attrs struct {
	m    map[string]*onnxpb.AttributeProto
	used map[string]bool
	err  error
}

func newAttrs(n *onnxpb.NodeProto) (*attrs, error) {
	a := &attrs{m: map[string]*onnxpb.AttributeProto{}, used: map[string]bool{}}
	for _, p := range n.GetAttribute() {
		if p.GetRefAttrName() != "" {
			return nil, unsupported("attribute %q refers to a function attribute", p.GetName())
		}
		if _, dup := a.m[p.GetName()]; dup {
			return nil, fmt.Errorf("attribute %q given twice", p.GetName())
		}
		a.m[p.GetName()] = p
	}
	return a, nil
}

func (a *attrs) get(name string, t onnxpb.AttributeProto_AttributeType) *onnxpb.AttributeProto {
	a.used[name] = true
	p, ok := a.m[name]
	if !ok {
		return nil
	}
	if p.GetType() != t && p.GetType() != onnxpb.AttributeProto_UNDEFINED {
		if a.err == nil {
			a.err = fmt.Errorf("attribute %q has type %s, want %s", name, p.GetType(), t)
		}
		return nil
	}
	return p
}

func (a *attrs) has(name string) bool { _, ok := a.m[name]; return ok }

func (a *attrs) int(name string, def int64) int64 {
	if p := a.get(name, onnxpb.AttributeProto_INT); p != nil {
		return p.GetI()
	}
	return def
}

func (a *attrs) float(name string, def float32) float32 {
	if p := a.get(name, onnxpb.AttributeProto_FLOAT); p != nil {
		return p.GetF()
	}
	return def
}

func (a *attrs) str(name, def string) string {
	if p := a.get(name, onnxpb.AttributeProto_STRING); p != nil {
		return string(p.GetS())
	}
	return def
}

// ints returns an INTS attribute converted to int, checking magnitudes.
func (a *attrs) ints(name string) ([]int, bool) {
	p := a.get(name, onnxpb.AttributeProto_INTS)
	if p == nil {
		return nil, false
	}
	out := make([]int, len(p.GetInts()))
	for k, x := range p.GetInts() {
		if x > MaxElements || x < -MaxElements {
			if a.err == nil {
				a.err = fmt.Errorf("attribute %q: value %d out of range", name, x)
			}
			return nil, false
		}
		out[k] = int(x)
	}
	return out, true
}

func (a *attrs) floats(name string) ([]float32, bool) {
	p := a.get(name, onnxpb.AttributeProto_FLOATS)
	if p == nil {
		return nil, false
	}
	return p.GetFloats(), true
}

func (a *attrs) tensor(name string) *onnxpb.TensorProto {
	if p := a.get(name, onnxpb.AttributeProto_TENSOR); p != nil {
		return p.GetT()
	}
	return nil
}

// check reports a type error or the first attribute no builder asked for.
func (a *attrs) check() error {
	if a.err != nil {
		return a.err
	}
	var unknown []string
	for name := range a.m {
		if !a.used[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return unsupported("attribute %q", unknown[0])
	}
	return nil
}
