package lime

import (
	"fmt"
	"math"
	"sort"

	"github.com/labelfree/labelfree"
)

// Default box options.
const (
	DefaultMinDensity = 0.35
	DefaultMinShare   = 0.05
	// DefaultGapFraction sets the default Gap: 5% of the image's longer
	// side (16 pixels at 320×240).
	DefaultGapFraction = 0.05
)

// BoxOptions says which superpixels of an explanation make up the object
// and how they become boxes. Set at most one of Share, TopK and MinDensity;
// the zero value selects by density (see the package doc) and draws one box
// per group of touching superpixels.
type BoxOptions struct {
	// Share selects the superpixels with the largest positive weights that
	// together carry this share of the positive importance (the seed's
	// rule used 0.8).
	Share float64
	// TopK selects the K superpixels with the largest positive weights.
	TopK int
	// MinDensity selects superpixels whose weight per pixel is at least
	// this fraction of the densest superpixel's; 0 means
	// DefaultMinDensity when neither Share nor TopK is set.
	MinDensity float64
	// SingleBox draws one rectangle around every selected superpixel (the
	// seed's mode) instead of one per group.
	SingleBox bool
	// Gap joins selected superpixels into one group when their bounding
	// rectangles are at most Gap pixels apart, besides when they touch, so
	// an animal split by a branch or a dark stripe stays one box. 0 means
	// DefaultGapFraction of the image's longer side; negative means
	// touching superpixels only.
	Gap int
	// MinShare drops groups carrying less than this share of the selected
	// importance; 0 means DefaultMinShare.
	MinShare float64
	// KeepLowFidelity draws boxes even for explanations flagged
	// LowFidelity, which otherwise give none.
	KeepLowFidelity bool
}

func (o BoxOptions) validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: stageName, Field: "Boxes." + field, Reason: reason}
	}
	set := 0
	for _, on := range []bool{o.Share != 0, o.TopK != 0, o.MinDensity != 0} {
		if on {
			set++
		}
	}
	switch {
	case set > 1:
		return bad("Share", "set at most one of Share, TopK and MinDensity")
	case o.Share < 0 || o.Share > 1 || math.IsNaN(o.Share):
		return bad("Share", fmt.Sprintf("%v is outside [0, 1]", o.Share))
	case o.TopK < 0:
		return bad("TopK", "is negative")
	case o.MinDensity < 0 || o.MinDensity > 1 || math.IsNaN(o.MinDensity):
		return bad("MinDensity", fmt.Sprintf("%v is outside [0, 1]", o.MinDensity))
	case o.MinShare < 0 || o.MinShare >= 1 || math.IsNaN(o.MinShare):
		return bad("MinShare", fmt.Sprintf("%v is outside [0, 1)", o.MinShare))
	}
	return nil
}

// Selected returns the superpixels the options select, most important
// first. Only positive weights are ever selected.
func (e *Explanation) Selected(o BoxOptions) []int {
	type cand struct {
		k       int
		w, dens float64
	}
	var cands []cand
	var total float64
	for k, w := range e.Weights {
		if w <= 0 || math.IsNaN(w) {
			continue
		}
		px := e.Segmentation.Segments[k].Pixels
		cands = append(cands, cand{k: k, w: w, dens: w / float64(max(px, 1))})
		total += w
	}
	var out []int
	switch {
	case o.TopK > 0:
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].w > cands[j].w })
		for _, c := range cands[:min(o.TopK, len(cands))] {
			out = append(out, c.k)
		}
	case o.Share > 0:
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].w > cands[j].w })
		var sum float64
		for _, c := range cands {
			if sum >= o.Share*total {
				break
			}
			out = append(out, c.k)
			sum += c.w
		}
	default:
		minDens := o.MinDensity
		if minDens == 0 {
			minDens = DefaultMinDensity
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].dens > cands[j].dens })
		for _, c := range cands {
			if c.dens < minDens*cands[0].dens {
				break
			}
			out = append(out, c.k)
		}
	}
	return out
}

// Boxes turns the explanation into boxes in the segmented image's pixel
// coordinates, strongest first. Each box's Class is the explained class and
// its Score is the classifier's probability scaled by the box's importance
// relative to the strongest box. A LowFidelity explanation gives no boxes
// unless o.KeepLowFidelity is set.
func (e *Explanation) Boxes(o BoxOptions) []labelfree.Box {
	if e == nil || e.Segmentation == nil || (e.LowFidelity && !o.KeepLowFidelity) {
		return nil
	}
	sel := e.Selected(o)
	if len(sel) == 0 {
		return nil
	}
	seg := e.Segmentation
	// Union-find over the selected superpixels.
	parent := make(map[int]int, len(sel))
	for _, k := range sel {
		parent[k] = k
	}
	find := func(k int) int {
		for parent[k] != k {
			parent[k] = parent[parent[k]]
			k = parent[k]
		}
		return k
	}
	union := func(a, b int) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	if o.SingleBox {
		for _, k := range sel[1:] {
			union(sel[0], k)
		}
	} else {
		for _, k := range sel {
			for _, nb := range seg.Neighbors(k) {
				if _, ok := parent[int(nb)]; ok {
					union(k, int(nb))
				}
			}
		}
		gap := o.Gap
		if gap == 0 {
			gap = int(math.Round(DefaultGapFraction * float64(max(seg.Width, seg.Height))))
		}
		if gap > 0 {
			for i, a := range sel {
				ra := seg.Segments[a].Bounds.Inset(-gap)
				for _, b := range sel[i+1:] {
					if ra.Overlaps(seg.Segments[b].Bounds) {
						union(a, b)
					}
				}
			}
		}
	}
	type group struct {
		members []int
		box     labelfree.Box
		weight  float64
	}
	groups := map[int]*group{}
	var order []int
	var selWeight float64
	for _, k := range sel {
		r := find(k)
		g, ok := groups[r]
		if !ok {
			g = &group{}
			groups[r] = g
			order = append(order, r)
		}
		g.members = append(g.members, k)
		g.weight += e.Weights[k]
		selWeight += e.Weights[k]
	}
	refine := o.Share == 0 && o.TopK == 0
	for _, g := range groups {
		g.box = e.groupBox(g.members, refine)
	}
	minShare := o.MinShare
	if minShare == 0 {
		minShare = DefaultMinShare
	}
	var kept []*group
	var strongest float64
	for _, r := range order {
		g := groups[r]
		if g.weight < minShare*selWeight {
			continue
		}
		kept = append(kept, g)
		strongest = math.Max(strongest, g.weight)
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].weight > kept[j].weight })
	boxes := make([]labelfree.Box, len(kept))
	p := math.Min(math.Max(e.Probability, 0), 1)
	for i, g := range kept {
		g.box.Score = p * g.weight / strongest
		boxes[i] = g.box
	}
	return boxes
}

// coreDensity is the share of the peak weight density above which a
// superpixel is taken to lie (almost) wholly inside the object. Below 1 to
// allow for the noise in the weights of real classifiers.
const coreDensity = 0.6

// groupBox returns the box around a group of superpixels. Without
// refinement it is the union of their bounds. With it, superpixels whose
// weight density marks them as wholly inside the object (the core) give the
// box, and partly covered ones extend it towards their own bounds in
// proportion to their estimated coverage: a superpixel's weight density,
// relative to the peak, estimates the share of its pixels that belong to the
// object.
func (e *Explanation) groupBox(members []int, refine bool) labelfree.Box {
	seg := e.Segmentation
	rect := func(k int) labelfree.Box {
		b := seg.Segments[k].Bounds
		return labelfree.Box{X0: float64(b.Min.X), Y0: float64(b.Min.Y), X1: float64(b.Max.X), Y1: float64(b.Max.Y), Class: e.Class}
	}
	union := func(a, b labelfree.Box) labelfree.Box {
		a.X0, a.Y0 = math.Min(a.X0, b.X0), math.Min(a.Y0, b.Y0)
		a.X1, a.Y1 = math.Max(a.X1, b.X1), math.Max(a.Y1, b.Y1)
		return a
	}
	var peak float64
	dens := make([]float64, len(members))
	if refine {
		for k, w := range e.Weights {
			peak = math.Max(peak, w/float64(max(seg.Segments[k].Pixels, 1)))
		}
		for i, k := range members {
			dens[i] = e.Weights[k] / float64(max(seg.Segments[k].Pixels, 1)) / peak
		}
	}
	var core labelfree.Box
	haveCore := false
	for i, k := range members {
		if !refine || dens[i] >= coreDensity {
			if !haveCore {
				core, haveCore = rect(k), true
			} else {
				core = union(core, rect(k))
			}
		}
	}
	if !haveCore {
		core = rect(members[0])
		for _, k := range members[1:] {
			core = union(core, rect(k))
		}
		return core
	}
	box := core
	for i, k := range members {
		if !refine || dens[i] >= coreDensity {
			continue
		}
		r, f := rect(k), dens[i]
		box.X0 = math.Min(box.X0, core.X0-f*math.Max(0, core.X0-r.X0))
		box.Y0 = math.Min(box.Y0, core.Y0-f*math.Max(0, core.Y0-r.Y0))
		box.X1 = math.Max(box.X1, core.X1+f*math.Max(0, r.X1-core.X1))
		box.Y1 = math.Max(box.Y1, core.Y1+f*math.Max(0, r.Y1-core.Y1))
	}
	return box
}
