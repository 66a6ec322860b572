package detect

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/labelfree/labelfree"
)

// COCOIoUThresholds are the ten IoU thresholds 0.50, 0.55, …, 0.95 over which
// COCO's AP@[.5:.95] is averaged.
var COCOIoUThresholds = []float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95}

// recallPoints is the number of recall thresholds (0, 0.01, …, 1) COCO
// samples the interpolated precision at.
const recallPoints = 101

// EvalConfig says how Evaluate scores detections. The zero value is COCO's
// bounding-box evaluation (pycocotools COCOeval, area range "all",
// maxDets 100).
type EvalConfig struct {
	// IoUThresholds are the IoU thresholds AP is averaged over; nil means
	// COCOIoUThresholds. The first one is used for the operating point
	// (Precision, Recall) and the PR curve.
	IoUThresholds []float64
	// MaxDetections keeps only the highest-scoring detections of each
	// image; 0 means 100, negative means no limit.
	MaxDetections int
	// ScoreThreshold is the score at or above which a detection counts
	// for the operating point (Precision, Recall, TP, FP, FN); 0 counts
	// every detection. AP ignores it.
	ScoreThreshold float64
	// Classes, when set, restricts the evaluation to boxes (detections
	// and truths) of these classes, such as the positive class of LIME's
	// boxes; nil evaluates every class.
	Classes []int
}

// Validate reports a bad field as a *labelfree.ParamError.
func (c *EvalConfig) Validate() error {
	for i, t := range c.IoUThresholds {
		if !(t > 0 && t <= 1) {
			return &labelfree.ParamError{Stage: "detect.Evaluate", Field: "IoUThresholds", Reason: fmt.Sprintf("threshold %d is %v, outside (0, 1]", i, t)}
		}
	}
	if math.IsNaN(c.ScoreThreshold) {
		return &labelfree.ParamError{Stage: "detect.Evaluate", Field: "ScoreThreshold", Reason: "is NaN"}
	}
	return nil
}

// A CurvePoint is one point of a precision–recall curve: counting the
// detections scoring at least Score as positive gives Precision and
// Recall.
type CurvePoint struct {
	Score, Precision, Recall float64
}

// ClassEval holds one class's results.
type ClassEval struct {
	// Class is the class index.
	Class int
	// Truths and Detections count the class's ground-truth boxes and the
	// detections evaluated (after MaxDetections).
	Truths, Detections int
	// AP holds the COCO 101-point interpolated average precision at each
	// IoU threshold; NaN when the class has no ground truth.
	AP []float64
	// Curve is the class's precision–recall curve at the first IoU
	// threshold, one point per detection in decreasing order of score.
	Curve []CurvePoint
}

// Evaluation is the result of Evaluate. AP figures average over the classes
// that have ground truth, as COCO does.
type Evaluation struct {
	// IoUThresholds echoes the thresholds used.
	IoUThresholds []float64
	// AP is the mean AP over IoU thresholds and classes: AP@[.5:.95] with
	// the default thresholds.
	AP float64
	// AP50 and AP75 are the mean AP at IoU 0.5 and 0.75; NaN when those
	// thresholds are not evaluated.
	AP50, AP75 float64
	// Precision and Recall are the operating point at ScoreThreshold and
	// the first IoU threshold, over all classes; TP, FP and FN count its
	// true positives, false positives and missed truths.
	Precision, Recall float64
	TP, FP, FN        int
	// Curve is the precision–recall curve at the first IoU threshold with
	// every class's detections ranked together.
	Curve []CurvePoint
	// Images, Truths and Detections count what was evaluated.
	Images, Truths, Detections int
	// PerClass holds each class's figures, by increasing class index.
	PerClass []ClassEval
}

// String summarises the evaluation on one line.
func (e *Evaluation) String() string {
	return fmt.Sprintf("AP@[.5:.95]=%.3f AP50=%.3f AP75=%.3f P=%.3f R=%.3f (TP %d FP %d FN %d; %d images, %d truths, %d detections)",
		e.AP, e.AP50, e.AP75, e.Precision, e.Recall, e.TP, e.FP, e.FN, e.Images, e.Truths, e.Detections)
}

// Match pairs detections with ground-truth boxes of the same class the way
// COCO does: detections are visited in decreasing order of score (ties in
// input order), and each takes the still unmatched truth it overlaps most,
// provided that IoU is at least iou. It returns, for each detection, the
// index of its truth or -1.
func Match(dets, truths []labelfree.Box, iou float64) []int {
	order := scoreOrder(dets)
	return matchOrdered(dets, order, truths, iou)
}

func scoreOrder(dets []labelfree.Box) []int {
	order := make([]int, len(dets))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dets[b].Score, dets[a].Score) })
	return order
}

func matchOrdered(dets []labelfree.Box, order []int, truths []labelfree.Box, iou float64) []int {
	match := make([]int, len(dets))
	for i := range match {
		match[i] = -1
	}
	taken := make([]bool, len(truths))
	thr := math.Min(iou, 1-1e-10)
	for _, d := range order {
		best, bestIoU := -1, thr
		for g, t := range truths {
			if taken[g] || t.Class != dets[d].Class {
				continue
			}
			// pycocotools keeps the last truth among equals (it
			// continues only while the IoU is strictly smaller).
			if v := dets[d].IoU(t); v >= bestIoU {
				best, bestIoU = g, v
			}
		}
		if best >= 0 {
			taken[best] = true
			match[d] = best
		}
	}
	return match
}

// scored is one detection after matching.
type scored struct {
	score float64
	class int
	tp    []bool // per IoU threshold
}

// Evaluate scores detections against ground truth, image by image: dets[i]
// and truths[i] are the boxes of image i. It computes COCO's interpolated
// AP (101 recall points, pycocotools' accumulate) per class and IoU
// threshold, the operating point at cfg.ScoreThreshold and the PR curve.
// A nil cfg means the zero EvalConfig. Boxes with a non-finite coordinate
// or score are an error, never silently dropped.
func Evaluate(dets, truths [][]labelfree.Box, cfg *EvalConfig) (*Evaluation, error) {
	if cfg == nil {
		cfg = &EvalConfig{}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(dets) != len(truths) {
		return nil, fmt.Errorf("detect: %d images of detections but %d of ground truth", len(dets), len(truths))
	}
	thrs := cfg.IoUThresholds
	if thrs == nil {
		thrs = COCOIoUThresholds
	}
	maxDet := cfg.MaxDetections
	if maxDet == 0 {
		maxDet = 100
	}
	if cfg.Classes != nil {
		keep := func(in [][]labelfree.Box) [][]labelfree.Box {
			out := make([][]labelfree.Box, len(in))
			for i, bs := range in {
				for _, b := range bs {
					if slices.Contains(cfg.Classes, b.Class) {
						out[i] = append(out[i], b)
					}
				}
			}
			return out
		}
		dets, truths = keep(dets), keep(truths)
	}
	ev := &Evaluation{IoUThresholds: slices.Clone(thrs), Images: len(dets), AP50: math.NaN(), AP75: math.NaN()}
	nTruth := map[int]int{}
	var all []scored
	for i := range dets {
		for _, b := range truths[i] {
			if err := finite(b); err != nil {
				return nil, fmt.Errorf("detect: image %d: truth %w", i, err)
			}
			nTruth[b.Class]++
			ev.Truths++
		}
		for _, b := range dets[i] {
			if err := finite(b); err != nil {
				return nil, fmt.Errorf("detect: image %d: detection %w", i, err)
			}
		}
		order := scoreOrder(dets[i])
		if maxDet > 0 && len(order) > maxDet {
			order = order[:maxDet]
		}
		ev.Detections += len(order)
		matches := make([][]int, len(thrs))
		for t, thr := range thrs {
			matches[t] = matchOrdered(dets[i], order, truths[i], thr)
		}
		for _, d := range order {
			s := scored{score: dets[i][d].Score, class: dets[i][d].Class, tp: make([]bool, len(thrs))}
			for t := range thrs {
				s.tp[t] = matches[t][d] >= 0
			}
			all = append(all, s)
			if s.score >= cfg.ScoreThreshold {
				if s.tp[0] {
					ev.TP++
				} else {
					ev.FP++
				}
			}
		}
	}
	// Global ranking; stable, so equal scores keep image order as
	// pycocotools' mergesort does.
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	classes := make(map[int]bool)
	for c := range nTruth {
		classes[c] = true
	}
	for _, s := range all {
		classes[s.class] = true
	}
	ids := make([]int, 0, len(classes))
	for c := range classes {
		ids = append(ids, c)
	}
	slices.Sort(ids)
	apSum, apN := make([]float64, len(thrs)), 0
	for _, c := range ids {
		var cls []scored
		for _, s := range all {
			if s.class == c {
				cls = append(cls, s)
			}
		}
		ce := ClassEval{Class: c, Truths: nTruth[c], Detections: len(cls), AP: make([]float64, len(thrs))}
		for t := range thrs {
			ap, curve := averagePrecision(cls, t, nTruth[c])
			ce.AP[t] = ap
			if t == 0 {
				ce.Curve = curve
			}
		}
		if nTruth[c] > 0 {
			apN++
			for t := range thrs {
				apSum[t] += ce.AP[t]
			}
		}
		ev.PerClass = append(ev.PerClass, ce)
	}
	ev.AP = math.NaN()
	if apN > 0 {
		var sum float64
		for t := range thrs {
			m := apSum[t] / float64(apN)
			sum += m
			switch {
			case math.Abs(thrs[t]-0.5) < 1e-9:
				ev.AP50 = m
			case math.Abs(thrs[t]-0.75) < 1e-9:
				ev.AP75 = m
			}
		}
		ev.AP = sum / float64(len(thrs))
	}
	_, ev.Curve = averagePrecision(all, 0, ev.Truths)
	ev.FN = ev.Truths - ev.TP
	ev.Precision = math.NaN()
	if ev.TP+ev.FP > 0 {
		ev.Precision = float64(ev.TP) / float64(ev.TP+ev.FP)
	}
	ev.Recall = math.NaN()
	if ev.Truths > 0 {
		ev.Recall = float64(ev.TP) / float64(ev.Truths)
	}
	return ev, nil
}

// averagePrecision is pycocotools' accumulate for one class and IoU
// threshold over detections already sorted by decreasing score.
func averagePrecision(dets []scored, t, nTruth int) (float64, []CurvePoint) {
	curve := make([]CurvePoint, len(dets))
	var tp, fp float64
	for i, d := range dets {
		if d.tp[t] {
			tp++
		} else {
			fp++
		}
		curve[i] = CurvePoint{Score: d.score, Precision: tp / (tp + fp)}
		if nTruth > 0 {
			curve[i].Recall = tp / float64(nTruth)
		}
	}
	if nTruth == 0 {
		return math.NaN(), curve
	}
	// Precision envelope: the best precision at this recall or higher.
	env := make([]float64, len(curve))
	for i := len(curve) - 1; i >= 0; i-- {
		env[i] = curve[i].Precision
		if i+1 < len(curve) && env[i+1] > env[i] {
			env[i] = env[i+1]
		}
	}
	var sum float64
	j := 0
	for r := range recallPoints {
		// numpy.linspace(0, 1, 101) as pycocotools computes it.
		thr := float64(r) * 0.01
		if r == recallPoints-1 {
			thr = 1
		}
		// First index with recall ≥ thr (numpy searchsorted, side left).
		for j < len(curve) && curve[j].Recall < thr {
			j++
		}
		if j == len(curve) {
			break
		}
		sum += env[j]
	}
	return sum / recallPoints, curve
}

// PrecisionAtRecall returns the highest precision the curve reaches at a
// recall of at least r (interpolated precision), or 0 when it never does.
func PrecisionAtRecall(curve []CurvePoint, r float64) float64 {
	best := 0.0
	for _, p := range curve {
		if p.Recall >= r && p.Precision > best {
			best = p.Precision
		}
	}
	return best
}

func finite(b labelfree.Box) error {
	for _, v := range []float64{b.X0, b.Y0, b.X1, b.Y1, b.Score} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%v has a non-finite coordinate or score", b)
		}
	}
	return nil
}

// EvaluateColumns evaluates the boxes in column dets against those in
// column truths over the rows of ds without errors (failed rows are not
// scored): the detector against labelfree.TrueBoxes, LIME's
// labelfree.Boxes against the truth, or the detector against the LIME
// boxes it learned from. A row without a dets value has no detections; a
// row without a truths value is an error, since "no object" must be
// stated, not assumed.
func EvaluateColumns(ds *labelfree.Dataset, dets, truths labelfree.Column[[]labelfree.Box], cfg *EvalConfig) (*Evaluation, error) {
	rows := ds.OK()
	d := make([][]labelfree.Box, len(rows))
	g := make([][]labelfree.Box, len(rows))
	for i, r := range rows {
		d[i], _ = labelfree.Get(r, dets)
		var ok bool
		if g[i], ok = labelfree.Get(r, truths); !ok {
			return nil, fmt.Errorf("detect: row %q has no %q column to evaluate against", r.ID, truths.Name())
		}
	}
	return Evaluate(d, g, cfg)
}
