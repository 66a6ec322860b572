package export

import (
	"context"
	"fmt"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// Stage is a labelfree DatasetTransformer that writes the dataset's boxes
// in the chosen formats as a pipeline's last step. It converts the dataset
// with annot.FromDataset (image paths made relative to Root, which is also
// where photos are copied from unless Options.ImageRoot says otherwise) and
// returns the dataset unchanged; the per-format reports are kept in Result.
type Stage struct {
	// Dir is the output directory.
	Dir string
	// Root is the directory the dataset's image paths lie under.
	Root string
	// Size looks up image sizes the rows do not carry.
	Size annot.SizeFunc
	// Options are passed to All.
	Options Options
	// Result is set after TransformDataset.
	Result *Result
}

// Info names the stage and the columns it reads.
func (s *Stage) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "export", Reads: []labelfree.ColumnRef{labelfree.ImagePath.Ref()}}
}

// Validate checks that an output directory is set.
func (s *Stage) Validate() error {
	if s.Dir == "" {
		return &labelfree.ParamError{Stage: "export", Field: "Dir", Reason: "is empty"}
	}
	return nil
}

// TransformDataset writes ds and returns it unchanged.
func (s *Stage) TransformDataset(ctx context.Context, ds *labelfree.Dataset) (*labelfree.Dataset, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	set, err := annot.FromDataset(ds, &annot.Options{Root: s.Root, Size: s.Size})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	o := s.Options
	if o.ImageRoot == "" {
		o.ImageRoot = s.Root
	}
	res, err := All(ctx, s.Dir, set, &o)
	if err != nil {
		return nil, err
	}
	s.Result = res
	return ds, nil
}
