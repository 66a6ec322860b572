package lfbeam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/labelfree/labelfree"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func([]byte), error](&transformFn{})
	register.DoFn4x1[context.Context, []byte, []byte, func([]byte), error](&transformSideFn{})
	register.DoFn3x1[context.Context, []byte, func([]byte), error](&transformFileFn{})
}

// Transform runs a fitted model over a PCollection of encoded rows (see
// Create and ReadDataset) as one ParDo and returns the transformed rows.
//
// The model crosses the network once, as the bytes of labelfree.Save, and
// each worker loads it once (in the DoFn's Setup); rows cross it encoded
// by Row.MarshalBinary, so every column type must be declared (imported)
// in the worker binary, which it is when the worker runs the same program.
// Each stage runs on a worker's rows exactly as the local
// labelfree.Executor runs it: rows that failed before are passed on
// untouched, a stage's error fails only its row (which is emitted with its
// error, never dropped), and BatchTransformer stages get their rows in
// batches; a worker gathers two rows per core of a bundle (or a stage's
// batch size, if larger) and runs them on all its cores. Because
// per-row work is a pure function of the row and
// randomness comes from Row.Seed, the output equals the local executor's
// row for row.
//
// Every stage must be a Transformer: a DatasetTransformer needs the whole
// dataset at once (deduplication, splitting) and is refused; run it on the
// collected dataset instead. The model's stage types must be registered
// with labelfree.Register.
func Transform(s beam.Scope, model *labelfree.PipelineModel, rows beam.PCollection) (beam.PCollection, error) {
	b, err := saveModel(model)
	if err != nil {
		return beam.PCollection{}, err
	}
	s = s.Scope("lfbeam.Transform")
	return beam.ParDo(s, &transformFn{Model: b}, rows), nil
}

// TransformWith is Transform with the model computed by the pipeline
// itself: model is a PCollection holding exactly one element, the bytes
// of labelfree.Save (as Fit returns). Each worker loads it once. Rows must
// be in the global window (the default).
func TransformWith(s beam.Scope, model, rows beam.PCollection) beam.PCollection {
	s = s.Scope("lfbeam.TransformWith")
	return beam.ParDo(s, &transformSideFn{}, rows, beam.SideInput{Input: model})
}

// TransformFile is Transform with the model read by each worker from a
// file saved with labelfree.SaveFile, through Beam's filesystem package (a
// shared path, or gs:// and the like once their package is imported),
// instead of travelling inside the pipeline description. Use it for large
// models (an ImageFeaturizer with an imported ONNX backbone): runners
// limit the size of a submitted pipeline (Dataflow to about 10 MB). The
// launcher reads the file once to check it.
func TransformFile(ctx context.Context, s beam.Scope, path string, rows beam.PCollection) (beam.PCollection, error) {
	b, err := readFile(ctx, path)
	if err != nil {
		return beam.PCollection{}, err
	}
	if _, err := loadModel(b); err != nil {
		return beam.PCollection{}, err
	}
	s = s.Scope("lfbeam.TransformFile")
	return beam.ParDo(s, &transformFileFn{Path: path}, rows), nil
}

func readFile(ctx context.Context, path string) ([]byte, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("lfbeam: %w", err)
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("lfbeam: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("lfbeam: read %s: %w", path, err)
	}
	return b, nil
}

func saveModel(model *labelfree.PipelineModel) ([]byte, error) {
	if model == nil || len(model.Stages) == 0 {
		return nil, errors.New("lfbeam: model has no stages")
	}
	if err := checkRowStages(model); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := labelfree.Save(&buf, model); err != nil {
		return nil, fmt.Errorf("lfbeam: ship model: %w", err)
	}
	return buf.Bytes(), nil
}

func checkRowStages(model *labelfree.PipelineModel) error {
	for i, st := range model.Stages {
		if _, ok := st.(labelfree.Transformer); !ok {
			return fmt.Errorf("lfbeam: model stage %d (%s) is not a row Transformer: a %T needs the whole dataset; run it on the collected dataset", i, st.Info().Name, st)
		}
	}
	return nil
}

func loadModel(b []byte) (*labelfree.PipelineModel, error) {
	m, err := labelfree.Load(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("lfbeam: load shipped model: %w", err)
	}
	if err := checkRowStages(m); err != nil {
		return nil, err
	}
	return m, nil
}

// bufferRows is how many rows of a bundle a worker gathers before running
// them through the stages: two per core keeps every core busy without
// holding many decoded images.
func bufferRows() int { return 2 * runtime.GOMAXPROCS(0) }

// rowRunner buffers a bundle's rows and runs stages over them with the
// local executor, using every core of the worker.
type rowRunner struct {
	stages []labelfree.Stage
	buffer int
	rows   []*labelfree.Row
}

func newRowRunner(stages []labelfree.Stage) *rowRunner {
	n := bufferRows()
	for _, st := range stages {
		if bt, ok := st.(labelfree.BatchTransformer); ok {
			n = max(n, bt.BatchSize())
		}
	}
	return &rowRunner{stages: stages, buffer: n}
}

// add decodes an element and runs the buffer when it is full.
func (rr *rowRunner) add(ctx context.Context, b []byte, emit func([]byte)) error {
	r, err := Decode(b)
	if err != nil {
		return err // a row that cannot be decoded has no ID to fail under
	}
	rr.rows = append(rr.rows, r)
	if len(rr.rows) >= rr.buffer {
		return rr.flush(ctx, emit)
	}
	return nil
}

// flush runs every stage over the buffered rows, in order, and emits them.
func (rr *rowRunner) flush(ctx context.Context, emit func([]byte)) error {
	if len(rr.rows) == 0 {
		return nil
	}
	rows := rr.rows
	rr.rows = nil
	if err := runStages(ctx, rr.stages, rows); err != nil {
		return err
	}
	for _, r := range rows {
		b, err := r.MarshalBinary()
		if err != nil {
			return fmt.Errorf("lfbeam: %w", err)
		}
		emit(b)
	}
	return nil
}

// runStages runs each stage over rows with the local executor (one
// goroutine per core), which skips failed rows, fails rows on their own
// errors and panics, and batches for BatchTransformers: the same code path
// as a local run, so the same results.
func runStages(ctx context.Context, stages []labelfree.Stage, rows []*labelfree.Row) error {
	ex := labelfree.Executor{}
	ds := &labelfree.Dataset{Rows: rows}
	for _, st := range stages {
		if _, err := ex.Transform(ctx, st, ds); err != nil {
			return fmt.Errorf("lfbeam: %w", err)
		}
	}
	return nil
}

type transformFn struct {
	// Model is the saved PipelineModel (labelfree.Save).
	Model []byte

	run *rowRunner
}

func (f *transformFn) Setup() error {
	m, err := loadModel(f.Model)
	if err != nil {
		return err
	}
	f.run = newRowRunner(m.Stages)
	return nil
}

func (f *transformFn) ProcessElement(ctx context.Context, row []byte, emit func([]byte)) error {
	return f.run.add(ctx, row, emit)
}

func (f *transformFn) FinishBundle(ctx context.Context, emit func([]byte)) error {
	return f.run.flush(ctx, emit)
}

// transformSideFn loads the side input's model on its first element and
// keeps it: in the global window the singleton side input is the same for
// every element of the pipeline.
type transformSideFn struct {
	run *rowRunner
}

func (f *transformSideFn) ProcessElement(ctx context.Context, row, model []byte, emit func([]byte)) error {
	if f.run == nil {
		m, err := loadModel(model)
		if err != nil {
			return err
		}
		f.run = newRowRunner(m.Stages)
	}
	return f.run.add(ctx, row, emit)
}

// FinishBundle takes the side input too, as Beam requires of a DoFn whose
// ProcessElement has one.
func (f *transformSideFn) FinishBundle(ctx context.Context, _ []byte, emit func([]byte)) error {
	if f.run == nil {
		return nil
	}
	return f.run.flush(ctx, emit)
}

type transformFileFn struct {
	// Path is the saved model's file.
	Path string

	run *rowRunner
}

func (f *transformFileFn) Setup(ctx context.Context) error {
	b, err := readFile(ctx, f.Path)
	if err != nil {
		return err
	}
	m, err := loadModel(b)
	if err != nil {
		return err
	}
	f.run = newRowRunner(m.Stages)
	return nil
}

func (f *transformFileFn) ProcessElement(ctx context.Context, row []byte, emit func([]byte)) error {
	return f.run.add(ctx, row, emit)
}

func (f *transformFileFn) FinishBundle(ctx context.Context, emit func([]byte)) error {
	return f.run.flush(ctx, emit)
}
