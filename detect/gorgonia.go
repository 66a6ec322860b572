package detect

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/labelfree/labelfree"
)

// graphMu serialises Gorgonia graph construction, which races on a
// package-level counter in gorgonia v0.9.
var graphMu sync.Mutex

// headGraph is the head's training graph for batches of n cells.
type headGraph struct {
	vm                      G.VM
	learn                   []*G.Node
	x, pos, neg, regT, regM *tensor.Dense
	heat, reg, cost         *G.Node
}

// newHeadGraph builds the graph. The head's parameter slices are the
// backing arrays of the weight nodes, so updating them in place updates
// the model.
func newHeadGraph(h *head, n int) (*headGraph, error) {
	graphMu.Lock()
	defer graphMu.Unlock()
	g := G.NewGraph()
	hg := &headGraph{
		x:    tensor.New(tensor.WithShape(n, h.In), tensor.Of(tensor.Float32)),
		pos:  tensor.New(tensor.WithShape(n, h.K), tensor.Of(tensor.Float32)),
		neg:  tensor.New(tensor.WithShape(n, h.K), tensor.Of(tensor.Float32)),
		regT: tensor.New(tensor.WithShape(n, regOut), tensor.Of(tensor.Float32)),
		regM: tensor.New(tensor.WithShape(n, regOut), tensor.Of(tensor.Float32)),
	}
	mat := func(name string, t *tensor.Dense) *G.Node {
		return G.NewMatrix(g, tensor.Float32, G.WithName(name), G.WithShape(t.Shape()...), G.WithValue(t))
	}
	param := func(name string, data []float32, shape ...int) *G.Node {
		t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
		var n *G.Node
		if len(shape) == 1 {
			n = G.NewVector(g, tensor.Float32, G.WithName(name), G.WithShape(shape...), G.WithValue(t))
		} else {
			n = G.NewMatrix(g, tensor.Float32, G.WithName(name), G.WithShape(shape...), G.WithValue(t))
		}
		hg.learn = append(hg.learn, n)
		return n
	}
	x := mat("x", hg.x)
	pos, neg := mat("pos", hg.pos), mat("neg", hg.neg)
	regT, regM := mat("regT", hg.regT), mat("regM", hg.regM)
	w1 := param("w1", h.W1, h.In, h.Hidden)
	b1 := param("b1", h.B1, h.Hidden)
	wc := param("wc", h.Wc, h.Hidden, h.K)
	bc := param("bc", h.Bc, h.K)
	wr := param("wr", h.Wr, h.Hidden, regOut)
	br := param("br", h.Br, regOut)

	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	hid := must(G.Rectify(must(G.BroadcastAdd(must(G.Mul(x, w1)), b1, nil, []byte{0}))))
	hg.heat = must(G.BroadcastAdd(must(G.Mul(hid, wc)), bc, nil, []byte{0}))
	hg.reg = must(G.BroadcastAdd(must(G.Mul(hid, wr)), br, nil, []byte{0}))
	if err != nil {
		return nil, fmt.Errorf("detect: building head graph: %w", err)
	}
	// Penalty-reduced focal loss (CenterNet, α=2, β=4 folded into neg):
	// pos·(1−p)²·(−log p) + neg·p²·(−log(1−p)), with −log p = softplus(−l)
	// and −log(1−p) = softplus(l) for numerical stability.
	l := hg.heat
	nl := must(G.Neg(l))
	posTerm := must(G.HadamardProd(pos, must(G.HadamardProd(must(G.Square(must(G.Sigmoid(nl)))), must(G.Softplus(nl))))))
	negTerm := must(G.HadamardProd(neg, must(G.HadamardProd(must(G.Square(must(G.Sigmoid(l)))), must(G.Softplus(l))))))
	regTerm := must(G.HadamardProd(regM, must(G.Abs(must(G.Sub(hg.reg, regT))))))
	hg.cost = must(G.Add(must(G.Add(must(G.Sum(posTerm)), must(G.Sum(negTerm)))), must(G.Sum(regTerm))))
	if err != nil {
		return nil, fmt.Errorf("detect: building head loss: %w", err)
	}
	if _, err := G.Grad(hg.cost, hg.learn...); err != nil {
		return nil, fmt.Errorf("detect: differentiating head loss: %w", err)
	}
	hg.vm = G.NewTapeMachine(g, G.BindDualValues(hg.learn...))
	return hg, nil
}

// step runs the graph once and returns the cost; gradients are left on
// the learnable nodes.
func (hg *headGraph) step() (float64, [][]float32, error) {
	hg.vm.Reset()
	if err := hg.vm.RunAll(); err != nil {
		return 0, nil, fmt.Errorf("detect: head step: %w", err)
	}
	cost := float64(hg.cost.Value().Data().(float32))
	grads := make([][]float32, len(hg.learn))
	for i, n := range hg.learn {
		g, err := n.Grad()
		if err != nil {
			return 0, nil, fmt.Errorf("detect: gradient of %s: %w", n.Name(), err)
		}
		grads[i] = g.Data().([]float32)
	}
	return cost, grads, nil
}

// zeroGrads clears the accumulated gradients.
func (hg *headGraph) zeroGrads() {
	for _, n := range hg.learn {
		if g, err := n.Grad(); err == nil {
			if t, ok := g.(tensor.Tensor); ok {
				t.Zero()
			}
		}
	}
}

// adamState is AdamW's moment estimates, one slice per parameter.
type adamState struct {
	M, V [][]float32
	Step int
}

func newAdam(h *head) adamState {
	var a adamState
	for _, p := range h.params() {
		a.M = append(a.M, make([]float32, len(p)))
		a.V = append(a.V, make([]float32, len(p)))
	}
	return a
}

// update applies one AdamW step; decay applies to the weight matrices
// (parameters 0, 2 and 4), not the biases.
func (a *adamState) update(params, grads [][]float32, lr, decay float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.Step++
	c1 := 1 - math.Pow(b1, float64(a.Step))
	c2 := 1 - math.Pow(b2, float64(a.Step))
	for i, p := range params {
		g, m, v := grads[i], a.M[i], a.V[i]
		wd := float32(0)
		if i%2 == 0 {
			wd = float32(lr * decay)
		}
		for j := range p {
			m[j] = b1*m[j] + (1-b1)*g[j]
			v[j] = b2*v[j] + (1-b2)*g[j]*g[j]
			mh := float64(m[j]) / c1
			vh := float64(v[j]) / c2
			p[j] -= float32(lr*mh/(math.Sqrt(vh)+eps)) + wd*p[j]
		}
	}
}

// initHead draws the initial head: He-normal 3×3 weights, small output
// weights, the focal-loss prior (π = 0.01) on the heatmap bias and the
// mean training box size on the size bias.
func initHead(s settings, c int, train []sample, strideX, strideY float64) *head {
	rng := rand.New(rand.NewPCG(s.Seed, 0x696e6974))
	h := &head{In: 9 * c, Hidden: s.Hidden, K: len(s.Classes)}
	h.W1 = make([]float32, h.In*h.Hidden)
	sd := math.Sqrt(2 / float64(h.In))
	for i := range h.W1 {
		h.W1[i] = float32(rng.NormFloat64() * sd)
	}
	h.B1 = make([]float32, h.Hidden)
	h.Wc = make([]float32, h.Hidden*h.K)
	h.Wr = make([]float32, h.Hidden*regOut)
	for i := range h.Wc {
		h.Wc[i] = float32(rng.NormFloat64() * 0.01)
	}
	for i := range h.Wr {
		h.Wr[i] = float32(rng.NormFloat64() * 0.01)
	}
	h.Bc = make([]float32, h.K)
	for k := range h.Bc {
		h.Bc[k] = float32(-math.Log((1 - 0.01) / 0.01))
	}
	var lw, lh float64
	n := 0
	for _, sm := range train {
		for _, b := range sm.boxes {
			lw += math.Log(math.Max(b.Width()/strideX, 1e-3))
			lh += math.Log(math.Max(b.Height()/strideY, 1e-3))
			n++
		}
	}
	h.Br = make([]float32, regOut)
	if n > 0 {
		h.Br[0], h.Br[1] = float32(lw/float64(n)), float32(lh/float64(n))
	}
	h.Br[2], h.Br[3] = 0.5, 0.5
	return h
}

// fillTargets writes one view's targets for its H·W cells: pos is 1 at
// each box's centre cell, neg is (1−Y)⁴ elsewhere with Y the elliptical
// Gaussian heatmap (TTFNet's, σ = α·size/6, α = 0.54, at least half a
// cell), regT holds log width, log height (in cells) and the centre's
// offset within its cell at centre cells, where regM is 1. It returns the
// number of centres.
func fillTargets(boxes []labelfree.Box, H, W, K int, sx, sy float64, pos, neg, regT, regM []float32) int {
	cells := H * W
	heat := make([]float64, cells*K)
	clear(pos[:cells*K])
	clear(regT[:cells*regOut])
	clear(regM[:cells*regOut])
	// Larger boxes first, so a smaller box sharing a centre cell wins the
	// regression target.
	order := make([]int, len(boxes))
	for i := range order {
		order[i] = i
	}
	slicesSortByArea(order, boxes)
	n := 0
	for _, i := range order {
		b := boxes[i]
		cx, cy := (b.X0+b.X1)/2/sx, (b.Y0+b.Y1)/2/sy
		ix := min(W-1, max(0, int(math.Floor(cx))))
		iy := min(H-1, max(0, int(math.Floor(cy))))
		bw, bh := b.Width()/sx, b.Height()/sy
		sgx := math.Max(0.5, 0.54*bw/6)
		sgy := math.Max(0.5, 0.54*bh/6)
		rx, ry := int(math.Ceil(3*sgx)), int(math.Ceil(3*sgy))
		for y := max(0, iy-ry); y <= min(H-1, iy+ry); y++ {
			for x := max(0, ix-rx); x <= min(W-1, ix+rx); x++ {
				dx, dy := float64(x-ix), float64(y-iy)
				v := math.Exp(-dx*dx/(2*sgx*sgx) - dy*dy/(2*sgy*sgy))
				j := (y*W+x)*K + b.Class
				heat[j] = math.Max(heat[j], v)
			}
		}
		c := iy*W + ix
		if pos[c*K+b.Class] == 0 {
			n++
		}
		pos[c*K+b.Class] = 1
		r := regT[c*regOut : (c+1)*regOut]
		r[0] = float32(math.Log(math.Max(bw, 1e-3)))
		r[1] = float32(math.Log(math.Max(bh, 1e-3)))
		r[2] = float32(cx - float64(ix))
		r[3] = float32(cy - float64(iy))
		for q := range regOut {
			regM[c*regOut+q] = 1
		}
	}
	for j := range heat {
		if pos[j] == 1 {
			neg[j] = 0
		} else {
			neg[j] = float32(math.Pow(1-heat[j], 4))
		}
	}
	return n
}

func slicesSortByArea(order []int, boxes []labelfree.Box) {
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && boxes[order[j]].Area() > boxes[order[j-1]].Area(); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// trainHead trains the head on the cached views and returns the kept head.
func trainHead(ctx context.Context, t *Trainer, s settings, bb *backbone, train, val []sample, fp [32]byte, rep *TrainReport) (*head, error) {
	start := time.Now()
	defer func() { rep.TrainTime = time.Since(start) }()
	strideX, strideY := float64(bb.inW)/float64(bb.W), float64(bb.inH)/float64(bb.H)
	cells := bb.H * bb.W
	h := initHead(s, bb.C, train, strideX, strideY)
	adam := newAdam(h)
	best := h.clone()
	bestAP, bad, epoch0 := math.Inf(-1), 0, 0
	if t.CheckpointPath != "" {
		ck, err := readCheckpoint(t.CheckpointPath)
		if err != nil {
			return nil, err
		}
		if ck != nil {
			if ck.Fingerprint != fp {
				return nil, fmt.Errorf("detect: checkpoint %s belongs to another training run (settings or rows differ); remove it to start afresh", t.CheckpointPath)
			}
			if !ck.Head.valid() || !ck.Best.valid() || ck.Head.In != h.In || ck.Head.Hidden != h.Hidden || ck.Head.K != h.K || len(ck.Adam.M) != len(h.params()) {
				return nil, fmt.Errorf("detect: checkpoint %s does not fit this head", t.CheckpointPath)
			}
			h, best, adam = &ck.Head, &ck.Best, ck.Adam
			bestAP, bad, epoch0 = ck.BestAP, ck.Bad, ck.Epoch
			rep.History, rep.BestEpoch, rep.ResumedAt = ck.History, ck.BestEpoch, ck.Epoch
			if ck.Stopped != "" {
				// The run had finished: return its result.
				rep.Stopped, rep.Epochs = ck.Stopped, len(ck.History)
				if rep.BestEpoch > 0 && len(val) > 0 {
					rep.ValAP50, rep.ValAP = ck.History[rep.BestEpoch-1].ValAP50, ck.History[rep.BestEpoch-1].ValAP
				}
				return best, nil
			}
		}
	}
	batch := min(s.Batch, len(train))
	n := batch * cells
	hg, err := newHeadGraph(h, n)
	if err != nil {
		return nil, err
	}
	defer hg.vm.Close()
	xs := hg.x.Data().([]float32)
	pos, neg := hg.pos.Data().([]float32), hg.neg.Data().([]float32)
	regT, regM := hg.regT.Data().([]float32), hg.regM.Data().([]float32)
	steps := (len(train) + batch - 1) / batch
	total := steps * s.Epochs
	warm := min(100, total/10) + 1
	rep.Stopped = "EpochLimit"
	for epoch := epoch0; epoch < s.Epochs; epoch++ {
		rng := rand.New(rand.NewPCG(s.Seed, uint64(epoch)+0x65706f6368))
		perm := rng.Perm(len(train))
		var lossSum float64
		var lr float64
		for st := range steps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var centres int
			for b := range batch {
				sm := train[perm[(st*batch+b)%len(train)]]
				o := b * cells
				im2col(xs[o*h.In:(o+cells)*h.In], sm.feat, bb.C, bb.H, bb.W)
				centres += fillTargets(sm.boxes, bb.H, bb.W, h.K, strideX, strideY, pos[o*h.K:], neg[o*h.K:], regT[o*regOut:], regM[o*regOut:])
			}
			norm := float32(1 / math.Max(1, float64(centres)))
			for _, a := range [][]float32{pos, neg, regM} {
				for i := range a {
					a[i] *= norm
				}
			}
			cost, grads, err := hg.step()
			if err != nil {
				return nil, err
			}
			if math.IsNaN(cost) || math.IsInf(cost, 0) {
				return nil, fmt.Errorf("detect: training diverged at epoch %d (loss %v); lower LearningRate", epoch+1, cost)
			}
			g := epoch*steps + st
			lr = s.LR * math.Min(1, float64(g+1)/float64(warm)) * 0.5 * (1 + math.Cos(math.Pi*float64(g)/float64(total)))
			adam.update(h.params(), grads, lr, s.WD)
			hg.zeroGrads()
			lossSum += cost
		}
		es := EpochStats{Epoch: epoch + 1, Loss: lossSum / float64(steps), ValAP50: math.NaN(), ValAP: math.NaN(), LearningRate: lr}
		improved := len(val) == 0
		if len(val) > 0 {
			ev, err := evaluateHead(h, bb, s, val)
			if err != nil {
				return nil, err
			}
			es.ValAP50, es.ValAP = ev.AP50, ev.AP
			// AP@0.5 decides; AP@[.5:.95] breaks ties.
			if score := ev.AP50 + 0.01*ev.AP; score > bestAP+1e-9 {
				improved = true
				bestAP = score
			}
		}
		if improved {
			best = h.clone()
			bad = 0
			rep.BestEpoch = epoch + 1
		} else {
			bad++
		}
		rep.History = append(rep.History, es)
		rep.Epochs = epoch + 1
		stop := len(val) > 0 && bad >= s.Patience
		if t.CheckpointPath != "" {
			ck := checkpoint{Fingerprint: fp, Epoch: epoch + 1, Head: *h.clone(), Best: *best.clone(), Adam: adam.clone(), BestAP: bestAP, Bad: bad, BestEpoch: rep.BestEpoch, History: rep.History}
			switch {
			case stop:
				ck.Stopped = "EarlyStopping"
			case epoch+1 == s.Epochs:
				ck.Stopped = "EpochLimit"
			}
			if err := writeCheckpoint(t.CheckpointPath, &ck); err != nil {
				return nil, err
			}
		}
		if t.Progress != nil {
			t.Progress.Progress(t.name()+"/train", epoch+1, s.Epochs)
		}
		if stop {
			rep.Stopped = "EarlyStopping"
			break
		}
	}
	rep.Epochs = len(rep.History)
	if len(val) > 0 && rep.BestEpoch > 0 {
		es := rep.History[rep.BestEpoch-1]
		rep.ValAP50, rep.ValAP = es.ValAP50, es.ValAP
	}
	return best, nil
}

// evaluateHead scores a head on validation views (boxes in input pixels).
func evaluateHead(h *head, bb *backbone, s settings, val []sample) (*Evaluation, error) {
	cells := bb.H * bb.W
	col := make([]float32, cells*h.In)
	hid := make([]float32, cells*h.Hidden)
	heat := make([]float32, cells*h.K)
	reg := make([]float32, cells*regOut)
	channels := make([]int, h.K)
	for k := range channels {
		channels[k] = k
	}
	o := decodeOptions{minScore: 0.01, nmsIoU: s.NMSIoU, maxDet: 100, classes: channels}
	dets := make([][]labelfree.Box, len(val))
	truths := make([][]labelfree.Box, len(val))
	for i, sm := range val {
		im2col(col, sm.feat, bb.C, bb.H, bb.W)
		h.forward(col, cells, hid, heat, reg)
		dets[i] = decode(heat, reg, bb.H, bb.W, h.K, float64(bb.inW)/float64(bb.W), float64(bb.inH)/float64(bb.H), o)
		truths[i] = sm.boxes
	}
	return Evaluate(dets, truths, nil)
}

func (a adamState) clone() adamState {
	c := adamState{Step: a.Step}
	for i := range a.M {
		c.M = append(c.M, append([]float32(nil), a.M[i]...))
		c.V = append(c.V, append([]float32(nil), a.V[i]...))
	}
	return c
}
