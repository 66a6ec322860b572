package nn

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// maxInputRank bounds the rank of an Options.InputShapes entry.
const maxInputRank = 8

// setInputShapes applies Options.InputShapes to the parsed graph: every
// name must be a graph input of the declared rank. The outputs' declared
// shapes, which were for the old inputs, are forgotten.
func (g *graph) setInputShapes(shapes map[string][]int) error {
	if len(shapes) == 0 {
		return nil
	}
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	sort.Strings(names)
	isInput := map[int]bool{}
	for _, id := range g.inputs {
		isInput[id] = true
	}
	for _, name := range names {
		shape := shapes[name]
		if name == "" {
			if len(g.inputs) == 0 {
				return errors.New("nn: Options.InputShapes: the model has no inputs")
			}
			name = g.vals[g.inputs[0]].name
			if _, dup := shapes[name]; dup {
				return fmt.Errorf("nn: Options.InputShapes: input %q is given twice (also as \"\", the first input)", name)
			}
		}
		id, ok := g.byName[name]
		if !ok || !isInput[id] {
			what := "no input"
			if ok && g.vals[id].c != nil {
				what = "an initializer, not an input,"
			} else if ok {
				what = "a computed value, not an input,"
			}
			return fmt.Errorf("nn: Options.InputShapes: the model has %s named %q (inputs: %s)", what, name, g.inputNames())
		}
		v := &g.vals[id]
		if v.shape != nil && len(v.shape) != len(shape) {
			return fmt.Errorf("nn: Options.InputShapes: input %q has rank %d (shape %v), got shape %v", name, len(v.shape), v.shape, shape)
		}
		v.shape = append([]int(nil), shape...)
	}
	for _, id := range g.outputs {
		if g.vals[id].c == nil && !isInput[id] {
			g.vals[id].shape = nil
		}
	}
	return nil
}

func (g *graph) inputNames() string {
	var names []string
	for _, id := range g.inputs {
		names = append(names, fmt.Sprintf("%q", g.vals[id].name))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// checkShapes runs the model once on zeros at its inputs' shapes (batch 1
// where the first dimension is free) and records the outputs' shapes. It
// does nothing when some input has a free dimension other than the first,
// or no declared shape.
func (m *Model) checkShapes() error {
	g := m.g
	ins := make([]*Tensor, len(g.inputs))
	free := false
	for k, id := range g.inputs {
		v := &g.vals[id]
		if v.shape == nil {
			return nil
		}
		shape := append([]int(nil), v.shape...)
		for j, d := range shape {
			if d < 0 {
				if j > 0 {
					return nil
				}
				shape[j], free = 1, true
			}
		}
		n, err := numel(shape)
		if err != nil {
			return fmt.Errorf("nn: input %q: %w", v.name, err)
		}
		ins[k] = &Tensor{Shape: shape}
		if v.dt == dtFloat {
			ins[k].Data = make([]float32, n)
		} else {
			ins[k].Int64 = make([]int64, n)
		}
	}
	outs, err := m.Run(context.Background(), ins...)
	if err != nil {
		return fmt.Errorf("nn: checking Options.InputShapes: %w", err)
	}
	for k, id := range g.outputs {
		v := &g.vals[id]
		if v.c != nil {
			continue
		}
		v.shape = append([]int(nil), outs[k].Shape...)
		if free && len(v.shape) > 0 && v.shape[0] == 1 {
			v.shape[0] = -1
		}
	}
	return nil
}
