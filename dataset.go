package labelfree

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// A Dataset is an ordered collection of rows plus the names of its classes
// and a report per stage that has run over it. Stages mutate rows in place;
// use Clone to keep an earlier state.
type Dataset struct {
	Rows []*Row
	// Classes names the values of the Label column: Classes[i] is class i.
	Classes []string
	// Reports has one entry per stage run over the dataset, in order.
	Reports []StageReport
}

// A StageReport says how a stage's run over a dataset went.
type StageReport struct {
	Stage   string
	Rows    int // rows the stage saw
	Failed  int // rows that failed in this stage
	Skipped int // rows skipped because an earlier stage failed them
	Elapsed time.Duration
}

func (s StageReport) String() string {
	return fmt.Sprintf("%s: %d rows, %d failed, %d skipped, %v", s.Stage, s.Rows, s.Failed, s.Skipped, s.Elapsed.Round(time.Millisecond))
}

// NewDataset returns a dataset of the given rows. Rows without an ID get
// their index as ID.
func NewDataset(rows ...*Row) *Dataset {
	ds := &Dataset{Rows: rows}
	for i, r := range rows {
		if r.ID == "" {
			r.ID = fmt.Sprint(i)
		}
	}
	return ds
}

// Len returns the number of rows, failed ones included.
func (d *Dataset) Len() int { return len(d.Rows) }

// OK returns the rows without errors.
func (d *Dataset) OK() []*Row {
	out := make([]*Row, 0, len(d.Rows))
	for _, r := range d.Rows {
		if r.Err == nil {
			out = append(out, r)
		}
	}
	return out
}

// Failed returns the rows with errors.
func (d *Dataset) Failed() []*Row {
	var out []*Row
	for _, r := range d.Rows {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}

// Clone copies the dataset and its rows (values are shared, see Row.Clone).
func (d *Dataset) Clone() *Dataset {
	c := &Dataset{
		Rows:    make([]*Row, len(d.Rows)),
		Classes: append([]string(nil), d.Classes...),
		Reports: append([]StageReport(nil), d.Reports...),
	}
	for i, r := range d.Rows {
		c.Rows[i] = r.Clone()
	}
	return c
}

// ColumnNames lists the columns set on at least one row, sorted.
func (d *Dataset) ColumnNames() []string {
	seen := map[string]bool{}
	for _, r := range d.Rows {
		for _, c := range r.vals {
			seen[c.def.name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (d *Dataset) columnRefs() []ColumnRef {
	seen := map[string]ColumnRef{}
	for _, r := range d.Rows {
		for _, c := range r.vals {
			seen[c.def.name] = ColumnRef{Name: c.def.name, Type: c.def.typ}
		}
	}
	refs := make([]ColumnRef, 0, len(seen))
	for _, ref := range seen {
		refs = append(refs, ref)
	}
	return refs
}

// Summary describes the dataset in one line per stage report plus totals.
func (d *Dataset) Summary() string {
	var b strings.Builder
	for _, r := range d.Reports {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%d rows, %d failed", len(d.Rows), len(d.Failed()))
	return b.String()
}
