package lfbeam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/features"
)

func init() {
	register.DoFn4x1[context.Context, []byte, func(*[]byte) bool, func([]byte), error](&fitFn{})
	register.Iter1[[]byte]()
	register.DoFn2x1[context.Context, []byte, error](&writeModelFn{})
	RegisterEstimator[*features.LogisticRegression]()
}

var estimators struct {
	sync.RWMutex
	types map[string]reflect.Type
}

// RegisterEstimator makes estimator type T usable with Fit: Fit ships the
// estimator to a worker as the JSON of its exported fields, and the worker
// rebuilds it by this registration. T must be a pointer to a struct whose
// parameters are all exported and JSON-encodable. Register in an init
// function of a package both the launching program and the workers import.
// features.LogisticRegression is registered by this package.
func RegisterEstimator[T labelfree.Estimator]() {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("lfbeam.RegisterEstimator: %v is not a pointer to a struct", t))
	}
	estimators.Lock()
	defer estimators.Unlock()
	if estimators.types == nil {
		estimators.types = map[string]reflect.Type{}
	}
	estimators.types[t.Elem().PkgPath()+"."+t.Elem().Name()] = t.Elem()
}

// Fit fits an estimator on the rows of a PCollection and returns a
// PCollection with one element: the fitted model, saved with
// labelfree.Save, ready for TransformWith (or for writing to a file).
//
// The fit runs where the data is small enough to gather: every row is
// sent to one worker, as labelfree.Executor.Fit sees the dataset, and
// the estimator's Fit runs there on the rows without errors, with
// classes as the dataset's Classes. Ship only what the fit reads: for
// features.LogisticRegression that is an embedding (5 KiB with
// MobileNetV2) and a label per row, so a million rows fit in a few GiB;
// drop the images first (see Select). How each labelfree estimator
// distributes is listed in the package documentation.
func Fit(s beam.Scope, est labelfree.Estimator, classes []string, rows beam.PCollection) (beam.PCollection, error) {
	if est == nil {
		return beam.PCollection{}, fmt.Errorf("lfbeam: fit: nil estimator")
	}
	if err := labelfree.ValidateStage(est); err != nil {
		return beam.PCollection{}, err
	}
	t := reflect.TypeOf(est)
	name := ""
	if t.Kind() == reflect.Pointer {
		name = t.Elem().PkgPath() + "." + t.Elem().Name()
	}
	estimators.RLock()
	_, ok := estimators.types[name]
	estimators.RUnlock()
	if !ok {
		return beam.PCollection{}, fmt.Errorf("lfbeam: fit: estimator type %v is not registered: call lfbeam.RegisterEstimator[%v]()", t, t)
	}
	js, err := json.Marshal(est)
	if err != nil {
		return beam.PCollection{}, fmt.Errorf("lfbeam: fit: encode estimator %s: %w", est.Info().Name, err)
	}
	s = s.Scope("lfbeam.Fit")
	// One impulse element with every row as a side input: the fit runs
	// exactly once, on one worker, even when there are no rows (and then
	// fails as the local executor's would).
	return beam.ParDo(s, &fitFn{Type: name, Estimator: js, Classes: classes}, beam.Impulse(s), beam.SideInput{Input: rows}), nil
}

type fitFn struct {
	// Type is the estimator's registered type name.
	Type string
	// Estimator is the JSON of the estimator's exported fields.
	Estimator []byte
	// Classes are the dataset's class names.
	Classes []string
}

func (f *fitFn) ProcessElement(ctx context.Context, _ []byte, iter func(*[]byte) bool, emit func([]byte)) error {
	estimators.RLock()
	t, ok := estimators.types[f.Type]
	estimators.RUnlock()
	if !ok {
		return fmt.Errorf("lfbeam: fit: estimator type %s is not registered in the worker", f.Type)
	}
	v := reflect.New(t).Interface()
	if err := json.Unmarshal(f.Estimator, v); err != nil {
		return fmt.Errorf("lfbeam: fit: decode estimator: %w", err)
	}
	est := v.(labelfree.Estimator)
	ds := &labelfree.Dataset{Classes: f.Classes}
	var b []byte
	for iter(&b) {
		r, err := Decode(b)
		if err != nil {
			return err
		}
		ds.Rows = append(ds.Rows, r)
	}
	sortByPosition(ds.Rows)
	train := &labelfree.Dataset{Rows: ds.OK(), Classes: ds.Classes}
	fitted, err := est.Fit(ctx, train)
	if err != nil {
		return fmt.Errorf("lfbeam: fit stage %s: %w", est.Info().Name, err)
	}
	if fitted == nil {
		return fmt.Errorf("lfbeam: fit stage %s: estimator returned no model", est.Info().Name)
	}
	var buf bytes.Buffer
	if err := labelfree.Save(&buf, &labelfree.PipelineModel{Stages: []labelfree.Stage{fitted}}); err != nil {
		return fmt.Errorf("lfbeam: fit stage %s: %w", est.Info().Name, err)
	}
	emit(buf.Bytes())
	return nil
}

// WriteModel writes the model of a one-element PCollection (as Fit
// returns) to path through Beam's filesystem package (a local or shared
// path, or gs:// and the like once their package is imported), so the
// launching program or a server can labelfree.LoadFile it after the run.
func WriteModel(s beam.Scope, path string, model beam.PCollection) {
	s = s.Scope("lfbeam.WriteModel")
	beam.ParDo0(s, &writeModelFn{Path: path}, model)
}

type writeModelFn struct {
	// Path is the file written.
	Path string
}

func (f *writeModelFn) ProcessElement(ctx context.Context, model []byte) error {
	fs, err := filesystem.New(ctx, f.Path)
	if err != nil {
		return fmt.Errorf("lfbeam: write model: %w", err)
	}
	defer fs.Close()
	tmp := f.Path
	rn, canRename := fs.(filesystem.Renamer)
	if canRename {
		tmp = f.Path + ".tmp"
	}
	w, err := fs.OpenWrite(ctx, tmp)
	if err != nil {
		return fmt.Errorf("lfbeam: write model: %w", err)
	}
	if _, err := w.Write(model); err != nil {
		w.Close()
		return fmt.Errorf("lfbeam: write model: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("lfbeam: write model: %w", err)
	}
	if canRename {
		if err := rn.Rename(ctx, tmp, f.Path); err != nil {
			return fmt.Errorf("lfbeam: write model: %w", err)
		}
	}
	return nil
}
