package nn

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// Model is a loaded, validated and optimised ONNX graph. It is immutable and
// safe for concurrent use: Run takes a Session from an internal pool.
type Model struct {
	g        *graph
	p        *plan
	opts     Options
	sessions chan *Session
	// native runs the model instead of the plan when Options.Engine is not
	// EngineGo; data is the model file it was built from.
	native native
	data   []byte
}

// Engine returns the engine that runs the model.
func (m *Model) Engine() Engine { return m.opts.Engine }

func newModel(g *graph, opts *Options) (*Model, error) {
	if err := g.fold(); err != nil {
		return nil, err
	}
	m := &Model{g: g, opts: *opts, sessions: make(chan *Session, runtime.GOMAXPROCS(0))}
	m.p = compile(g, !opts.NoFusion)
	return m, nil
}

// Opset returns the model's ai.onnx opset version.
func (m *Model) Opset() int { return int(m.g.opset) }

func (m *Model) info(ids []int) []ValueInfo {
	out := make([]ValueInfo, len(ids))
	for k, id := range ids {
		v := &m.g.vals[id]
		out[k] = ValueInfo{Name: v.name, Int64: v.dt == dtInt64}
		if v.shape != nil {
			out[k].Shape = append([]int{}, v.shape...)
		}
		if v.c != nil {
			out[k].Shape = append([]int{}, v.c.shape...)
		}
	}
	return out
}

// Inputs describes the graph inputs (initializers excluded), in order.
func (m *Model) Inputs() []ValueInfo { return m.info(m.g.inputs) }

// Outputs describes the graph outputs, in order.
func (m *Model) Outputs() []ValueInfo { return m.info(m.g.outputs) }

// Values lists the names of all values computed by nodes, in execution
// order: the candidates for Truncate.
func (m *Model) Values() []string {
	var out []string
	for _, n := range m.g.nodes {
		for _, id := range n.out {
			if id >= 0 {
				out = append(out, m.g.vals[id].name)
			}
		}
	}
	return out
}

// Truncate returns a model whose only output is the named value, with every
// node not needed to compute it removed: "cut the last layers" of a
// classifier to get a feature extractor.
func (m *Model) Truncate(outputs ...string) (*Model, error) {
	if len(outputs) == 0 {
		return nil, errors.New("nn: Truncate needs at least one output name")
	}
	g := *m.g
	g.outputs = nil
	for _, name := range outputs {
		id, ok := g.byName[name]
		if !ok {
			return nil, fmt.Errorf("nn: Truncate: no value named %q", name)
		}
		g.outputs = append(g.outputs, id)
	}
	need := make([]bool, len(g.vals))
	for _, id := range g.outputs {
		need[id] = true
	}
	var kept []*node
	for k := len(g.nodes) - 1; k >= 0; k-- {
		n := g.nodes[k]
		use := false
		for _, o := range n.out {
			use = use || (o >= 0 && need[o])
		}
		if !use {
			continue
		}
		kept = append(kept, n)
		for _, i := range n.in {
			if i >= 0 {
				need[i] = true
			}
		}
	}
	g.nodes = make([]*node, len(kept))
	for k := range kept {
		g.nodes[k] = kept[len(kept)-1-k]
	}
	var inputs []int
	for _, id := range g.inputs {
		if need[id] {
			inputs = append(inputs, id)
		}
	}
	if len(inputs) == 0 && len(g.inputs) > 0 {
		inputs = g.inputs[:1]
	}
	g.inputs = inputs
	tm, err := newModel(&g, &m.opts)
	if err != nil {
		return nil, err
	}
	if m.data != nil {
		if err := tm.attachNative(m.data); err != nil {
			return nil, err
		}
	}
	return tm, nil
}

// Run evaluates the model on the given inputs (one per Inputs entry) and
// returns freshly allocated outputs, one per Outputs entry. It is safe to
// call from many goroutines; for allocation-free steady-state inference use
// a Session.
func (m *Model) Run(ctx context.Context, inputs ...*Tensor) ([]*Tensor, error) {
	s := m.getSession()
	outs := make([]*Tensor, len(m.g.outputs))
	for k := range outs {
		outs[k] = &Tensor{}
	}
	err := s.Run(ctx, inputs, outs)
	m.putSession(s)
	if err != nil {
		return nil, err
	}
	return outs, nil
}

func (m *Model) getSession() *Session {
	select {
	case s := <-m.sessions:
		return s
	default:
		return m.NewSession()
	}
}

func (m *Model) putSession(s *Session) {
	if s.broken {
		return
	}
	select {
	case m.sessions <- s:
	default:
	}
}
