package labelfree

import (
	"context"
	"errors"
	"fmt"
)

// A Pipeline is a sequence of stages fitted together, like SparkML's
// Pipeline: each Estimator is fitted on the output of the stages before it
// and replaced by its fitted model. Fit it with Executor.Fit.
type Pipeline struct {
	Stages []Stage
}

// NewPipeline assembles a pipeline and checks it: every stage's parameters
// are valid and no stage reads a column with a different type than an
// earlier stage writes it. Columns that no stage writes are the pipeline's
// inputs; Executor.Fit checks them against the dataset.
func NewPipeline(stages ...Stage) (*Pipeline, error) {
	p := &Pipeline{Stages: stages}
	if err := p.check(nil); err != nil {
		return nil, err
	}
	return p, nil
}

// Inputs lists the columns the pipeline reads that none of its stages
// writes: what the input dataset must provide.
func (p *Pipeline) Inputs() []ColumnRef {
	return inputsOf(p.Stages)
}

// check validates parameters and column flow. With input == nil, columns
// no earlier stage writes are taken to be inputs; otherwise each must be
// in input.
func (p *Pipeline) check(input []ColumnRef) error {
	if len(p.Stages) == 0 {
		return errors.New("labelfree: pipeline has no stages")
	}
	for i, s := range p.Stages {
		if s == nil {
			return fmt.Errorf("labelfree: pipeline stage %d is nil", i)
		}
		if err := ValidateStage(s); err != nil {
			return err
		}
	}
	return checkFlow(p.Stages, input)
}

func inputsOf(stages []Stage) []ColumnRef {
	written := map[string]bool{}
	seen := map[string]bool{}
	var in []ColumnRef
	for _, s := range stages {
		info := s.Info()
		for _, r := range info.Reads {
			if !written[r.Name] && !seen[r.Name] {
				seen[r.Name] = true
				in = append(in, r)
			}
		}
		for _, w := range info.Writes {
			written[w.Name] = true
		}
	}
	return in
}

// checkFlow walks the stages and reports the first read that does not match
// what an earlier stage (or the input) provides.
func checkFlow(stages []Stage, input []ColumnRef) error {
	type source struct {
		ref   ColumnRef
		stage string
	}
	avail := map[string]source{}
	for _, c := range input {
		avail[c.Name] = source{ref: c, stage: "the input dataset"}
	}
	for i, s := range stages {
		info := s.Info()
		for _, r := range info.Reads {
			src, ok := avail[r.Name]
			switch {
			case !ok && input != nil:
				return fmt.Errorf("labelfree: stage %d (%s) reads column %s, which no earlier stage writes and the input dataset lacks", i, info.Name, r)
			case !ok:
				avail[r.Name] = source{ref: r, stage: fmt.Sprintf("the input dataset (first read by stage %d, %s)", i, info.Name)}
			case src.ref.Type != r.Type:
				return fmt.Errorf("labelfree: stage %d (%s) reads column %q as %v, but %s provides it as %v", i, info.Name, r.Name, r.Type, src.stage, src.ref.Type)
			}
		}
		for _, w := range info.Writes {
			avail[w.Name] = source{ref: w, stage: fmt.Sprintf("stage %d (%s)", i, info.Name)}
		}
	}
	return nil
}

// A PipelineModel is a fitted pipeline: a sequence of Transformers and
// DatasetTransformers. Run it over a dataset with Executor.Transform, over
// one row with TransformRow, and persist it with Save and Load.
type PipelineModel struct {
	Stages []Stage
	// Classes names the class indices of the Label, Prediction and
	// Probabilities columns, as in the dataset the model was fitted on.
	// It is saved with the model, so a server can name its answers.
	Classes []string
}

// Info describes the whole model: what it reads from its input and what its
// stages write.
func (m *PipelineModel) Info() StageInfo {
	info := StageInfo{Name: "PipelineModel", Reads: inputsOf(m.Stages)}
	for _, s := range m.Stages {
		info.Writes = append(info.Writes, s.Info().Writes...)
	}
	return info
}

func (m *PipelineModel) check(input []ColumnRef) error {
	for i, s := range m.Stages {
		switch s.(type) {
		case Transformer, DatasetTransformer:
		default:
			return fmt.Errorf("labelfree: model stage %d (%s) is not fitted", i, s.Info().Name)
		}
		if err := ValidateStage(s); err != nil {
			return err
		}
	}
	return checkFlow(m.Stages, input)
}

// TransformRow runs every stage of the model on one row, in the calling
// goroutine, without the executor's scheduling: the low-latency path for
// serving. It returns the row's error, if any stage failed it.
func (m *PipelineModel) TransformRow(ctx context.Context, r *Row) error {
	for _, s := range m.Stages {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch t := s.(type) {
		case Transformer:
			if err := transformRow(ctx, t, r); err != nil {
				return err
			}
		case DatasetTransformer:
			out, err := t.TransformDataset(ctx, NewDataset(r))
			if err != nil {
				return err
			}
			if len(out.Rows) != 1 {
				return fmt.Errorf("labelfree: stage %s turned one row into %d", t.Info().Name, len(out.Rows))
			}
			*r = *out.Rows[0]
		}
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}
