package labelfree

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Progress receives progress reports from the executor: done of total rows
// of the named stage are finished. Calls for one run are serialised, so
// implementations need no locking of their own.
type Progress interface {
	Progress(stage string, done, total int)
}

// ProgressFunc adapts a function to the Progress interface.
type ProgressFunc func(stage string, done, total int)

// Progress calls f.
func (f ProgressFunc) Progress(stage string, done, total int) { f(stage, done, total) }

type progressKey struct{}

// WithProgress returns a copy of ctx that carries p. Executor.Fit uses it
// to hand its Progress to estimators, whose own work (training epochs,
// feature passes) is invisible to the executor; an estimator reports
// through ProgressFrom(ctx) when it has no Progress of its own.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// ProgressFrom returns the Progress that ctx carries, or nil.
func ProgressFrom(ctx context.Context) Progress {
	p, _ := ctx.Value(progressKey{}).(Progress)
	return p
}

// An Executor runs stages over a dataset on this machine: goroutines over
// partitions of rows, bounded by Workers. The zero value is ready to use.
//
// Results do not depend on Workers or PartitionSize: row-wise stages are
// pure functions of the row, and per-row randomness comes from Row.Seed.
type Executor struct {
	// Workers bounds the goroutines working at once; 0 means GOMAXPROCS.
	Workers int
	// PartitionSize is the number of rows a worker takes at a time; 0 means
	// the stage's batch size for a BatchTransformer and 1 otherwise.
	PartitionSize int
	// Progress, if non-nil, receives a report after each partition.
	Progress Progress
	// Checkpoint, if non-nil, stores what every row-wise stage wrote to
	// each row (the columns its StageInfo declares, and the row's error)
	// and restores finished rows on a later run, so an interrupted run
	// resumes without redoing them. Records are keyed by stage name and
	// row ID: stages of one run that write different things need distinct
	// names, and a checkpoint belongs to one configuration of the run.
	Checkpoint Checkpoint
}

func (e *Executor) workers() int {
	if e.Workers > 0 {
		return e.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Fit fits the pipeline on ds: it validates every stage and the column
// flow, then runs the stages in order, fitting each Estimator on the rows
// the stages before it produced (failed rows excluded) and transforming the
// data with the fitted model. It returns the fitted model and the dataset as
// transformed by every stage. Rows of ds are modified in place. The
// executor's Progress reaches each estimator's Fit through the context (see
// ProgressFrom).
func (e *Executor) Fit(ctx context.Context, p *Pipeline, ds *Dataset) (*PipelineModel, *Dataset, error) {
	if err := p.check(ds.columnRefs()); err != nil {
		return nil, ds, err
	}
	model := &PipelineModel{Classes: append([]string(nil), ds.Classes...)}
	for _, s := range p.Stages {
		if est, ok := s.(Estimator); ok {
			start := time.Now()
			train := &Dataset{Rows: ds.OK(), Classes: ds.Classes}
			fctx := ctx
			if e.Progress != nil {
				fctx = WithProgress(ctx, e.Progress)
			}
			fitted, err := est.Fit(fctx, train)
			if err != nil {
				return nil, ds, fmt.Errorf("labelfree: fit stage %s: %w", est.Info().Name, err)
			}
			if fitted == nil {
				return nil, ds, fmt.Errorf("labelfree: fit stage %s: estimator returned no model", est.Info().Name)
			}
			ds.Reports = append(ds.Reports, StageReport{Stage: est.Info().Name + " (fit)", Rows: len(train.Rows), Elapsed: time.Since(start)})
			s = fitted
		}
		var err error
		if ds, err = e.run(ctx, s, ds); err != nil {
			return nil, ds, err
		}
		model.Stages = append(model.Stages, s)
	}
	return model, ds, nil
}

// Transform runs a Transformer, a DatasetTransformer or a *PipelineModel
// over ds and returns the result. Rows are modified in place. Parameters are
// validated before any work; a cancelled context stops the run promptly
// with the context's error.
func (e *Executor) Transform(ctx context.Context, s Stage, ds *Dataset) (*Dataset, error) {
	if m, ok := s.(*PipelineModel); ok {
		if err := m.check(ds.columnRefs()); err != nil {
			return ds, err
		}
		var err error
		for _, st := range m.Stages {
			if ds, err = e.run(ctx, st, ds); err != nil {
				return ds, err
			}
		}
		return ds, nil
	}
	if err := ValidateStage(s); err != nil {
		return ds, err
	}
	return e.run(ctx, s, ds)
}

func (e *Executor) run(ctx context.Context, s Stage, ds *Dataset) (*Dataset, error) {
	if err := ctx.Err(); err != nil {
		return ds, err
	}
	name := s.Info().Name
	start := time.Now()
	switch t := s.(type) {
	case Transformer:
		rep, err := e.runRows(ctx, t, ds)
		rep.Elapsed = time.Since(start)
		ds.Reports = append(ds.Reports, rep)
		return ds, err
	case DatasetTransformer:
		before := len(ds.Failed())
		out, err := t.TransformDataset(ctx, ds)
		if err != nil {
			return ds, fmt.Errorf("labelfree: stage %s: %w", name, err)
		}
		if out == nil {
			return ds, fmt.Errorf("labelfree: stage %s returned no dataset", name)
		}
		out.Reports = append(out.Reports, StageReport{Stage: name, Rows: len(ds.Rows), Failed: len(out.Failed()) - before, Elapsed: time.Since(start)})
		if e.Progress != nil {
			e.Progress.Progress(name, len(out.Rows), len(out.Rows))
		}
		return out, nil
	case Estimator:
		return ds, fmt.Errorf("labelfree: stage %s is an estimator: fit it in a Pipeline first", name)
	default:
		return ds, fmt.Errorf("labelfree: stage %s (%T) is neither a Transformer nor a DatasetTransformer", name, s)
	}
}

func (e *Executor) runRows(ctx context.Context, t Transformer, ds *Dataset) (StageReport, error) {
	name := t.Info().Name
	rep := StageReport{Stage: name, Rows: len(ds.Rows)}
	bt, batched := t.(BatchTransformer)
	batch := 1
	if batched {
		batch = max(1, bt.BatchSize())
	}
	part := e.PartitionSize
	if part <= 0 {
		part = batch
	}
	n := len(ds.Rows)
	nparts := (n + part - 1) / part
	workers := min(e.workers(), max(nparts, 1))

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	keep := map[string]bool{}
	for _, w := range t.Info().Writes {
		keep[w.Name] = true
	}
	ck := e.Checkpoint
	if rc, ok := t.(Recomputable); ok && rc.Recomputable() {
		ck = nil
	}
	var (
		next, done, failed, skipped atomic.Int64
		progressMu                  sync.Mutex
		wg                          sync.WaitGroup
	)
	report := func() {
		if e.Progress == nil {
			return
		}
		progressMu.Lock()
		e.Progress.Progress(name, int(done.Load()), n)
		progressMu.Unlock()
	}
	report()
	for range workers {
		wg.Go(func() {
			pending := make([]*Row, 0, batch)
			for {
				p := int(next.Add(1)) - 1
				if p >= nparts || ctx.Err() != nil {
					return
				}
				lo, hi := p*part, min((p+1)*part, n)
				pending = pending[:0]
				for _, r := range ds.Rows[lo:hi] {
					switch {
					case r.Err != nil:
						skipped.Add(1)
					case restore(ck, name, r):
						if r.Err != nil {
							failed.Add(1)
						}
					default:
						pending = append(pending, r)
					}
				}
				for len(pending) > 0 {
					if ctx.Err() != nil {
						return
					}
					k := min(batch, len(pending))
					chunk := pending[:k]
					var err error
					if batched {
						err = transformBatch(ctx, bt, chunk)
					} else {
						err = transformRow(ctx, t, chunk[0])
					}
					if err != nil {
						cancel(err)
						return
					}
					for _, r := range chunk {
						if r.Err != nil {
							failed.Add(1)
						}
						if err := store(ck, name, r, keep); err != nil {
							cancel(err)
							return
						}
					}
					pending = pending[k:]
				}
				done.Add(int64(hi - lo))
				report()
			}
		})
	}
	wg.Wait()
	rep.Failed, rep.Skipped = int(failed.Load()), int(skipped.Load())
	if err := context.Cause(ctx); err != nil {
		return rep, fmt.Errorf("labelfree: stage %s: %w", name, err)
	}
	return rep, nil
}

// transformRow runs one row, turning its error or panic into the row's
// failure; only the context's own error aborts the run.
func transformRow(ctx context.Context, t Transformer, r *Row) (err error) {
	// The stage's name is looked up only on failure: Info allocates, and
	// this is the serving path.
	defer func() {
		if p := recover(); p != nil {
			r.Fail(t.Info().Name, fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
			err = nil
		}
	}()
	if rerr := t.Transform(ctx, r); rerr != nil {
		if ctx.Err() != nil && (errors.Is(rerr, context.Canceled) || errors.Is(rerr, context.DeadlineExceeded)) {
			return ctx.Err()
		}
		r.Fail(t.Info().Name, rerr)
	}
	return nil
}

// transformBatch runs a batch; a panic fails every row of the batch.
func transformBatch(ctx context.Context, t BatchTransformer, rows []*Row) (err error) {
	defer func() {
		if p := recover(); p != nil {
			perr := fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			for _, r := range rows {
				r.Fail(t.Info().Name, perr)
			}
			err = nil
		}
	}()
	return t.TransformBatch(ctx, rows)
}

// restore merges a row's checkpointed stage output into r.
func restore(ck Checkpoint, stage string, r *Row) bool {
	if ck == nil {
		return false
	}
	b, ok := ck.Load(stage, r.ID)
	if !ok {
		return false
	}
	var saved Row
	if err := saved.UnmarshalBinary(b); err != nil || saved.ID != r.ID {
		return false // a damaged record is recomputed
	}
	for _, cl := range saved.vals {
		r.set(cl)
	}
	r.Err = saved.Err
	return true
}

// store checkpoints the columns the stage writes (keep) and the row's error.
func store(ck Checkpoint, stage string, r *Row, keep map[string]bool) error {
	if ck == nil {
		return nil
	}
	b, err := r.marshal(keep)
	if err != nil {
		return err
	}
	return ck.Store(stage, r.ID, b)
}
