package features

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/labelfree/labelfree"
)

// Metrics summarises how well a dataset's predicted Probabilities match
// its Labels. Evaluate computes it; the definitions follow scikit-learn's
// (accuracy_score, roc_auc_score, average_precision_score, log_loss,
// confusion_matrix), and the tests check them against its outputs.
type Metrics struct {
	// Rows is the number of rows scored; Failed counts rows skipped because
	// an earlier stage failed them.
	Rows, Failed int
	// Classes is the length of the probability vectors.
	Classes int
	// Accuracy is the share of rows whose most probable class is the label.
	Accuracy float64
	// LogLoss is the mean negative log probability of the true class, with
	// probabilities clipped to [ε, 1-ε] (ε = 2.2e-16) and renormalised.
	LogLoss float64
	// ROCAUC is the area under the ROC curve: for two classes, of class 1
	// against class 0; for more, the unweighted mean of each class against
	// the rest over the classes that have both positive and negative rows.
	// Tied scores count half, as the trapezoidal rule gives. NaN when no
	// class has both.
	ROCAUC float64
	// AveragePrecision is the area under the precision–recall curve taken
	// as a step function, Σₙ (Rₙ − Rₙ₋₁)·Pₙ over decreasing thresholds
	// (scikit-learn's average_precision_score); averaged over classes like
	// ROCAUC. NaN when undefined.
	AveragePrecision float64
	// Confusion[t][p] counts rows of true class t predicted as class p.
	Confusion [][]int
}

// String formats the metrics on one line.
func (m *Metrics) String() string {
	return fmt.Sprintf("%d rows (%d failed): accuracy %.4f, ROC AUC %.4f, average precision %.4f, log loss %.4f",
		m.Rows, m.Failed, m.Accuracy, m.ROCAUC, m.AveragePrecision, m.LogLoss)
}

// ConfusionString renders the confusion matrix with the class names (or
// indices when names is shorter) as a small text table.
func (m *Metrics) ConfusionString(names []string) string {
	label := func(i int) string {
		if i < len(names) {
			return names[i]
		}
		return fmt.Sprint(i)
	}
	w := 6
	for i := range m.Classes {
		w = max(w, len(label(i))+1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s", w, "true\\pred")
	for p := range m.Classes {
		fmt.Fprintf(&b, " %*s", w, label(p))
	}
	b.WriteByte('\n')
	for t, row := range m.Confusion {
		fmt.Fprintf(&b, "%*s", w, label(t))
		for _, c := range row {
			fmt.Fprintf(&b, " %*d", w, c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// scored collects the probabilities and labels of a dataset's rows.
func scored(ds *labelfree.Dataset) (probs [][]float64, labels []int, failed int, err error) {
	k := len(ds.Classes)
	for _, r := range ds.Rows {
		if r.Err != nil {
			failed++
			continue
		}
		p, err := labelfree.MustGet(r, labelfree.Probabilities)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("features: evaluate: %w", err)
		}
		l, err := labelfree.MustGet(r, labelfree.Label)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("features: evaluate: %w", err)
		}
		if k == 0 {
			k = len(p)
		}
		switch {
		case len(p) != k:
			return nil, nil, 0, fmt.Errorf("features: evaluate: row %q has %d probabilities, want %d", r.ID, len(p), k)
		case l < 0 || l >= k:
			return nil, nil, 0, fmt.Errorf("features: evaluate: row %q has label %d outside [0, %d)", r.ID, l, k)
		}
		for _, v := range p {
			if math.IsNaN(v) || v < 0 || v > 1 {
				return nil, nil, 0, fmt.Errorf("features: evaluate: row %q has probability %v outside [0, 1]", r.ID, v)
			}
		}
		probs = append(probs, p)
		labels = append(labels, l)
	}
	return probs, labels, failed, nil
}

// Evaluate scores every row of ds that carries Probabilities and a Label.
// Rows failed by an earlier stage are counted, not scored; a row without
// either column, with a label out of range or with probabilities of the
// wrong length is an error naming the row.
func Evaluate(ds *labelfree.Dataset) (*Metrics, error) {
	probs, labels, failed, err := scored(ds)
	if err != nil {
		return nil, err
	}
	if len(probs) == 0 {
		return nil, fmt.Errorf("features: evaluate: no scored rows (%d failed)", failed)
	}
	return EvaluateProbs(probs, labels, failed)
}

// EvaluateProbs is Evaluate on plain slices: probs[i] holds row i's class
// probabilities and labels[i] its true class. failed is copied into the
// result.
func EvaluateProbs(probs [][]float64, labels []int, failed int) (*Metrics, error) {
	if len(probs) != len(labels) || len(probs) == 0 {
		return nil, fmt.Errorf("features: evaluate: %d probability vectors and %d labels", len(probs), len(labels))
	}
	k := len(probs[0])
	if k < 2 {
		return nil, fmt.Errorf("features: evaluate: need at least 2 classes, got %d", k)
	}
	m := &Metrics{Rows: len(probs), Failed: failed, Classes: k, Confusion: make([][]int, k)}
	for t := range m.Confusion {
		m.Confusion[t] = make([]int, k)
	}
	const eps = 0x1p-52
	correct := 0
	for i, p := range probs {
		if len(p) != k {
			return nil, fmt.Errorf("features: evaluate: row %d has %d probabilities, row 0 %d", i, len(p), k)
		}
		l := labels[i]
		if l < 0 || l >= k {
			return nil, fmt.Errorf("features: evaluate: row %d has label %d outside [0, %d)", i, l, k)
		}
		pred := argmax(p)
		m.Confusion[l][pred]++
		if pred == l {
			correct++
		}
		sum := 0.0
		for _, v := range p {
			sum += min(max(v, eps), 1-eps)
		}
		m.LogLoss -= math.Log(min(max(p[l], eps), 1-eps) / sum)
	}
	m.Accuracy = float64(correct) / float64(len(probs))
	m.LogLoss /= float64(len(probs))

	score := make([]float64, len(probs))
	pos := make([]bool, len(probs))
	column := func(c int) {
		for i, p := range probs {
			score[i], pos[i] = p[c], labels[i] == c
		}
	}
	if k == 2 {
		column(1)
		m.ROCAUC = ROCAUC(score, pos)
		m.AveragePrecision = AveragePrecision(score, pos)
		return m, nil
	}
	var auc, ap float64
	n := 0
	for c := range k {
		column(c)
		a := ROCAUC(score, pos)
		if math.IsNaN(a) {
			continue
		}
		auc += a
		ap += AveragePrecision(score, pos)
		n++
	}
	m.ROCAUC, m.AveragePrecision = math.NaN(), math.NaN()
	if n > 0 {
		m.ROCAUC, m.AveragePrecision = auc/float64(n), ap/float64(n)
	}
	return m, nil
}

// A CurvePoint is one point of a ROC or precision–recall curve: at
// Threshold, rows scoring at least Threshold are called positive.
type CurvePoint struct {
	Threshold float64
	// FPR and TPR are the false and true positive rates (ROC curves).
	FPR, TPR float64
	// Precision and Recall (precision–recall curves; Recall equals TPR).
	Precision, Recall float64
}

// counts sorts the rows by decreasing score and returns, for each distinct
// score, the threshold and the cumulative true and false positives.
func counts(score []float64, pos []bool) (thr []float64, tp, fp []int) {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	t, f := 0, 0
	for j, i := range idx {
		if pos[i] {
			t++
		} else {
			f++
		}
		if j+1 == len(idx) || score[idx[j+1]] != score[i] {
			thr = append(thr, score[i])
			tp = append(tp, t)
			fp = append(fp, f)
		}
	}
	return thr, tp, fp
}

// ROCCurve returns the ROC curve of scores against the positive flags: one
// point per distinct score, in decreasing order of threshold, after a first
// point (0, 0) at threshold +Inf. It returns nil when either class is
// missing (the rates are undefined). NaN scores are not allowed.
func ROCCurve(score []float64, pos []bool) []CurvePoint {
	thr, tp, fp := counts(score, pos)
	if len(thr) == 0 || tp[len(tp)-1] == 0 || fp[len(fp)-1] == 0 {
		return nil
	}
	P, N := float64(tp[len(tp)-1]), float64(fp[len(fp)-1])
	pts := []CurvePoint{{Threshold: math.Inf(1), Precision: 1}}
	for i := range thr {
		pts = append(pts, CurvePoint{
			Threshold: thr[i],
			FPR:       float64(fp[i]) / N,
			TPR:       float64(tp[i]) / P,
			Precision: float64(tp[i]) / float64(tp[i]+fp[i]),
			Recall:    float64(tp[i]) / P,
		})
	}
	return pts
}

// ROCAUC returns the area under the ROC curve (trapezoidal, so tied scores
// count half): the probability that a random positive scores above a
// random negative. NaN when either class is missing.
func ROCAUC(score []float64, pos []bool) float64 {
	pts := ROCCurve(score, pos)
	if pts == nil {
		return math.NaN()
	}
	a := 0.0
	for i := 1; i < len(pts); i++ {
		a += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
	}
	return a
}

// PRCurve returns the precision–recall curve in decreasing order of
// threshold, one point per distinct score after a first point (recall 0,
// precision 1) at threshold +Inf: scikit-learn's precision_recall_curve
// in reverse. nil when there are no positives.
func PRCurve(score []float64, pos []bool) []CurvePoint {
	thr, tp, fp := counts(score, pos)
	if len(thr) == 0 || tp[len(tp)-1] == 0 {
		return nil
	}
	P := float64(tp[len(tp)-1])
	N := float64(fp[len(fp)-1])
	pts := []CurvePoint{{Threshold: math.Inf(1), Precision: 1}}
	for i := range thr {
		pt := CurvePoint{
			Threshold: thr[i],
			TPR:       float64(tp[i]) / P,
			Precision: float64(tp[i]) / float64(tp[i]+fp[i]),
			Recall:    float64(tp[i]) / P,
		}
		if N > 0 {
			pt.FPR = float64(fp[i]) / N
		}
		pts = append(pts, pt)
	}
	return pts
}

// AveragePrecision returns Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the precision–recall
// curve: the area under it as a step function, without the optimistic
// interpolation of the trapezoidal rule. NaN when there are no positives.
func AveragePrecision(score []float64, pos []bool) float64 {
	pts := PRCurve(score, pos)
	if pts == nil {
		return math.NaN()
	}
	ap := 0.0
	for i := 1; i < len(pts); i++ {
		ap += (pts[i].Recall - pts[i-1].Recall) * pts[i].Precision
	}
	return ap
}

// ROCCurveOf returns the ROC curve of class c against the rest over the
// scored rows of ds (see Evaluate for which rows count).
func ROCCurveOf(ds *labelfree.Dataset, c int) ([]CurvePoint, error) {
	probs, labels, _, err := scored(ds)
	if err != nil {
		return nil, err
	}
	score := make([]float64, len(probs))
	pos := make([]bool, len(probs))
	for i, p := range probs {
		if c < 0 || c >= len(p) {
			return nil, fmt.Errorf("features: ROC curve: class %d outside [0, %d)", c, len(p))
		}
		score[i], pos[i] = p[c], labels[i] == c
	}
	pts := ROCCurve(score, pos)
	if pts == nil {
		return nil, fmt.Errorf("features: ROC curve: class %d needs both positive and negative rows", c)
	}
	return pts, nil
}
