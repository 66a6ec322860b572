package labelfree

import (
	"context"
	"fmt"
)

// StageInfo describes a stage: its name in errors, progress and reports, and
// the columns it reads and writes. Pipelines check, before any work, that
// every column a stage reads is written by an earlier stage or present in
// the input, with the same type.
type StageInfo struct {
	Name   string
	Reads  []ColumnRef
	Writes []ColumnRef
}

// A Stage is anything that can sit in a Pipeline: a Transformer, a
// DatasetTransformer or an Estimator.
type Stage interface {
	Info() StageInfo
}

// A Transformer maps one row to one row: it reads its declared columns and
// writes its declared outputs into r. Transform must be a pure function of
// the row and the stage's own (fitted) state and must be safe for concurrent
// use, so the executor may run it on many rows at once and a distributed
// runner may run it on other machines. A returned error fails that row only;
// the executor records it in r.Err and goes on.
type Transformer interface {
	Stage
	Transform(ctx context.Context, r *Row) error
}

// A BatchTransformer is a Transformer that works faster on several rows at
// once (a CNN forward pass, say). The executor hands it up to BatchSize rows
// at a time; results must equal those of Transform row by row. Per-row
// failures are recorded with Row.Fail; a returned error aborts the run.
type BatchTransformer interface {
	Transformer
	BatchSize() int
	TransformBatch(ctx context.Context, rows []*Row) error
}

// A DatasetTransformer needs the whole dataset at once (deduplication,
// balancing, splitting). It returns a new dataset and must not drop failed
// rows.
type DatasetTransformer interface {
	Stage
	TransformDataset(ctx context.Context, ds *Dataset) (*Dataset, error)
}

// An Estimator is fitted on a dataset and returns the fitted model as a
// Transformer. Fit sees only the rows without errors.
type Estimator interface {
	Stage
	Fit(ctx context.Context, ds *Dataset) (Transformer, error)
}

// A Validator checks a stage's parameters. Pipelines call Validate on every
// stage before any work starts; errors should be *ParamError values.
type Validator interface {
	Validate() error
}

// A ParamError reports a bad stage parameter.
type ParamError struct {
	Stage  string
	Field  string
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("labelfree: stage %s: field %s: %s", e.Stage, e.Field, e.Reason)
}

// ValidateStage runs the stage's Validate method when it has one.
func ValidateStage(s Stage) error {
	if v, ok := s.(Validator); ok {
		return v.Validate()
	}
	return nil
}

// A Recomputable stage is cheaper to run again than to checkpoint (decoding
// an image, say, whose decoded pixels take many times the space of its
// bytes). The executor does not checkpoint stages whose Recomputable method
// returns true.
type Recomputable interface {
	Recomputable() bool
}
