package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/labelfree/labelfree"
)

func init() {
	labelfree.Register[*LogisticModel]()
}

// LogisticRegression is an Estimator that learns a linear classifier on the
// Embedding column from the Label column: a binary logistic regression when
// the training rows hold two classes, a multinomial (softmax) one when they
// hold more. It minimises, like scikit-learn's LogisticRegression with the
// lbfgs solver,
//
//	C · Σᵢ sᵢ · ℓ(yᵢ, W·xᵢ + b) + ½‖W‖²
//
// where ℓ is the log loss, sᵢ the weight of row i's class (see ClassWeights
// and Balanced) and the intercepts b are not penalised. The solver is
// L-BFGS from gonum.org/v1/gonum/optimize; the fitted LogisticModel's
// Result says why it stopped.
//
// The zero value is ready to use: C = 1, intercepts fitted, no
// standardisation, unit class weights, at most 1000 iterations.
type LogisticRegression struct {
	// Name names the stage in errors and reports; "" means
	// "LogisticRegression".
	Name string
	// C is the inverse regularisation strength, as in scikit-learn: smaller
	// values regularise more. 0 means 1; math.Inf(1) turns the penalty off
	// (the fit then diverges on separable data and stops at MaxIter).
	C float64
	// NoIntercept fits the model without intercepts (b = 0).
	NoIntercept bool
	// Standardize fits on features scaled to zero mean and unit variance
	// (computed on the training rows). The fitted model folds the scaling
	// back into its weights, so it reads raw embeddings. Standardising
	// changes what the L2 penalty prefers: every feature is penalised on the
	// same scale.
	Standardize bool
	// Balanced weights each class by n / (k · n_c), where n_c is the number
	// of training rows of class c and k the number of classes present, so
	// rare classes count as much as common ones (scikit-learn's
	// class_weight="balanced"). It multiplies with ClassWeights.
	Balanced bool
	// ClassWeights, when set, weights the loss of each row by the weight of
	// its class: ClassWeights[c] for class c. Classes beyond its length
	// weigh 1. Weights must be finite and not negative.
	ClassWeights []float64
	// MaxIter bounds the L-BFGS iterations; 0 means 1000.
	MaxIter int
	// Tol stops the solver once the largest absolute component of the
	// gradient of the objective divided by C·n falls below it; 0 means 1e-6.
	// scikit-learn's tol applies to the objective divided by C only, so its
	// tol t corresponds to Tol = t/n.
	Tol float64
	// L1Ratio in [0, 1] mixes an L1 penalty into the L2 one, as
	// scikit-learn's elastic net does: the penalty becomes
	// (1−L1Ratio)/2·‖W‖² + L1Ratio·‖W‖₁, which sets the weights of
	// uninformative features to exactly zero. 0 is plain L2, fitted by
	// L-BFGS; above 0 the fit uses FISTA (accelerated proximal gradient),
	// as L-BFGS needs a smooth objective, and stops on Tol applied to the
	// proximal gradient, or MaxIter (default 20000). FTol does not apply.
	L1Ratio float64
	// FTol stops the solver once an iteration lowers the objective by no
	// more than FTol·max(|f_old|, |f_new|); 0 means 2.2e-9, the default of
	// SciPy's L-BFGS-B that scikit-learn uses. A negative value turns the
	// test off, so only Tol and MaxIter stop the fit.
	FTol float64
}

// LogisticModel is a fitted LogisticRegression: a Transformer that reads
// the Embedding column and writes Probabilities (one per class of the
// training dataset) and Prediction (the most probable class).
//
// A binary model has one row of Weights, the log-odds of Classes[1] against
// Classes[0]; a multinomial model has one row per class present in
// training. Classes absent from the training rows get probability 0.
type LogisticModel struct {
	// Name names the stage; "" means "LogisticModel".
	Name string
	// NumClasses is the length of the Probabilities vectors it writes.
	NumClasses int
	// Classes lists the class indices the model was fitted on, ascending;
	// Weights[j] and Intercepts[j] belong to Classes[j] (for a binary
	// model, Weights[0] scores Classes[1] against Classes[0]).
	Classes []int
	// Weights holds one row of Dim weights per output.
	Weights [][]float64
	// Intercepts holds one intercept per row of Weights.
	Intercepts []float64
	// Dim is the embedding length the model expects.
	Dim int
	// Result reports how the fit went.
	Result FitResult
}

// FitResult reports how an L-BFGS fit ended.
type FitResult struct {
	// Status is why the solver stopped, as gonum's optimize.Status names
	// it: "GradientThreshold" (converged to Tol), "FunctionConvergence"
	// (the objective stopped decreasing), "IterationLimit" (MaxIter hit),
	// "Failure" (line search could not make progress) and so on.
	Status string
	// Converged is true when the solver stopped on a convergence criterion
	// rather than a limit or a failure.
	Converged bool
	// Iterations and Evaluations count L-BFGS iterations and objective
	// evaluations.
	Iterations, Evaluations int
	// Loss is the weighted mean log loss on the training rows at the
	// solution, without the penalty.
	Loss float64
	// Objective is the minimised objective divided by C·n.
	Objective float64
	// GradNorm is the largest absolute component of the objective's
	// gradient at the solution (of its minimum-norm subgradient with an
	// L1 penalty).
	GradNorm float64
	// Rows and Features are the size of the training matrix.
	Rows, Features int
	// Elapsed is the wall time of the fit.
	Elapsed time.Duration
}

func (lr *LogisticRegression) name() string {
	if lr.Name != "" {
		return lr.Name
	}
	return "LogisticRegression"
}

// Info implements labelfree.Stage.
func (lr *LogisticRegression) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   lr.name(),
		Reads:  []labelfree.ColumnRef{labelfree.Embedding.Ref(), labelfree.Label.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref()},
	}
}

// Validate implements labelfree.Validator.
func (lr *LogisticRegression) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: lr.name(), Field: field, Reason: reason}
	}
	switch {
	case math.IsNaN(lr.C) || lr.C < 0:
		return bad("C", fmt.Sprintf("must be positive (or 0 for the default 1), got %v", lr.C))
	case lr.MaxIter < 0:
		return bad("MaxIter", fmt.Sprintf("must not be negative, got %d", lr.MaxIter))
	case math.IsNaN(lr.Tol) || lr.Tol < 0 || math.IsInf(lr.Tol, 0):
		return bad("Tol", fmt.Sprintf("must be a finite positive number (or 0 for the default), got %v", lr.Tol))
	case math.IsNaN(lr.L1Ratio) || lr.L1Ratio < 0 || lr.L1Ratio > 1:
		return bad("L1Ratio", fmt.Sprintf("must be in [0, 1], got %v", lr.L1Ratio))
	case math.IsNaN(lr.FTol) || math.IsInf(lr.FTol, 0):
		return bad("FTol", fmt.Sprintf("must be finite, got %v", lr.FTol))
	}
	for c, w := range lr.ClassWeights {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return bad("ClassWeights", fmt.Sprintf("weight of class %d is %v; weights must be finite and not negative", c, w))
		}
	}
	return nil
}

// Fit implements labelfree.Estimator. Every row must have an Embedding of
// one length and a Label in [0, len(ds.Classes)) (any label ≥ 0 when
// ds.Classes is empty); a row without them is an error, not skipped.
func (lr *LogisticRegression) Fit(ctx context.Context, ds *labelfree.Dataset) (labelfree.Transformer, error) {
	m, err := lr.FitDataset(ctx, ds)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FitDataset is Fit returning the concrete model.
func (lr *LogisticRegression) FitDataset(ctx context.Context, ds *labelfree.Dataset) (*LogisticModel, error) {
	rows := ds.OK()
	x := make([][]float32, len(rows))
	y := make([]int, len(rows))
	for i, r := range rows {
		e, err := labelfree.MustGet(r, labelfree.Embedding)
		if err != nil {
			return nil, fmt.Errorf("features: %s: %w", lr.name(), err)
		}
		l, err := labelfree.MustGet(r, labelfree.Label)
		if err != nil {
			return nil, fmt.Errorf("features: %s: %w", lr.name(), err)
		}
		if len(ds.Classes) > 0 && l >= len(ds.Classes) {
			return nil, fmt.Errorf("features: %s: row %q has label %d but the dataset has %d classes", lr.name(), r.ID, l, len(ds.Classes))
		}
		x[i], y[i] = e, l
	}
	return lr.FitXY(ctx, x, y, len(ds.Classes))
}

// ErrOneClass is returned when the training rows hold fewer than two
// classes.
var ErrOneClass = errors.New("training rows hold fewer than two classes")

// FitXY fits the model on the embeddings x with labels y. numClasses is the
// length of the probability vectors the model writes; 0 means max(y)+1.
// The fit holds a float64 copy of x (8·n·d bytes: 100,000 ResNet-50
// embeddings take 1.6 GB) and uses every core (GOMAXPROCS); its results do
// not depend on the number of cores.
func (lr *LogisticRegression) FitXY(ctx context.Context, x [][]float32, y []int, numClasses int) (*LogisticModel, error) {
	start := time.Now()
	if err := lr.Validate(); err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) (*LogisticModel, error) {
		return nil, fmt.Errorf("features: %s: "+format, append([]any{lr.name()}, args...)...)
	}
	if len(x) != len(y) {
		return fail("%d embeddings but %d labels", len(x), len(y))
	}
	if len(x) == 0 {
		return fail("no training rows")
	}
	d := len(x[0])
	if d == 0 {
		return fail("row 0 has an empty embedding")
	}
	counts := map[int]int{}
	for i, l := range y {
		if l < 0 || (numClasses > 0 && l >= numClasses) {
			return fail("row %d has label %d, outside [0, %d)", i, l, numClasses)
		}
		if len(x[i]) != d {
			return fail("row %d has an embedding of length %d, row 0 of length %d", i, len(x[i]), d)
		}
		counts[l]++
	}
	classes := make([]int, 0, len(counts))
	for c := range counts {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	if numClasses == 0 {
		numClasses = classes[len(classes)-1] + 1
	}
	if len(classes) < 2 {
		return fail("%w (got only class %v)", ErrOneClass, classes)
	}
	n := len(x)

	// Design matrix, row major, float64; optionally standardised.
	xs := make([]float64, n*d)
	for i, row := range x {
		dst := xs[i*d : (i+1)*d]
		for j, v := range row {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fail("row %d has a non-finite value at feature %d", i, j)
			}
			dst[j] = f
		}
	}
	var mean, scale []float64
	if lr.Standardize {
		mean, scale = standardize(xs, n, d)
	}

	// Sample weights from class weights.
	k := len(classes)
	index := make(map[int]int, k)
	for j, c := range classes {
		index[c] = j
	}
	yi := make([]int, n)
	sw := make([]float64, n)
	for i, l := range y {
		yi[i] = index[l]
		w := 1.0
		if l < len(lr.ClassWeights) {
			w = lr.ClassWeights[l]
		}
		if lr.Balanced {
			w *= float64(n) / (float64(k) * float64(counts[l]))
		}
		sw[i] = w
	}

	C := lr.C
	if C == 0 {
		C = 1
	}
	outs := k
	if k == 2 {
		outs = 1
	}
	l1 := lr.L1Ratio / (C * float64(n))
	if math.IsInf(C, 1) {
		l1 = 0
	}
	obj := &logisticObjective{
		x: xs, n: n, d: d, outs: outs, y: yi, sw: sw,
		penalty:   (1 - lr.L1Ratio) / (C * float64(n)),
		intercept: !lr.NoIntercept,
	}
	obj.init()

	maxIter := lr.MaxIter
	if maxIter == 0 {
		maxIter = 1000
		if l1 > 0 {
			maxIter = 20000
		}
	}
	tol := lr.Tol
	if tol == 0 {
		tol = 1e-6
	}
	ftol := lr.FTol
	switch {
	case ftol == 0:
		ftol = 1e7 * 0x1p-52
	case ftol < 0:
		ftol = 0
	}
	var (
		theta        []float64
		status       optimize.Status
		iters, evals int
	)
	if l1 > 0 {
		var err error
		theta, status, iters, evals, err = fista(ctx, obj, l1, tol, maxIter)
		if err != nil {
			return nil, fmt.Errorf("features: %s: %w", lr.name(), err)
		}
	} else {
		settings := &optimize.Settings{
			GradientThreshold: tol,
			MajorIterations:   maxIter,
			Converger:         &relativeConverge{tol: ftol},
			Recorder:          ctxRecorder{ctx},
		}
		problem := optimize.Problem{Func: obj.f, Grad: obj.grad}
		res, err := optimize.Minimize(problem, make([]float64, obj.size()), settings, &optimize.LBFGS{})
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("features: %s: %w", lr.name(), ctx.Err())
			}
			// gonum reports a failed line search as an error next to a usable
			// best location; keep the location and say so in the result.
			if res == nil {
				return fail("%w", err)
			}
		}
		theta, status, iters, evals = res.X, res.Status, res.Stats.MajorIterations, res.Stats.FuncEvaluations
		if err != nil && status == optimize.NotTerminated {
			status = optimize.Failure
		}
	}
	loss := obj.loss(theta)
	g := make([]float64, len(theta))
	fval := obj.eval(theta, g) + l1*l1Norm(theta[:outs*d])
	gn := 0.0
	for i, v := range g {
		if i < outs*d && l1 > 0 {
			v = minNormSubgradient(v, theta[i], l1)
		}
		gn = math.Max(gn, math.Abs(v))
	}
	m := &LogisticModel{
		NumClasses: numClasses,
		Classes:    classes,
		Dim:        d,
		Weights:    make([][]float64, outs),
		Intercepts: make([]float64, outs),
		Result: FitResult{
			Status:      status.String(),
			Converged:   status == optimize.GradientThreshold || status == optimize.FunctionConvergence || status == optimize.Success || status == optimize.MethodConverge || status == optimize.StepConvergence,
			Iterations:  iters,
			Evaluations: evals,
			Loss:        loss,
			Objective:   fval,
			GradNorm:    gn,
			Rows:        n,
			Features:    d,
		},
	}
	if !lr.NoIntercept && outs > 1 {
		// The softmax is unchanged by a shift of all intercepts; centre them
		// as scikit-learn's solution is (the optimiser starts at zero and the
		// intercept gradient sums to zero, so this only removes drift).
		s := 0.0
		for j := range outs {
			s += theta[outs*d+j]
		}
		for j := range outs {
			theta[outs*d+j] -= s / float64(outs)
		}
	}
	for j := range outs {
		w := slices.Clone(theta[j*d : (j+1)*d])
		b := 0.0
		if !lr.NoIntercept {
			b = theta[outs*d+j]
		}
		if scale != nil {
			for f := range w {
				w[f] /= scale[f]
				b -= w[f] * mean[f]
			}
		}
		m.Weights[j], m.Intercepts[j] = w, b
	}
	m.Result.Elapsed = time.Since(start)
	return m, nil
}

// standardize scales the columns of the n×d matrix x in place to zero mean
// and unit variance and returns the means and scales (1 for constant
// columns).
func standardize(x []float64, n, d int) (mean, scale []float64) {
	mean = make([]float64, d)
	scale = make([]float64, d)
	for i := range n {
		for j, v := range x[i*d : (i+1)*d] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := range n {
		for j, v := range x[i*d : (i+1)*d] {
			dv := v - mean[j]
			scale[j] += dv * dv
		}
	}
	for j := range scale {
		scale[j] = math.Sqrt(scale[j] / float64(n))
		if scale[j] < 1e-12*math.Max(1, math.Abs(mean[j])) {
			scale[j] = 1
		}
	}
	for i := range n {
		row := x[i*d : (i+1)*d]
		for j := range row {
			row[j] = (row[j] - mean[j]) / scale[j]
		}
	}
	return mean, scale
}

// relativeConverge reports FunctionConvergence when an iteration lowers
// the objective by no more than tol relative to its size (SciPy's ftol
// test); tol 0 never fires.
type relativeConverge struct {
	tol   float64
	prev  float64
	first bool
}

func (c *relativeConverge) Init(int) { c.first = true }

func (c *relativeConverge) Converged(loc *optimize.Location) optimize.Status {
	f := loc.F
	if c.first {
		c.first, c.prev = false, f
		return optimize.NotTerminated
	}
	done := c.tol > 0 && c.prev-f <= c.tol*math.Max(math.Abs(c.prev), math.Abs(f))
	c.prev = f
	if done {
		return optimize.FunctionConvergence
	}
	return optimize.NotTerminated
}

// ctxRecorder aborts the optimisation when the context is done.
type ctxRecorder struct{ ctx context.Context }

func (r ctxRecorder) Init() error { return r.ctx.Err() }

func (r ctxRecorder) Record(*optimize.Location, optimize.Operation, *optimize.Stats) error {
	return r.ctx.Err()
}

// logisticObjective evaluates the mean weighted log loss plus the L2
// penalty and its gradient. Parameters are laid out as outs rows of d
// weights followed by outs intercepts.
//
// One evaluation makes a single pass over the design matrix: for each row
// it computes the scores, the loss and the residuals, and adds the row's
// share of the gradient while the row is still in cache. Rows are cut into
// fixed chunks evaluated in parallel, each into its own partial sums, which
// are added in chunk order, so results do not depend on GOMAXPROCS.
type logisticObjective struct {
	x         []float64 // n×d row major
	n, d      int
	outs      int // 1 for binary (sigmoid), k for multinomial (softmax)
	y         []int
	sw        []float64
	penalty   float64 // L2 weight (1−L1Ratio)/(C·n); Inf C gives 0
	intercept bool

	chunk    int         // rows per chunk
	partials [][]float64 // per chunk: outs·d + outs gradient sums, then the loss
	lastX    []float64
	lastF    float64
	lastG    []float64
	valid    bool
}

func (o *logisticObjective) init() {
	o.chunk = max(256, (o.n+63)/64)
	nchunks := (o.n + o.chunk - 1) / o.chunk
	o.partials = make([][]float64, nchunks)
	for i := range o.partials {
		o.partials[i] = make([]float64, o.size()+1)
	}
	o.lastG = make([]float64, o.size())
	o.lastX = make([]float64, o.size())
}

func (o *logisticObjective) size() int { return o.outs*o.d + o.outs }

// f and grad share one evaluation: L-BFGS asks for both at the same point.
func (o *logisticObjective) f(theta []float64) float64 {
	o.cached(theta)
	return o.lastF
}

func (o *logisticObjective) grad(g, theta []float64) {
	o.cached(theta)
	copy(g, o.lastG)
}

func (o *logisticObjective) cached(theta []float64) {
	if o.valid && slices.Equal(theta, o.lastX) {
		return
	}
	o.lastF = o.eval(theta, o.lastG)
	copy(o.lastX, theta)
	o.valid = true
}

// eval returns the objective at theta and writes its gradient into g.
func (o *logisticObjective) eval(theta, g []float64) float64 {
	loss := o.pass(theta)
	d, outs := o.d, o.outs
	clear(g)
	for _, p := range o.partials {
		floats.Add(g, p[:len(g)])
	}
	if !o.intercept {
		clear(g[outs*d:])
	}
	f := loss
	for i, v := range theta[:outs*d] {
		f += 0.5 * o.penalty * v * v
		g[i] += o.penalty * v
	}
	return f
}

// loss returns the weighted mean log loss at theta (no penalty).
func (o *logisticObjective) loss(theta []float64) float64 {
	o.valid = false
	return o.pass(theta)
}

// pass fills o.partials with each chunk's gradient sums (already divided
// by n) and returns the weighted mean loss.
func (o *logisticObjective) pass(theta []float64) float64 {
	o.valid = false
	workers := min(runtime.GOMAXPROCS(0), len(o.partials))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			z := make([]float64, o.outs)
			for {
				c := int(next.Add(1)) - 1
				if c >= len(o.partials) {
					return
				}
				o.chunkPass(theta, c, z)
			}
		})
	}
	wg.Wait()
	loss := 0.0
	for _, p := range o.partials {
		loss += p[len(p)-1]
	}
	return loss
}

func (o *logisticObjective) chunkPass(theta []float64, c int, z []float64) {
	d, outs := o.d, o.outs
	part := o.partials[c]
	clear(part)
	gw, gb := part[:outs*d], part[outs*d:outs*d+outs]
	b := theta[outs*d:]
	inv := 1 / float64(o.n)
	loss := 0.0
	for i := c * o.chunk; i < min(o.n, (c+1)*o.chunk); i++ {
		row := o.x[i*d : (i+1)*d]
		for j := range outs {
			z[j] = floats.Dot(row, theta[j*d:(j+1)*d])
			if o.intercept {
				z[j] += b[j]
			}
		}
		s := o.sw[i]
		yi := o.y[i]
		if outs == 1 {
			t := float64(yi) // 0 or 1
			// log(1+e^z) − t·z, stably.
			loss += s * (softplus(z[0]) - t*z[0])
			z[0] = s * (sigmoid(z[0]) - t) * inv
		} else {
			mx := math.Inf(-1)
			for _, v := range z {
				mx = math.Max(mx, v)
			}
			sum := 0.0
			for j, v := range z {
				z[j] = math.Exp(v - mx)
				sum += z[j]
			}
			loss -= s * math.Log(z[yi]/sum)
			for j := range z {
				p := z[j] / sum
				if j == yi {
					p--
				}
				z[j] = s * p * inv
			}
		}
		for j, r := range z {
			if r != 0 {
				floats.AddScaled(gw[j*d:(j+1)*d], r, row)
			}
			gb[j] += r
		}
	}
	part[len(part)-1] = loss * inv
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus returns log(1+e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

func (m *LogisticModel) name() string {
	if m.Name != "" {
		return m.Name
	}
	return "LogisticModel"
}

// Info implements labelfree.Stage.
func (m *LogisticModel) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   m.name(),
		Reads:  []labelfree.ColumnRef{labelfree.Embedding.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref()},
	}
}

// maxClasses bounds the classes of a loaded model, so a damaged file cannot
// make predictions allocate without end.
const maxClasses = 1 << 20

// Validate checks that the model's shapes agree (a loaded file may not).
func (m *LogisticModel) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: m.name(), Field: field, Reason: reason}
	}
	if m.Dim <= 0 {
		return bad("Dim", fmt.Sprintf("must be positive, got %d", m.Dim))
	}
	if len(m.Classes) < 2 {
		return bad("Classes", fmt.Sprintf("need at least 2 classes, got %d", len(m.Classes)))
	}
	if m.NumClasses > maxClasses {
		return bad("NumClasses", fmt.Sprintf("%d is more than the %d supported", m.NumClasses, maxClasses))
	}
	for i, c := range m.Classes {
		if c < 0 || c >= m.NumClasses || (i > 0 && c <= m.Classes[i-1]) {
			return bad("Classes", fmt.Sprintf("must be ascending indices in [0, NumClasses=%d), got %v", m.NumClasses, m.Classes))
		}
	}
	outs := len(m.Classes)
	if outs == 2 {
		outs = 1
	}
	if len(m.Weights) != outs || len(m.Intercepts) != outs {
		return bad("Weights", fmt.Sprintf("%d classes need %d weight rows and intercepts, got %d and %d", len(m.Classes), outs, len(m.Weights), len(m.Intercepts)))
	}
	for j, w := range m.Weights {
		if len(w) != m.Dim {
			return bad("Weights", fmt.Sprintf("row %d has %d weights, Dim is %d", j, len(w), m.Dim))
		}
		for _, v := range w {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return bad("Weights", fmt.Sprintf("row %d holds a non-finite weight", j))
			}
		}
		if math.IsNaN(m.Intercepts[j]) || math.IsInf(m.Intercepts[j], 0) {
			return bad("Intercepts", fmt.Sprintf("intercept %d is not finite", j))
		}
	}
	return nil
}

// Transform implements labelfree.Transformer.
func (m *LogisticModel) Transform(ctx context.Context, r *labelfree.Row) error {
	e, err := labelfree.MustGet(r, labelfree.Embedding)
	if err != nil {
		return err
	}
	p, err := m.PredictProba(e)
	if err != nil {
		return err
	}
	labelfree.Set(r, labelfree.Probabilities, p)
	labelfree.Set(r, labelfree.Prediction, argmax(p))
	return nil
}

// PredictProba returns the class probabilities of one embedding: a vector
// of NumClasses probabilities summing to 1.
func (m *LogisticModel) PredictProba(e []float32) ([]float64, error) {
	if len(e) != m.Dim {
		return nil, fmt.Errorf("features: %s: embedding has length %d, the model expects %d", m.name(), len(e), m.Dim)
	}
	p := make([]float64, m.NumClasses)
	if len(m.Weights) == 1 {
		z := m.Intercepts[0] + dot(m.Weights[0], e)
		if math.IsNaN(z) || math.IsInf(z, 0) {
			return nil, fmt.Errorf("features: %s: embedding holds non-finite values", m.name())
		}
		q := sigmoid(z)
		p[m.Classes[0]], p[m.Classes[1]] = 1-q, q
		return p, nil
	}
	zs := make([]float64, len(m.Weights))
	mx := math.Inf(-1)
	for j, w := range m.Weights {
		zs[j] = m.Intercepts[j] + dot(w, e)
		if math.IsNaN(zs[j]) || math.IsInf(zs[j], 0) {
			return nil, fmt.Errorf("features: %s: embedding holds non-finite values", m.name())
		}
		mx = math.Max(mx, zs[j])
	}
	sum := 0.0
	for j := range zs {
		zs[j] = math.Exp(zs[j] - mx)
		sum += zs[j]
	}
	for j, c := range m.Classes {
		p[c] = zs[j] / sum
	}
	return p, nil
}

func dot(w []float64, e []float32) float64 {
	s := 0.0
	for i, v := range e {
		s += w[i] * float64(v)
	}
	return s
}

func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}
