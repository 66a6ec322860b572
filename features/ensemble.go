package features

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/labelfree/labelfree"
)

func init() {
	labelfree.Register[*Ensemble]()
}

// BalancedWeights returns scikit-learn's "balanced" class weights for the
// labels: n / (k · n_c) for each class c present, where k counts the
// classes present, and 0 for classes absent. numClasses 0 means max+1.
func BalancedWeights(labels []int, numClasses int) ([]float64, error) {
	counts := map[int]int{}
	for i, l := range labels {
		if l < 0 || (numClasses > 0 && l >= numClasses) {
			return nil, fmt.Errorf("features: balanced weights: label %d of row %d is outside [0, %d)", l, i, numClasses)
		}
		counts[l]++
		numClasses = max(numClasses, l+1)
	}
	w := make([]float64, numClasses)
	for c, n := range counts {
		w[c] = float64(len(labels)) / (float64(len(counts)) * float64(n))
	}
	return w, nil
}

// Ensemble averages the class probabilities of several fitted logistic
// heads on the same embeddings: a Transformer reading labelfree.Embedding
// and writing labelfree.Probabilities and labelfree.Prediction. Averaging
// heads fitted on different samples (see BaggedLogisticRegression) lowers
// the variance of a single head, the "easy improvement" the seed suggests.
type Ensemble struct {
	// Name names the stage; "" means "Ensemble".
	Name string
	// Members are the heads; all take embeddings of one length and write
	// probability vectors of one length.
	Members []*LogisticModel
	// Weights, when set, weights member i's probabilities by Weights[i]
	// (normalised to sum 1); nil means equal weights.
	Weights []float64
}

// NewEnsemble returns the equal-weight ensemble of the heads.
func NewEnsemble(members ...*LogisticModel) (*Ensemble, error) {
	e := &Ensemble{Members: members}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Ensemble) name() string {
	if e.Name != "" {
		return e.Name
	}
	return "Ensemble"
}

// Info implements labelfree.Stage.
func (e *Ensemble) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   e.name(),
		Reads:  []labelfree.ColumnRef{labelfree.Embedding.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref()},
	}
}

// Validate checks that the members agree on their input and output.
func (e *Ensemble) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: e.name(), Field: field, Reason: reason}
	}
	if len(e.Members) == 0 {
		return bad("Members", "the ensemble has no members")
	}
	for i, m := range e.Members {
		if m == nil {
			return bad("Members", fmt.Sprintf("member %d is nil", i))
		}
		if err := m.Validate(); err != nil {
			return bad("Members", fmt.Sprintf("member %d: %v", i, err))
		}
		if m.Dim != e.Members[0].Dim || m.NumClasses != e.Members[0].NumClasses {
			return bad("Members", fmt.Sprintf("member %d takes %d features and writes %d classes, member 0 %d and %d", i, m.Dim, m.NumClasses, e.Members[0].Dim, e.Members[0].NumClasses))
		}
	}
	if e.Weights != nil {
		if len(e.Weights) != len(e.Members) {
			return bad("Weights", fmt.Sprintf("%d weights for %d members", len(e.Weights), len(e.Members)))
		}
		sum := 0.0
		for i, w := range e.Weights {
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return bad("Weights", fmt.Sprintf("weight %d is %v", i, w))
			}
			sum += w
		}
		if sum == 0 {
			return bad("Weights", "weights sum to 0")
		}
	}
	return nil
}

// PredictProba returns the weighted mean of the members' probabilities.
func (e *Ensemble) PredictProba(emb []float32) ([]float64, error) {
	if len(e.Members) == 0 {
		return nil, fmt.Errorf("features: %s: no members", e.name())
	}
	out := make([]float64, e.Members[0].NumClasses)
	total := 0.0
	for i, m := range e.Members {
		w := 1.0
		if e.Weights != nil {
			w = e.Weights[i]
		}
		p, err := m.PredictProba(emb)
		if err != nil {
			return nil, fmt.Errorf("features: %s: member %d: %w", e.name(), i, err)
		}
		if len(p) != len(out) {
			return nil, fmt.Errorf("features: %s: member %d writes %d classes, member 0 %d", e.name(), i, len(p), len(out))
		}
		for c, v := range p {
			out[c] += w * v
		}
		total += w
	}
	for c := range out {
		out[c] /= total
	}
	return out, nil
}

// Transform implements labelfree.Transformer.
func (e *Ensemble) Transform(ctx context.Context, r *labelfree.Row) error {
	emb, err := labelfree.MustGet(r, labelfree.Embedding)
	if err != nil {
		return err
	}
	p, err := e.PredictProba(emb)
	if err != nil {
		return err
	}
	labelfree.Set(r, labelfree.Probabilities, p)
	labelfree.Set(r, labelfree.Prediction, argmax(p))
	return nil
}

// BaggedLogisticRegression is an Estimator that fits several logistic
// heads on resampled training rows and returns their Ensemble.
//
// With Balance set each head sees every row of the rarest class and as many
// rows drawn without replacement from each other class ("EasyEnsemble"):
// for search-derived data, where random negatives outnumber the target
// class many times, the heads together still use all the negatives while
// each is fitted on balanced data. Without it, each head gets a bootstrap
// sample (bagging).
type BaggedLogisticRegression struct {
	// Name names the stage; "" means "BaggedLogisticRegression".
	Name string
	// Base configures every head.
	Base LogisticRegression
	// Members is the number of heads; 0 means 5.
	Members int
	// Balance draws class-balanced subsets instead of bootstrap samples.
	Balance bool
	// Seed seeds the resampling; the result depends only on it and the
	// order of the training rows.
	Seed uint64
}

func (b *BaggedLogisticRegression) name() string {
	if b.Name != "" {
		return b.Name
	}
	return "BaggedLogisticRegression"
}

// Info implements labelfree.Stage.
func (b *BaggedLogisticRegression) Info() labelfree.StageInfo {
	info := b.Base.Info()
	info.Name = b.name()
	return info
}

// Validate implements labelfree.Validator.
func (b *BaggedLogisticRegression) Validate() error {
	if b.Members < 0 || b.Members > 1000 {
		return &labelfree.ParamError{Stage: b.name(), Field: "Members", Reason: fmt.Sprintf("must be in 0 to 1000, got %d", b.Members)}
	}
	return b.Base.Validate()
}

// Fit implements labelfree.Estimator.
func (b *BaggedLogisticRegression) Fit(ctx context.Context, ds *labelfree.Dataset) (labelfree.Transformer, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	rows := ds.OK()
	x := make([][]float32, len(rows))
	y := make([]int, len(rows))
	byClass := map[int][]int{}
	for i, r := range rows {
		e, err := labelfree.MustGet(r, labelfree.Embedding)
		if err != nil {
			return nil, fmt.Errorf("features: %s: %w", b.name(), err)
		}
		l, err := labelfree.MustGet(r, labelfree.Label)
		if err != nil {
			return nil, fmt.Errorf("features: %s: %w", b.name(), err)
		}
		if l < 0 || (len(ds.Classes) > 0 && l >= len(ds.Classes)) {
			return nil, fmt.Errorf("features: %s: row %q has label %d outside [0, %d)", b.name(), r.ID, l, len(ds.Classes))
		}
		x[i], y[i] = e, l
		byClass[l] = append(byClass[l], i)
	}
	if len(byClass) < 2 {
		return nil, fmt.Errorf("features: %s: %w", b.name(), ErrOneClass)
	}
	minority := len(rows)
	for _, idx := range byClass {
		minority = min(minority, len(idx))
	}
	k := b.Members
	if k == 0 {
		k = 5
	}
	numClasses := len(ds.Classes)
	ens := &Ensemble{Name: b.name()}
	for m := range k {
		rng := rand.New(rand.NewPCG(b.Seed, uint64(m)))
		var pick []int
		if b.Balance {
			for c := range numClassesOf(byClass) {
				idx := byClass[c]
				if len(idx) == 0 {
					continue
				}
				perm := rng.Perm(len(idx))
				for _, j := range perm[:minority] {
					pick = append(pick, idx[j])
				}
			}
		} else {
			// A bootstrap sample, redrawn until it holds two classes.
			for tries := 0; ; tries++ {
				pick = pick[:0]
				seen := map[int]bool{}
				for range rows {
					j := rng.IntN(len(rows))
					pick = append(pick, j)
					seen[y[j]] = true
				}
				if len(seen) >= 2 || tries == 100 {
					break
				}
			}
		}
		xs := make([][]float32, len(pick))
		ys := make([]int, len(pick))
		for i, j := range pick {
			xs[i], ys[i] = x[j], y[j]
		}
		head, err := b.Base.FitXY(ctx, xs, ys, numClasses)
		if err != nil {
			return nil, fmt.Errorf("features: %s: head %d: %w", b.name(), m, err)
		}
		if numClasses == 0 {
			numClasses = head.NumClasses
		}
		ens.Members = append(ens.Members, head)
	}
	// Heads that missed a class in a bootstrap write shorter vectors when
	// the dataset names no classes; widen them all to the largest.
	width := 0
	for _, h := range ens.Members {
		width = max(width, h.NumClasses)
	}
	for _, h := range ens.Members {
		h.NumClasses = width
	}
	return ens, nil
}

func numClassesOf(byClass map[int][]int) int {
	n := 0
	for c := range byClass {
		n = max(n, c+1)
	}
	return n
}
