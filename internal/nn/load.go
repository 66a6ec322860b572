package nn

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/internal/nn/onnxpb"
)

// Supported opset range of the default ("" / "ai.onnx") domain. Operators
// whose pre-opset-7 forms differ (the broadcast attribute of Add/Mul/Gemm,
// consumed_inputs, Reshape's shape attribute) are rejected by the strict
// attribute and input checks rather than misread.
const (
	MinOpset = 1
	MaxOpset = 21
)

// Options configures Load. The zero value (or nil) is the default.
type Options struct {
	// MaxModelBytes caps the size of the model file read. Zero means 2 GiB.
	MaxModelBytes int64
	// MaxElements caps the elements of any tensor computed at run time
	// (zero means the package-wide MaxElements); a run that would exceed it
	// fails with an error.
	MaxElements int
	// NoFusion disables BatchNormalization folding and activation/residual
	// fusion (useful to compare against the unfused graph in tests).
	NoFusion bool
	// InputShapes replaces the declared shape of graph inputs, by input
	// name: the usual way to run a classifier's convolutional part at
	// another image size (say {"input": {1, 3, 192, 256}}). A dimension of
	// -1 leaves it free (a symbolic batch); every other dimension must be
	// positive. The rank must be the declared one, and a name that is not
	// a graph input is an error naming it. The empty name stands for the
	// first graph input, for callers that do not know its name.
	//
	// When every input's shape is then fixed, apart from a free first
	// (batch) dimension, Load checks the new shapes by running the graph
	// once on zeros (batch 1 where it is free), so that a Reshape whose
	// target shape the exporter baked in for the old size fails at load
	// with an error naming the node, not at the first Run; the outputs'
	// shapes (Model.Outputs) are then those of that run, with a free first
	// dimension where the batch is free. Set Outputs too when only part of
	// the graph is needed at the new size.
	InputShapes map[string][]int
	// Outputs, when set, cuts the graph at these values before anything
	// runs, as Model.Truncate does: nodes not needed to compute them are
	// dropped (and are not part of the InputShapes check).
	Outputs []string
	// Engine picks what runs the model: the pure-Go engine (zero value) or
	// onnxruntime (see EngineONNXRuntime).
	Engine Engine
	// ONNXRuntimeLib is the path of the onnxruntime shared library for
	// EngineONNXRuntime; "" means $LABELFREE_ONNXRUNTIME_LIB, else
	// libonnxruntime.so on the loader's path. The library is loaded once
	// per process.
	ONNXRuntimeLib string
	// ONNXRuntimeNoSpin stops onnxruntime's worker threads from spinning
	// while they wait for work (its OpenMP-like default): slower on an idle
	// machine, much faster on one whose cores are busy with other work.
	ONNXRuntimeNoSpin bool
}

// Validate checks the options.
func (o *Options) Validate() error {
	switch {
	case o.MaxModelBytes < 0:
		return &labelfree.ParamError{Stage: "nn.Load", Field: "MaxModelBytes", Reason: "must be >= 0"}
	case o.MaxElements < 0:
		return &labelfree.ParamError{Stage: "nn.Load", Field: "MaxElements", Reason: "must be >= 0"}
	case o.Engine != EngineGo && o.Engine != EngineONNXRuntime:
		return &labelfree.ParamError{Stage: "nn.Load", Field: "Engine", Reason: fmt.Sprintf("unknown engine %v", o.Engine)}
	case o.Engine == EngineONNXRuntime && !ONNXRuntimeBuilt():
		return ErrNoONNXRuntime
	}
	limit := o.MaxElements
	if limit == 0 {
		limit = MaxElements
	}
	for name, shape := range o.InputShapes {
		field := fmt.Sprintf("InputShapes[%q]", name)
		if len(shape) == 0 || len(shape) > maxInputRank {
			return &labelfree.ParamError{Stage: "nn.Load", Field: field, Reason: fmt.Sprintf("rank %d is outside 1 to %d", len(shape), maxInputRank)}
		}
		n := 1
		for k, d := range shape {
			switch {
			case d == -1:
			case d <= 0:
				return &labelfree.ParamError{Stage: "nn.Load", Field: field, Reason: fmt.Sprintf("dimension %d is %d; it must be positive, or -1 for a free one", k, d)}
			case d > limit/n:
				return &labelfree.ParamError{Stage: "nn.Load", Field: field, Reason: fmt.Sprintf("shape %v has more than %d elements", shape, limit)}
			default:
				n *= d
			}
		}
	}
	for k, name := range o.Outputs {
		if name == "" {
			return &labelfree.ParamError{Stage: "nn.Load", Field: fmt.Sprintf("Outputs[%d]", k), Reason: "empty value name"}
		}
	}
	return nil
}

// ValueInfo describes a graph input or output. Shape holds -1 for
// dimensions not fixed by the model (a symbolic batch dimension); it is nil
// when the model does not declare a shape.
type ValueInfo struct {
	Name  string
	Shape []int
	// Int64 is true for int64 (index/shape) values; false means float32.
	Int64 bool
}

// valInfo is one named value of the graph.
type valInfo struct {
	name  string
	dt    dtype
	shape []int  // declared shape, -1 for unknown dims; nil if unknown
	c     *value // constant data, or nil
}

// node is one operator application.
type node struct {
	name string
	op   string
	in   []int // value ids, -1 for an absent optional input
	out  []int // value ids, -1 for an absent optional output
	k    kernel
}

// graph is a parsed, constant-folded, unfused model.
type graph struct {
	vals    []valInfo
	nodes   []*node
	inputs  []int
	outputs []int
	opset   int64
	byName  map[string]int
	limit   int // Options.MaxElements, applied to constant folding too
}

// kernel is the run-time implementation of one node. run must write only
// into out and must not keep references to in or out after returning.
type kernel interface {
	run(s *Session, in, out []*value) error
}

// buildCtx is what an operator builder sees of its node at load time.
type buildCtx struct {
	g     *graph
	n     *onnxpb.NodeProto
	opset int64
	a     *attrs
	in    []int
	inT   []dtype
	outT  []dtype
	// maxOut is the number of outputs the kernel produces (default 1).
	maxOut int
}

// konst returns input i when it is a load-time constant.
func (b *buildCtx) konst(i int) *value {
	if i >= len(b.in) || b.in[i] < 0 {
		return nil
	}
	return b.g.vals[b.in[i]].c
}

// has reports whether optional input i is present.
func (b *buildCtx) has(i int) bool { return i < len(b.in) && b.in[i] >= 0 }

// rank returns the declared rank of input i, or -1.
func (b *buildCtx) rank(i int) int {
	if !b.has(i) {
		return -1
	}
	v := &b.g.vals[b.in[i]]
	if v.c != nil {
		return len(v.c.shape)
	}
	if v.shape == nil {
		return -1
	}
	return len(v.shape)
}

// needInputs checks the number of inputs and their element types: types
// lists, per input, the accepted element types (the last entry applies to
// the remaining inputs).
func (b *buildCtx) needInputs(min, max int, types ...[]dtype) error {
	n := len(b.in)
	for n > 0 && b.in[n-1] < 0 {
		n--
	}
	if n < min || (max >= 0 && n > max) {
		if max == min {
			return fmt.Errorf("has %d inputs, want %d", n, min)
		}
		return fmt.Errorf("has %d inputs, want %d to %d", n, min, max)
	}
	for i := 0; i < n; i++ {
		if b.in[i] < 0 {
			if i < min {
				return fmt.Errorf("input %d is required", i)
			}
			continue
		}
		ts := types[len(types)-1]
		if i < len(types) {
			ts = types[i]
		}
		ok := false
		for _, t := range ts {
			ok = ok || t == b.inT[i]
		}
		if !ok {
			return unsupported("input %d element type %s", i, b.inT[i])
		}
	}
	return nil
}

var (
	fOnly  = []dtype{dtFloat}
	iOnly  = []dtype{dtInt64}
	fOrI   = []dtype{dtFloat, dtInt64}
	anyT   = []dtype{dtFloat, dtInt64, dtInt32, dtUint8, dtInt8, dtBool}
	idxT   = []dtype{dtInt64, dtInt32}
	quantT = []dtype{dtUint8, dtInt8, dtInt32}
)

// builder validates a node and returns its kernel; it sets b.outT when the
// output types are not all the type of the first input.
type builder func(b *buildCtx) (kernel, error)

// builders maps supported op types to their builders; filled by the
// operator files' init functions.
var builders = map[string]builder{}

// SupportedOps returns the operator types Load accepts, sorted.
func SupportedOps() []string {
	ops := make([]string, 0, len(builders))
	for op := range builders {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

func unmarshal(b []byte, m proto.Message) error {
	if err := (proto.UnmarshalOptions{}).Unmarshal(b, m); err != nil {
		return fmt.Errorf("nn: malformed protobuf: %w", err)
	}
	return nil
}

// Load reads an ONNX model, validates every node and attribute, folds
// constant subgraphs and prepares the fused execution plan. Every
// unsupported operator, attribute or element type is reported here, as a
// *NodeError wrapping ErrUnsupported, never at run time.
func Load(r io.Reader, opts *Options) (*Model, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	limit := opts.MaxModelBytes
	if limit <= 0 {
		limit = 2 << 30
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("nn: reading model: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("nn: model is larger than %d bytes", limit)
	}
	mp := &onnxpb.ModelProto{}
	if err := unmarshal(data, mp); err != nil {
		return nil, err
	}
	g, err := parseGraph(mp, opts.MaxElements)
	if err != nil {
		return nil, err
	}
	if err := g.setInputShapes(opts.InputShapes); err != nil {
		return nil, err
	}
	m, err := newModel(g, opts)
	if err != nil {
		return nil, err
	}
	if len(opts.Outputs) > 0 {
		if m, err = m.Truncate(opts.Outputs...); err != nil {
			return nil, err
		}
	}
	if len(opts.InputShapes) > 0 {
		if err := m.checkShapes(); err != nil {
			return nil, err
		}
	}
	if opts.Engine == EngineONNXRuntime && m.native == nil {
		if err := m.attachNative(data); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func parseGraph(mp *onnxpb.ModelProto, limit int) (*graph, error) {
	if mp.GetGraph() == nil {
		return nil, errors.New("nn: model has no graph")
	}
	opset := int64(-1)
	for _, o := range mp.GetOpsetImport() {
		if o.GetDomain() == "" || o.GetDomain() == "ai.onnx" {
			opset = o.GetVersion()
		}
	}
	if opset < 0 {
		if mp.GetIrVersion() >= 3 {
			return nil, errors.New("nn: model imports no ai.onnx opset")
		}
		opset = 1
	}
	if opset < MinOpset || opset > MaxOpset {
		return nil, fmt.Errorf("nn: opset %d (supported %d to %d): %w", opset, MinOpset, MaxOpset, ErrUnsupported)
	}
	gp := mp.GetGraph()
	g := &graph{opset: opset, byName: map[string]int{}, limit: limit}
	add := func(v valInfo) (int, error) {
		if v.name == "" {
			return -1, errors.New("nn: value with empty name")
		}
		if _, dup := g.byName[v.name]; dup {
			return -1, fmt.Errorf("nn: value %q defined twice", v.name)
		}
		g.vals = append(g.vals, v)
		g.byName[v.name] = len(g.vals) - 1
		return len(g.vals) - 1, nil
	}
	if len(gp.GetSparseInitializer()) > 0 {
		return nil, fmt.Errorf("nn: sparse initializers: %w", ErrUnsupported)
	}
	for _, tp := range gp.GetInitializer() {
		v, err := decodeTensor(tp)
		if err != nil {
			return nil, fmt.Errorf("nn: initializer: %w", err)
		}
		if _, err := add(valInfo{name: tp.GetName(), dt: v.dt, shape: v.shape, c: v}); err != nil {
			return nil, err
		}
	}
	for _, vi := range gp.GetInput() {
		if _, isInit := g.byName[vi.GetName()]; isInit {
			continue // an initializer listed as input (IR < 4): a constant
		}
		info, err := parseValueInfo(vi)
		if err != nil {
			return nil, fmt.Errorf("nn: graph input %q: %w", vi.GetName(), err)
		}
		id, err := add(info)
		if err != nil {
			return nil, err
		}
		g.inputs = append(g.inputs, id)
	}
	for k, np := range gp.GetNode() {
		name := np.GetName()
		if name == "" {
			name = fmt.Sprintf("#%d", k)
			if len(np.GetOutput()) > 0 {
				name = np.GetOutput()[0]
			}
		}
		if err := g.addNode(np, name, add); err != nil {
			return nil, &NodeError{Node: name, Op: np.GetOpType(), Err: err}
		}
	}
	if len(gp.GetOutput()) == 0 {
		return nil, errors.New("nn: graph has no outputs")
	}
	for _, vi := range gp.GetOutput() {
		id, ok := g.byName[vi.GetName()]
		if !ok {
			return nil, fmt.Errorf("nn: graph output %q is not produced by any node", vi.GetName())
		}
		if decl, err := parseValueInfo(vi); err == nil && g.vals[id].shape == nil {
			g.vals[id].shape = decl.shape
		}
		g.outputs = append(g.outputs, id)
	}
	return g, nil
}

func parseValueInfo(vi *onnxpb.ValueInfoProto) (valInfo, error) {
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return valInfo{}, unsupported("non-tensor type")
	}
	dt, tname, ok := dtypeOf(tt.GetElemType())
	if !ok {
		return valInfo{}, unsupported("element type %s", tname)
	}
	info := valInfo{name: vi.GetName(), dt: dt}
	if tt.GetShape() != nil {
		info.shape = make([]int, len(tt.GetShape().GetDim()))
		for k, d := range tt.GetShape().GetDim() {
			info.shape[k] = -1
			if x, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
				if x.DimValue < 0 || x.DimValue > MaxElements {
					return valInfo{}, fmt.Errorf("bad dimension %d", x.DimValue)
				}
				info.shape[k] = int(x.DimValue)
			}
		}
	}
	return info, nil
}

func (g *graph) addNode(np *onnxpb.NodeProto, name string, add func(valInfo) (int, error)) error {
	if d := np.GetDomain(); d != "" && d != "ai.onnx" {
		return unsupported("operator domain %q", d)
	}
	bld, ok := builders[np.GetOpType()]
	if !ok {
		return unsupported("operator %s", np.GetOpType())
	}
	a, err := newAttrs(np)
	if err != nil {
		return err
	}
	b := &buildCtx{g: g, n: np, opset: g.opset, a: a, maxOut: 1}
	for _, in := range np.GetInput() {
		if in == "" {
			b.in = append(b.in, -1)
			b.inT = append(b.inT, dtUnknown)
			continue
		}
		id, ok := g.byName[in]
		if !ok {
			return fmt.Errorf("input %q is not defined before this node", in)
		}
		b.in = append(b.in, id)
		b.inT = append(b.inT, g.vals[id].dt)
	}
	k, err := bld(b)
	if err != nil {
		return err
	}
	if err := a.check(); err != nil {
		return err
	}
	nd := &node{name: name, op: np.GetOpType(), in: b.in, k: k}
	if len(np.GetOutput()) == 0 {
		return errors.New("node has no outputs")
	}
	for j, out := range np.GetOutput() {
		if out != "" && j >= b.maxOut {
			return unsupported("output %d (%q)", j, out)
		}
		if out == "" {
			nd.out = append(nd.out, -1)
			continue
		}
		dt := dtUnknown
		if j < len(b.outT) {
			dt = b.outT[j]
		} else if len(b.inT) > 0 {
			dt = b.inT[0]
		}
		id, err := add(valInfo{name: out, dt: dt})
		if err != nil {
			return err
		}
		nd.out = append(nd.out, id)
	}
	g.nodes = append(g.nodes, nd)
	// Fold now, so that later builders see this node's outputs as
	// constants (Clip bounds, Reshape shapes, Pad pads...).
	return g.foldLast()
}
