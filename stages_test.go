package labelfree_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"

	"github.com/labelfree/labelfree"
)

// Columns and stages shared by the tests and examples of this package.
var (
	colX        = labelfree.NewColumn[float64]("test.x", "raw value")
	colCentered = labelfree.NewColumn[float64]("test.centered", "value minus the fitted mean")
	colAbove    = labelfree.NewColumn[bool]("test.above", "centered value above threshold")
	colNoise    = labelfree.NewColumn[float64]("test.noise", "seeded noise")
	// colXWrong clashes with colX: same name, another type.
	colXWrong = labelfree.NewColumn[string]("test.x", "clashing declaration")
)

func init() {
	labelfree.Register[*centererModel]()
	labelfree.Register[*threshold]()
}

// centerer is an Estimator: it learns the mean of test.x.
type centerer struct{}

func (centerer) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "Centerer", Reads: []labelfree.ColumnRef{colX.Ref()}, Writes: []labelfree.ColumnRef{colCentered.Ref()}}
}

func (centerer) Fit(ctx context.Context, ds *labelfree.Dataset) (labelfree.Transformer, error) {
	if len(ds.Rows) == 0 {
		return nil, errors.New("no rows to fit")
	}
	var sum float64
	for _, r := range ds.Rows {
		x, err := labelfree.MustGet(r, colX)
		if err != nil {
			return nil, err
		}
		sum += x
	}
	if p := labelfree.ProgressFrom(ctx); p != nil {
		p.Progress("Centerer/fit", len(ds.Rows), len(ds.Rows))
	}
	return &centererModel{Mean: sum / float64(len(ds.Rows))}, nil
}

// centererModel is the fitted centerer; it fails rows whose x is negative
// so tests can watch failures flow.
type centererModel struct {
	Mean float64
}

func (m *centererModel) Info() labelfree.StageInfo { return centerer{}.Info() }

func (m *centererModel) Transform(ctx context.Context, r *labelfree.Row) error {
	x, err := labelfree.MustGet(r, colX)
	if err != nil {
		return err
	}
	if x < 0 {
		return fmt.Errorf("negative x %v", x)
	}
	labelfree.Set(r, colCentered, x-m.Mean)
	return nil
}

// threshold is a Transformer with a validated parameter.
type threshold struct {
	Level float64
	calls atomic.Int64
}

func (t *threshold) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "Threshold", Reads: []labelfree.ColumnRef{colCentered.Ref()}, Writes: []labelfree.ColumnRef{colAbove.Ref()}}
}

func (t *threshold) Validate() error {
	if t.Level < -1e9 || t.Level > 1e9 {
		return &labelfree.ParamError{Stage: "Threshold", Field: "Level", Reason: fmt.Sprintf("%v is out of range", t.Level)}
	}
	return nil
}

func (t *threshold) Transform(ctx context.Context, r *labelfree.Row) error {
	t.calls.Add(1)
	c, err := labelfree.MustGet(r, colCentered)
	if err != nil {
		return err
	}
	labelfree.Set(r, colAbove, c > t.Level)
	return nil
}

// noise writes seeded per-row noise, to test determinism.
type noise struct{ Seed uint64 }

func (noise) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "Noise", Writes: []labelfree.ColumnRef{colNoise.Ref()}}
}

func (n noise) Transform(ctx context.Context, r *labelfree.Row) error {
	rng := rand.New(rand.NewPCG(r.Seed(n.Seed), 0))
	labelfree.Set(r, colNoise, rng.Float64())
	return nil
}

func rowsX(xs ...float64) *labelfree.Dataset {
	rows := make([]*labelfree.Row, len(xs))
	for i, x := range xs {
		rows[i] = labelfree.NewRow(fmt.Sprintf("r%03d", i))
		labelfree.Set(rows[i], colX, x)
	}
	return labelfree.NewDataset(rows...)
}
