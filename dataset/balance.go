package dataset

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/labelfree/labelfree"
)

// BalanceStage is the Balance stage's name.
const BalanceStage = "dataset.Balance"

// ErrSurplus is wrapped by the row errors of rows Balance set aside.
var ErrSurplus = errors.New("surplus row set aside to balance classes")

// Balance evens out the classes' row counts. By default it undersamples:
// every class keeps as many usable rows as the smallest class has (or
// MaxPerClass, if smaller), chosen by Seed; the others stay in the dataset,
// failed with ErrSurplus. With Oversample it instead adds copies of rows
// of the smaller classes until each has as many as the largest (or
// MaxPerClass): copy k of row ID gets the ID "ID#k", shares its values and,
// through Row.Seed, gets its own augmentation. TrainTestSplit keeps copies
// with their original.
type Balance struct {
	// Oversample copies minority rows instead of setting majority rows
	// aside.
	Oversample bool
	// MaxPerClass, when positive, caps every class's rows.
	MaxPerClass int
	// Split, when set, balances only the rows of that split (such as
	// SplitTrain), leaving the others alone.
	Split string
	// Seed picks the rows.
	Seed uint64
}

// Info describes the stage.
func (b *Balance) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: BalanceStage, Reads: []labelfree.ColumnRef{labelfree.Label.Ref()}}
}

// Validate checks the parameters.
func (b *Balance) Validate() error {
	if b.MaxPerClass < 0 {
		return &labelfree.ParamError{Stage: BalanceStage, Field: "MaxPerClass", Reason: "must not be negative"}
	}
	return nil
}

// TransformDataset balances the classes.
func (b *Balance) TransformDataset(ctx context.Context, ds *labelfree.Dataset) (*labelfree.Dataset, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	byClass := map[int][]*labelfree.Row{}
	for _, r := range ds.OK() {
		if b.Split != "" {
			if s, _ := labelfree.Get(r, Split); s != b.Split {
				continue
			}
		}
		l, err := labelfree.MustGet(r, labelfree.Label)
		if err != nil {
			r.Fail(BalanceStage, err)
			continue
		}
		byClass[l] = append(byClass[l], r)
	}
	if len(byClass) == 0 {
		return ds, nil
	}
	classes := make([]int, 0, len(byClass))
	lo, hi := -1, 0
	for c, rows := range byClass {
		classes = append(classes, c)
		if lo < 0 || len(rows) < lo {
			lo = len(rows)
		}
		hi = max(hi, len(rows))
		// Seeded order, independent of the rows' order in the dataset.
		sort.Slice(rows, func(i, j int) bool {
			si, sj := rows[i].Seed(b.Seed), rows[j].Seed(b.Seed)
			if si != sj {
				return si < sj
			}
			return rows[i].ID < rows[j].ID
		})
	}
	sort.Ints(classes)
	target := lo
	if b.Oversample {
		target = hi
	}
	if b.MaxPerClass > 0 {
		target = min(target, b.MaxPerClass)
	}
	out := &labelfree.Dataset{Rows: ds.Rows, Classes: ds.Classes, Reports: ds.Reports}
	for _, c := range classes {
		rows := byClass[c]
		name := fmt.Sprint(c)
		if c >= 0 && c < len(ds.Classes) {
			name = ds.Classes[c]
		}
		for _, r := range rows[min(target, len(rows)):] {
			r.Fail(BalanceStage, fmt.Errorf("%w: class %q has %d rows, target %d", ErrSurplus, name, len(rows), target))
		}
		for k := 0; len(rows) > 0 && len(rows)+k < target; k++ {
			orig := rows[k%len(rows)]
			cp := orig.Clone()
			cp.ID = fmt.Sprintf("%s#%d", orig.ID, k/len(rows)+1)
			out.Rows = append(out.Rows, cp)
		}
	}
	return out, ctx.Err()
}
