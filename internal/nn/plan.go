package nn

import (
	"fmt"
	"math"
	"runtime"
)

// step is one kernel invocation of the execution plan.
type step struct {
	name, op string
	k        kernel
	in, out  []int
	release  []int // values dead after this step
}

// plan is a graph after fusion, with buffer lifetimes.
type plan struct {
	g     *graph
	vals  []valInfo // g.vals plus constants created by fusion
	steps []step
}

// fold evaluates, once at load, every node whose inputs are all constants
// (initializers, Constant nodes, and chains of them: Shape/Gather/Unsqueeze/
// Concat/Reshape arithmetic, DequantizeLinear of quantised weights).
func (g *graph) fold() error {
	nodes := g.nodes
	g.nodes = nil
	for _, n := range nodes {
		g.nodes = append(g.nodes, n)
		if err := g.foldLast(); err != nil {
			return err
		}
	}
	return nil
}

// foldLast evaluates the last node when all its inputs are constants.
func (g *graph) foldLast() error {
	s := &Session{threads: min(runtime.GOMAXPROCS(0), maxThreads), limit: g.limit}
	kept := g.nodes[:len(g.nodes)-1]
	for _, n := range g.nodes[len(g.nodes)-1:] {
		all := true
		for _, id := range n.in {
			all = all && (id < 0 || g.vals[id].c != nil)
		}
		if !all {
			kept = append(kept, n)
			continue
		}
		in := make([]*value, len(n.in))
		for k, id := range n.in {
			if id >= 0 {
				in[k] = g.vals[id].c
			}
		}
		out := make([]*value, len(n.out))
		for k, id := range n.out {
			if id >= 0 {
				out[k] = &value{}
			}
		}
		if err := runKernel(s, n.k, in, out); err != nil {
			return &NodeError{Node: n.name, Op: n.op, Err: err}
		}
		for k, id := range n.out {
			if id >= 0 {
				g.vals[id].c = out[k]
				g.vals[id].dt = out[k].dt
				g.vals[id].shape = out[k].shape
			}
		}
	}
	g.nodes = kept
	return nil
}

func runKernel(s *Session, k kernel, in, out []*value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return k.run(s, in, out)
}

// compile builds the execution plan, fusing (when fuse is set)
// Conv+BatchNormalization, Conv+residual Add and Conv+activation.
func compile(g *graph, fuse bool) *plan {
	p := &plan{g: g, vals: append([]valInfo(nil), g.vals...)}
	nodes := make([]*node, len(g.nodes))
	for k, n := range g.nodes {
		c := *n
		nodes[k] = &c
	}
	if fuse {
		nodes = p.fuse(nodes)
	}
	for _, n := range nodes {
		if cv, ok := n.k.(*convOp); ok && len(n.in) > 1 && n.in[1] >= 0 {
			n.k = cv.prepack(p.vals[n.in[1]].c)
		}
	}
	last := make([]int, len(p.vals))
	for k := range last {
		last[k] = -1
	}
	for k, n := range nodes {
		for _, id := range n.out {
			if id >= 0 {
				last[id] = k
			}
		}
		for _, id := range n.in {
			if id >= 0 {
				last[id] = k
			}
		}
	}
	keep := make([]bool, len(p.vals))
	for _, id := range g.outputs {
		keep[id] = true
	}
	for _, id := range g.inputs {
		keep[id] = true
	}
	for k, n := range nodes {
		st := step{name: n.name, op: n.op, k: n.k, in: n.in, out: n.out}
		seen := map[int]bool{}
		for _, ids := range [][]int{n.in, n.out} {
			for _, id := range ids {
				if id >= 0 && !keep[id] && p.vals[id].c == nil && last[id] == k && !seen[id] {
					seen[id] = true
					st.release = append(st.release, id)
				}
			}
		}
		p.steps = append(p.steps, st)
	}
	return p
}

func (p *plan) addConst(name string, v *value) int {
	p.vals = append(p.vals, valInfo{name: name, dt: v.dt, shape: v.shape, c: v})
	return len(p.vals) - 1
}

// fuse rewrites conv chains. A node is fused into the conv before it only
// when the conv's output feeds that node alone and is not a graph output.
func (p *plan) fuse(nodes []*node) []*node {
	g := p.g
	uses := map[int]int{}
	consumer := map[int]int{}
	for k, n := range nodes {
		for _, id := range n.in {
			if id >= 0 {
				uses[id]++
				consumer[id] = k
			}
		}
	}
	for _, id := range g.outputs {
		uses[id] += 2
	}
	next := func(n *node) (int, *node) {
		o := n.out[0]
		if o < 0 || uses[o] != 1 {
			return -1, nil
		}
		return consumer[o], nodes[consumer[o]]
	}
	for i := range nodes {
		n := nodes[i]
		if n == nil {
			continue
		}
		cv, ok := n.k.(*convOp)
		if !ok {
			continue
		}
		for {
			j, c := next(n)
			if c == nil {
				break
			}
			var fused *convOp
			var in []int
			if c.in[0] != n.out[0] && c.op != "Add" {
				break
			}
			switch k := c.k.(type) {
			case *bnOp:
				if cv.act.kind != actNone || cv.sum || !p.allConst(n.in[1:]) || !p.allConst(c.in[1:5]) {
					break
				}
				w, b := p.foldBN(n, c, k.eps)
				if w == nil {
					break
				}
				f := *cv
				fused = &f
				in = []int{n.in[0], p.addConst(c.name+"/W", w), p.addConst(c.name+"/B", b)}
			case *binOp:
				if k.op != opAdd || cv.act.kind != actNone || cv.sum || c.in[0] == c.in[1] {
					break
				}
				other := c.in[0]
				if other == n.out[0] {
					other = c.in[1]
				}
				f := *cv
				f.sum = true
				fused = &f
				in = []int{n.in[0], n.in[1], -1, other}
				if len(n.in) > 2 {
					in[2] = n.in[2]
				}
			case *actOp:
				if cv.act.kind != actNone || (k.act.kind == actClip && !k.constBounds) {
					break
				}
				f := *cv
				f.act = k.act
				fused = &f
				in = n.in
			}
			if fused == nil {
				break
			}
			nn := &node{name: n.name + "+" + c.name, op: n.op, in: in, out: c.out, k: fused}
			nodes[j] = nn
			nodes[i] = nil
			for _, id := range n.in {
				if id >= 0 {
					uses[id]--
				}
			}
			for _, id := range c.in {
				if id >= 0 {
					uses[id]--
				}
			}
			for _, id := range in {
				if id >= 0 {
					uses[id]++
					consumer[id] = j
				}
			}
			n, cv, i = nn, fused, j
		}
	}
	out := nodes[:0]
	for _, n := range nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

func (p *plan) allConst(ids []int) bool {
	for _, id := range ids {
		if id < 0 || p.vals[id].c == nil {
			return false
		}
	}
	return true
}

// foldBN returns conv weights and bias with the BatchNormalization folded
// in, or nil when shapes do not line up.
func (p *plan) foldBN(conv, bn *node, eps float32) (w, b *value) {
	W := p.vals[conv.in[1]].c
	if len(W.shape) < 3 || W.dt != dtFloat {
		return nil, nil
	}
	m := W.shape[0]
	per := len(W.f) / max(m, 1)
	var cb []float32
	if len(conv.in) > 2 && conv.in[2] >= 0 {
		cb = p.vals[conv.in[2]].c.f
		if len(cb) != m {
			return nil, nil
		}
	}
	scale, bias, mean, vr := p.vals[bn.in[1]].c, p.vals[bn.in[2]].c, p.vals[bn.in[3]].c, p.vals[bn.in[4]].c
	for _, v := range []*value{scale, bias, mean, vr} {
		if v.dt != dtFloat || len(v.f) != m {
			return nil, nil
		}
	}
	w = &value{dt: dtFloat, shape: append([]int{}, W.shape...), f: make([]float32, len(W.f))}
	b = &value{dt: dtFloat, shape: []int{m}, f: make([]float32, m)}
	for o := 0; o < m; o++ {
		k := float64(scale.f[o]) / math.Sqrt(float64(vr.f[o])+float64(eps))
		for j := 0; j < per; j++ {
			w.f[o*per+j] = float32(float64(W.f[o*per+j]) * k)
		}
		c0 := 0.0
		if cb != nil {
			c0 = float64(cb[o])
		}
		b.f[o] = float32((c0-float64(mean.f[o]))*k + float64(bias.f[o]))
	}
	return w, b
}
