package superpixel

import (
	"context"

	"github.com/labelfree/labelfree"
)

func init() {
	labelfree.Register[*Transformer]()
}

// Transformer is the pipeline stage: it segments each row's labelfree.Image
// with SLIC and writes the result to Segments. The zero value uses SLIC's
// defaults; it saves with the pipeline as the JSON of its parameters.
type Transformer struct {
	// SLIC holds the segmentation parameters.
	SLIC SLIC
}

var (
	_ labelfree.Transformer  = (*Transformer)(nil)
	_ labelfree.Recomputable = (*Transformer)(nil)
)

// Info names the stage "superpixel", reading labelfree.Image and writing
// Segments.
func (t *Transformer) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   stageName,
		Reads:  []labelfree.ColumnRef{labelfree.Image.Ref()},
		Writes: []labelfree.ColumnRef{Segments.Ref()},
	}
}

// Recomputable reports true: SLIC is deterministic and takes tens of
// milliseconds a photo, less than checkpointing the row (with its image)
// again would cost, so the executor recomputes it on resume.
func (t *Transformer) Recomputable() bool { return true }

// Validate checks the SLIC parameters.
func (t *Transformer) Validate() error { return t.SLIC.Validate() }

// Transform segments the row's image. A row without an image, or with one
// SLIC refuses, fails with the reason.
func (t *Transformer) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	seg, err := t.SLIC.Segment(ctx, img)
	if err != nil {
		return err
	}
	labelfree.Set(r, Segments, seg)
	return nil
}
