package detect

import (
	"context"
	"fmt"
	"image"

	"github.com/labelfree/labelfree"
)

// MineHardNegatives runs the detector over rows known to hold no object
// (random-word search results, empty camera-trap frames) and returns those
// on which it fires with a score of at least minScore: the stumps, rocks
// and grass it mistakes for animals. Each such row is returned copies
// times (at least once), as clones with IDs "<id>#<k>" (so that each copy
// gets its own augmented views), an empty box list in column
// (labelfree.Boxes when zero) and the offending detections in
// HardNegativeBoxes, ready to be added to the training set as negatives
// before training again: the seed's suggested improvement. On synthetic
// scenes three copies beat one (see docs/benchmarks.md). A row without an
// image is an error.
func MineHardNegatives(ctx context.Context, d *Detector, rows []*labelfree.Row, minScore float64, column labelfree.Column[[]labelfree.Box], copies int) ([]*labelfree.Row, error) {
	if column == (labelfree.Column[[]labelfree.Box]{}) {
		column = labelfree.Boxes
	}
	if !(minScore >= 0 && minScore <= 1) {
		return nil, &labelfree.ParamError{Stage: "detect.MineHardNegatives", Field: "minScore", Reason: fmt.Sprintf("%v is outside [0, 1]", minScore)}
	}
	var out []*labelfree.Row
	batch := d.BatchSize()
	for i := 0; i < len(rows); i += batch {
		chunk := rows[i:min(len(rows), i+batch)]
		imgs := make([]image.Image, len(chunk))
		for j, r := range chunk {
			img, err := labelfree.MustGet(r, labelfree.Image)
			if err != nil {
				return nil, fmt.Errorf("detect: row %q: %w", r.ID, err)
			}
			imgs[j] = img
		}
		found, err := d.DetectBatch(ctx, imgs)
		if err != nil {
			return nil, err
		}
		for j, bs := range found {
			var hard []labelfree.Box
			for _, b := range bs {
				if b.Score >= minScore {
					hard = append(hard, b)
				}
			}
			if len(hard) == 0 {
				continue
			}
			for k := range max(copies, 1) {
				c := chunk[j].Clone()
				c.ID = fmt.Sprintf("%s#%d", c.ID, k)
				labelfree.Set(c, column, []labelfree.Box{})
				labelfree.Set(c, HardNegativeBoxes, hard)
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// HardNegativeBoxes holds the false detections that made MineHardNegatives
// pick a row.
var HardNegativeBoxes = labelfree.NewColumn[[]labelfree.Box]("detect.hardnegatives", "false detections on a negative image")
