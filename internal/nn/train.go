package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/labelfree/labelfree"
)

// TrainConfig configures FineTune and TrainHead. The zero value trains
// with Adam, learning rate 1e-3, 10 epochs, batches of 32.
type TrainConfig struct {
	// Optimizer is "adam" (default) or "sgd".
	Optimizer string
	// LearningRate defaults to 1e-3 (Adam) or 1e-2 (SGD).
	LearningRate float64
	// Epochs is the number of passes over the data (default 10).
	Epochs int
	// BatchSize is the minibatch size (default 32, at most the row count).
	BatchSize int
	// L2 is the weight decay (default 0).
	L2 float64
	// Seed seeds shuffling and new weights.
	Seed int64
}

// Validate checks the configuration.
func (c *TrainConfig) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: "nn.TrainConfig", Field: field, Reason: reason}
	}
	switch {
	case c.Optimizer != "" && c.Optimizer != "adam" && c.Optimizer != "sgd":
		return bad("Optimizer", fmt.Sprintf("%q: want \"adam\" or \"sgd\"", c.Optimizer))
	case c.LearningRate < 0 || math.IsNaN(c.LearningRate) || math.IsInf(c.LearningRate, 0):
		return bad("LearningRate", "must be finite and >= 0")
	case c.Epochs < 0:
		return bad("Epochs", "must be >= 0")
	case c.BatchSize < 0:
		return bad("BatchSize", "must be >= 0")
	case c.L2 < 0 || math.IsNaN(c.L2):
		return bad("L2", "must be >= 0")
	}
	return nil
}

// TrainReport says how training went.
type TrainReport struct {
	// Loss is the mean cross-entropy of each epoch.
	Loss []float64
	// Steps is the number of optimizer steps taken.
	Steps int
}

// gorgoniaMu serialises Gorgonia graph construction, which races on a
// package-level counter in gorgonia v0.9.18.
var gorgoniaMu sync.Mutex

// FineTune trains the part of m that follows the value named from (the
// "last blocks"), on inputs x (the value from, batch first, as computed by
// m.Truncate(from)) and class labels, with softmax cross-entropy on m's
// single output. The tail is rebuilt as a Gorgonia graph initialised from
// the model's weights; its Conv, Gemm, MatMul and Add weights are trained,
// BatchNormalization statistics stay frozen. It returns a copy of m with
// the trained weights (running on the fast engine) and the losses.
//
// Operators allowed in the tail: Conv (group 1, symmetric padding),
// BatchNormalization, Relu, GlobalAveragePool, Flatten, Gemm, MatMul, Add
// (bias or residual), and the integer Shape/Gather/Unsqueeze/Concat/Reshape
// chains exporters emit for view(). That covers training heads and
// fine-tuning the last residual blocks of ResNets.
func FineTune(ctx context.Context, m *Model, from string, x *Tensor, labels []int, cfg *TrainConfig) (*Model, *TrainReport, error) {
	if cfg == nil {
		cfg = &TrainConfig{}
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if len(m.g.outputs) != 1 {
		return nil, nil, fmt.Errorf("nn: FineTune needs a model with one output, got %d", len(m.g.outputs))
	}
	start, ok := m.g.byName[from]
	if !ok {
		return nil, nil, fmt.Errorf("nn: FineTune: no value named %q", from)
	}
	if x == nil || len(x.Shape) == 0 || x.Shape[0] == 0 || x.Len() != len(x.Data) {
		return nil, nil, errors.New("nn: FineTune: x must be a non-empty float32 tensor, batch first")
	}
	n := x.Shape[0]
	if len(labels) != n {
		return nil, nil, fmt.Errorf("nn: FineTune: %d labels for %d rows", len(labels), n)
	}
	tail, err := m.g.tail(start)
	if err != nil {
		return nil, nil, err
	}
	t := &trainer{g: m.g, tail: tail, start: start, cfg: *cfg}
	t.defaults(n)
	weights, rep, err := t.train(ctx, x, labels)
	if err != nil {
		return nil, nil, err
	}
	g2 := *m.g
	g2.vals = append([]valInfo(nil), m.g.vals...)
	for id, v := range weights {
		g2.vals[id].c = v
	}
	out, err := newModel(&g2, &m.opts)
	return out, rep, err
}

// TrainHead trains a new linear classifier (one Gemm: logits = x·Wᵀ + b)
// on feature rows x [N, D] and labels in [0, classes), and returns it as a
// Model with input "features" and output "logits".
func TrainHead(ctx context.Context, x *Tensor, labels []int, classes int, cfg *TrainConfig) (*Model, *TrainReport, error) {
	if x == nil || len(x.Shape) != 2 || x.Shape[0] == 0 || x.Shape[1] == 0 || x.Len() != len(x.Data) {
		return nil, nil, errors.New("nn: TrainHead: x must be a non-empty [N, D] float32 tensor")
	}
	if classes < 2 {
		return nil, nil, fmt.Errorf("nn: TrainHead: classes %d, want at least 2", classes)
	}
	seed := int64(0)
	if cfg != nil {
		seed = cfg.Seed
	}
	d := x.Shape[1]
	rng := rand.New(rand.NewSource(seed))
	w := &value{dt: dtFloat, shape: []int{classes, d}, f: make([]float32, classes*d)}
	bound := math.Sqrt(6 / float64(d+classes))
	for k := range w.f {
		w.f[k] = float32((rng.Float64()*2 - 1) * bound)
	}
	b := &value{dt: dtFloat, shape: []int{classes}, f: make([]float32, classes)}
	g := &graph{opset: 13, byName: map[string]int{}}
	g.vals = []valInfo{
		{name: "features", dt: dtFloat, shape: []int{-1, d}},
		{name: "W", dt: dtFloat, shape: w.shape, c: w},
		{name: "b", dt: dtFloat, shape: b.shape, c: b},
		{name: "logits", dt: dtFloat},
	}
	for k, v := range g.vals {
		g.byName[v.name] = k
	}
	g.nodes = []*node{{name: "head", op: "Gemm", in: []int{0, 1, 2}, out: []int{3},
		k: &gemmOp{alpha: 1, beta: 1, tB: true}}}
	g.inputs, g.outputs = []int{0}, []int{3}
	m, err := newModel(g, &Options{})
	if err != nil {
		return nil, nil, err
	}
	return FineTune(ctx, m, "features", x, labels, cfg)
}

// tail returns the nodes computing the graph output from value start.
func (g *graph) tail(start int) ([]*node, error) {
	avail := map[int]bool{start: true}
	var out []*node
	for _, n := range g.nodes {
		uses, other := false, ""
		for _, id := range n.in {
			switch {
			case id < 0 || g.vals[id].c != nil:
			case avail[id]:
				uses = true
			default:
				other = g.vals[id].name
			}
		}
		if !uses {
			continue
		}
		if other != "" {
			return nil, fmt.Errorf("nn: FineTune: node %q (%s) also depends on %q, computed before the cut", n.name, n.op, other)
		}
		out = append(out, n)
		for _, id := range n.out {
			if id >= 0 {
				avail[id] = true
			}
		}
	}
	if !avail[g.outputs[0]] {
		return nil, fmt.Errorf("nn: FineTune: the output %q does not depend on the cut value", g.vals[g.outputs[0]].name)
	}
	return out, nil
}

type trainer struct {
	g     *graph
	tail  []*node
	start int
	cfg   TrainConfig
}

func (t *trainer) defaults(n int) {
	if t.cfg.Optimizer == "" {
		t.cfg.Optimizer = "adam"
	}
	if t.cfg.LearningRate == 0 {
		t.cfg.LearningRate = 1e-3
		if t.cfg.Optimizer == "sgd" {
			t.cfg.LearningRate = 1e-2
		}
	}
	if t.cfg.Epochs == 0 {
		t.cfg.Epochs = 10
	}
	if t.cfg.BatchSize == 0 {
		t.cfg.BatchSize = 32
	}
	t.cfg.BatchSize = min(t.cfg.BatchSize, n)
}

// built is a Gorgonia graph of the tail for one batch size.
type built struct {
	eg        *G.ExprGraph
	x, target *G.Node
	cost      *G.Node
	learn     G.Nodes
	learnIDs  []int
	vm        G.VM
}

func (t *trainer) build(batch int, xshape []int, classes int) (*built, error) {
	gorgoniaMu.Lock()
	defer gorgoniaMu.Unlock()
	b := &built{eg: G.NewGraph()}
	shape := append([]int{batch}, xshape[1:]...)
	b.x = G.NewTensor(b.eg, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName("x"))
	nodes := map[int]*G.Node{t.start: b.x}
	learnable := map[int]*G.Node{}
	weight := func(id int, train bool) *G.Node {
		if n, ok := learnable[id]; ok {
			return n
		}
		c := t.g.vals[id].c
		data := append([]float32(nil), c.f...)
		shp := c.shape
		if len(shp) == 0 {
			shp = []int{1}
		}
		backing := tensor.New(tensor.WithShape(shp...), tensor.WithBacking(data))
		n := G.NewTensor(b.eg, tensor.Float32, len(shp), G.WithShape(shp...), G.WithValue(backing), G.WithName(fmt.Sprintf("w%d", id)))
		if train {
			learnable[id] = n
			b.learn = append(b.learn, n)
			b.learnIDs = append(b.learnIDs, id)
		}
		return n
	}
	// static holds integer shape arithmetic (Shape/Gather/Unsqueeze/Concat
	// chains from view() calls), evaluated here with the engine's kernels
	// since every shape of the Gorgonia graph is known.
	static := map[int]*value{}
	for _, n := range t.tail {
		if n.op == "Shape" {
			v := &value{}
			src := &value{shape: nodes[n.in[0]].Shape()}
			if err := runKernel(&Session{threads: 1}, n.k, []*value{src}, []*value{v}); err != nil {
				return nil, err
			}
			static[n.out[0]] = v
			continue
		}
		if vals, ok := t.staticInputs(n, static); ok {
			outs := make([]*value, len(n.out))
			for q := range outs {
				outs[q] = &value{}
			}
			if err := runKernel(&Session{threads: 1}, n.k, vals, outs); err != nil {
				return nil, fmt.Errorf("nn: FineTune: node %q (%s): %w", n.name, n.op, err)
			}
			for q, id := range n.out {
				if id >= 0 {
					static[id] = outs[q]
				}
			}
			continue
		}
		in := nodes[n.in[0]]
		var out *G.Node
		var err error
		switch k := n.k.(type) {
		case *reshapeOp:
			sh := static[n.in[1]]
			if sh == nil {
				return nil, unsupported("FineTune: Reshape to a computed shape in node %q", n.name)
			}
			probe := &value{dt: dtFloat, shape: in.Shape(), f: make([]float32, in.Shape().TotalSize())}
			res := &value{}
			if err := runKernel(&Session{threads: 1}, k, []*value{probe, sh}, []*value{res}); err != nil {
				return nil, fmt.Errorf("nn: FineTune: node %q (%s): %w", n.name, n.op, err)
			}
			out, err = G.Reshape(in, tensor.Shape(res.shape))
		case *actOp:
			if k.act.kind != actRelu {
				return nil, unsupported("FineTune: activation in node %q", n.name)
			}
			out, err = G.Rectify(in)
		case *globalPoolOp:
			if in.Dims() != 4 {
				return nil, unsupported("FineTune: GlobalAveragePool of rank %d", in.Dims())
			}
			// gorgonia's GlobalAveragePool2D has no gradient: use a mean
			// (and its Mean over two axes is wrong in v0.9.18: flatten first)
			sh := in.Shape()
			out, err = G.Reshape(in, tensor.Shape{sh[0], sh[1], sh[2] * sh[3]})
			if err == nil {
				out, err = G.Mean(out, 2)
			}
			if err == nil {
				out, err = G.Reshape(out, tensor.Shape{sh[0], sh[1], 1, 1})
			}
		case *flattenOp:
			s := in.Shape()
			axis := k.axis
			if axis < 0 {
				axis += len(s)
			}
			a, r := 1, 1
			for q, d := range s {
				if q < axis {
					a *= d
				} else {
					r *= d
				}
			}
			out, err = G.Reshape(in, tensor.Shape{a, r})
		case *gemmOp:
			if k.tA || k.alpha != 1 || t.g.vals[n.in[1]].c == nil {
				return nil, unsupported("FineTune: Gemm form in node %q", n.name)
			}
			w := weight(n.in[1], true)
			if k.tB {
				w = G.Must(G.Transpose(w))
			}
			out, err = G.Mul(in, w)
			if err == nil && len(n.in) > 2 && n.in[2] >= 0 {
				bias := weight(n.in[2], true)
				if bias.Dims() == 1 {
					bias = G.Must(G.Reshape(bias, tensor.Shape{1, bias.Shape()[0]}))
				}
				out, err = G.BroadcastAdd(out, bias, nil, []byte{0})
			}
		case *matmulOp:
			if in.Dims() != 2 || t.g.vals[n.in[1]].c == nil {
				return nil, unsupported("FineTune: MatMul form in node %q", n.name)
			}
			out, err = G.Mul(in, weight(n.in[1], true))
		case *binOp:
			other := n.in[1]
			if o := nodes[other]; o != nil && k.op == opAdd && o.Shape().Eq(in.Shape()) {
				out, err = G.Add(in, o) // residual connection
				break
			}
			if other == n.in[0] || k.op != opAdd || t.g.vals[other].c == nil {
				return nil, unsupported("FineTune: %s in node %q", n.op, n.name)
			}
			bias := weight(other, true)
			if bias.Dims() == 1 && in.Dims() == 2 {
				bias = G.Must(G.Reshape(bias, tensor.Shape{1, bias.Shape()[0]}))
				out, err = G.BroadcastAdd(in, bias, nil, []byte{0})
			} else {
				return nil, unsupported("FineTune: Add shapes in node %q", n.name)
			}
		case *convOp:
			out, err = t.conv(b, k, n, in, weight)
		case *bnOp:
			out, err = t.batchNorm(b, k, n, in)
		default:
			return nil, unsupported("FineTune: operator %s in node %q", n.op, n.name)
		}
		if err != nil {
			return nil, fmt.Errorf("nn: FineTune: node %q (%s): %w", n.name, n.op, err)
		}
		nodes[n.out[0]] = out
	}
	logits := nodes[t.g.outputs[0]]
	if logits == nil || logits.Dims() != 2 || logits.Shape()[1] != classes {
		return nil, fmt.Errorf("nn: FineTune: output must be [batch, %d] logits", classes)
	}
	b.target = G.NewMatrix(b.eg, tensor.Float32, G.WithShape(batch, classes), G.WithName("target"))
	logp, err := G.LogSoftMax(logits)
	if err != nil {
		return nil, err
	}
	prod := G.Must(G.HadamardProd(logp, b.target))
	b.cost = G.Must(G.Neg(G.Must(G.Div(G.Must(G.Sum(prod)), G.NewConstant(float32(batch))))))
	if len(b.learn) == 0 {
		return nil, errors.New("nn: FineTune: the tail has no trainable weights")
	}
	if _, err := G.Grad(b.cost, b.learn...); err != nil {
		return nil, fmt.Errorf("nn: FineTune: gradients: %w", err)
	}
	b.vm = G.NewTapeMachine(b.eg, G.BindDualValues(b.learn...))
	return b, nil
}

// staticInputs returns n's inputs when all are constants or static shape
// values.
func (t *trainer) staticInputs(n *node, static map[int]*value) ([]*value, bool) {
	vals := make([]*value, len(n.in))
	any := false
	for q, id := range n.in {
		switch {
		case id < 0:
		case static[id] != nil:
			vals[q], any = static[id], true
		case t.g.vals[id].c != nil:
			vals[q] = t.g.vals[id].c
		default:
			return nil, false
		}
	}
	return vals, any
}

func (t *trainer) conv(b *built, k *convOp, n *node, in *G.Node, weight func(int, bool) *G.Node) (*G.Node, error) {
	W := t.g.vals[n.in[1]].c
	if W == nil || len(W.shape) != 4 || k.group != 1 || in.Dims() != 4 {
		return nil, unsupported("FineTune: Conv form in node %q (need constant 2-D weights, group 1)", n.name)
	}
	s := in.Shape()
	gm, err := k.w.resolve(s[2:], W.shape[2:])
	if err != nil {
		return nil, err
	}
	pads := []int{gm.pb[1], gm.pb[2]}
	// Gorgonia pads symmetrically: accept only pads that are.
	if (gm.out[1]-1)*gm.s[1]+(gm.k[1]-1)*gm.d[1]+1 > s[2]+2*pads[0]+gm.s[1]-1 ||
		(gm.out[1]-1)*gm.s[1]+(gm.k[1]-1)*gm.d[1]+1 < s[2]+2*pads[0]-gm.s[1]+1 && k.w.autoPad != "NOTSET" {
		return nil, unsupported("FineTune: asymmetric Conv padding in node %q", n.name)
	}
	w := weight(n.in[1], true)
	out, err := G.Conv2d(in, w, tensor.Shape{W.shape[2], W.shape[3]}, pads, []int{gm.s[1], gm.s[2]}, []int{gm.d[1], gm.d[2]})
	if err != nil {
		return nil, err
	}
	if len(n.in) > 2 && n.in[2] >= 0 {
		bias := G.Must(G.Reshape(weight(n.in[2], true), tensor.Shape{1, W.shape[0], 1, 1}))
		out, err = G.BroadcastAdd(out, bias, nil, []byte{0, 2, 3})
	}
	return out, err
}

func (t *trainer) batchNorm(b *built, k *bnOp, n *node, in *G.Node) (*G.Node, error) {
	var vs [4]*value
	for q := range vs {
		vs[q] = t.g.vals[n.in[q+1]].c
		if vs[q] == nil {
			return nil, unsupported("FineTune: BatchNormalization with non-constant parameters in node %q", n.name)
		}
	}
	c := len(vs[0].f)
	scale, shift := make([]float32, c), make([]float32, c)
	for q := 0; q < c; q++ {
		kk := float32(float64(vs[0].f[q]) / math.Sqrt(float64(vs[3].f[q])+float64(k.eps)))
		scale[q], shift[q] = kk, vs[1].f[q]-vs[2].f[q]*kk
	}
	// Frozen tensors, not G.NewConstant: gorgonia merges constants of equal
	// shape regardless of their data.
	mk := func(data []float32, what string) *G.Node {
		return G.NewTensor(b.eg, tensor.Float32, 4, G.WithShape(1, c, 1, 1), G.WithName(n.name+what),
			G.WithValue(tensor.New(tensor.WithShape(1, c, 1, 1), tensor.WithBacking(data))))
	}
	out, err := G.BroadcastHadamardProd(in, mk(scale, "/scale"), nil, []byte{0, 2, 3})
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(out, mk(shift, "/shift"), nil, []byte{0, 2, 3})
}

func (t *trainer) train(ctx context.Context, x *Tensor, labels []int) (map[int]*value, *TrainReport, error) {
	n := x.Shape[0]
	outShape := t.g.vals[t.g.outputs[0]].shape
	classes := 0
	if len(outShape) == 2 && outShape[1] > 0 {
		classes = outShape[1]
	} else if c := t.outputClasses(); c > 0 {
		classes = c
	}
	if classes == 0 {
		return nil, nil, errors.New("nn: FineTune: cannot tell the number of classes from the model output")
	}
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, nil, fmt.Errorf("nn: FineTune: label %d of row %d outside [0, %d)", l, i, classes)
		}
	}
	bs := t.cfg.BatchSize
	b, err := t.build(bs, x.Shape, classes)
	if err != nil {
		return nil, nil, err
	}
	defer b.vm.Close()
	var solver G.Solver
	opts := []G.SolverOpt{G.WithLearnRate(t.cfg.LearningRate)}
	if t.cfg.L2 > 0 {
		opts = append(opts, G.WithL2Reg(t.cfg.L2))
	}
	if t.cfg.Optimizer == "sgd" {
		solver = G.NewVanillaSolver(opts...)
	} else {
		solver = G.NewAdamSolver(opts...)
	}
	per := len(x.Data) / n
	rng := rand.New(rand.NewSource(t.cfg.Seed))
	xb := make([]float32, bs*per)
	yb := make([]float32, bs*classes)
	rep := &TrainReport{}
	xt := tensor.New(tensor.WithShape(b.x.Shape()...), tensor.WithBacking(xb))
	yt := tensor.New(tensor.WithShape(bs, classes), tensor.WithBacking(yb))
	steps := (n + bs - 1) / bs
	for epoch := 0; epoch < t.cfg.Epochs; epoch++ {
		perm := rng.Perm(n)
		total := 0.0
		for s := 0; s < steps; s++ {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			// the last batch wraps around to the start of the permutation,
			// so every row is seen every epoch and batches stay full
			clear(yb)
			for q := 0; q < bs; q++ {
				row := perm[(s*bs+q)%n]
				copy(xb[q*per:(q+1)*per], x.Data[row*per:(row+1)*per])
				yb[q*classes+labels[row]] = 1
			}
			if err := G.Let(b.x, xt); err != nil {
				return nil, nil, err
			}
			if err := G.Let(b.target, yt); err != nil {
				return nil, nil, err
			}
			if err := b.vm.RunAll(); err != nil {
				return nil, nil, fmt.Errorf("nn: FineTune: %w", err)
			}
			total += float64(b.cost.Value().Data().(float32))
			if err := solver.Step(G.NodesToValueGrads(b.learn)); err != nil {
				return nil, nil, fmt.Errorf("nn: FineTune: %w", err)
			}
			b.vm.Reset()
			rep.Steps++
		}
		rep.Loss = append(rep.Loss, total/float64(steps))
	}
	weights := map[int]*value{}
	for q, id := range b.learnIDs {
		old := t.g.vals[id].c
		data := b.learn[q].Value().Data().([]float32)
		weights[id] = &value{dt: dtFloat, shape: append([]int{}, old.shape...), f: append([]float32(nil), data...)}
	}
	return weights, rep, nil
}

// outputClasses infers the class count from the last Gemm/MatMul weights.
func (t *trainer) outputClasses() int {
	for q := len(t.tail) - 1; q >= 0; q-- {
		n := t.tail[q]
		if k, ok := n.k.(*gemmOp); ok {
			if w := t.g.vals[n.in[1]].c; w != nil && len(w.shape) == 2 {
				if k.tB {
					return w.shape[0]
				}
				return w.shape[1]
			}
		}
		if _, ok := n.k.(*matmulOp); ok {
			if w := t.g.vals[n.in[1]].c; w != nil && len(w.shape) == 2 {
				return w.shape[1]
			}
		}
	}
	return 0
}
