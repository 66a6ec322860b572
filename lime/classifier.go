package lime

import (
	"context"
	"fmt"
	"image"
	"strconv"

	"github.com/labelfree/labelfree"
)

// PipelineClassifier scores images with a fitted pipeline that reads
// labelfree.Image and writes labelfree.Probabilities, such as an
// ImageFeaturizer followed by a fitted LogisticRegression. Each Predict
// call runs the batch through the model on one goroutine; ImageLIME's
// executor supplies the parallelism across images.
type PipelineClassifier struct {
	Model *labelfree.PipelineModel
}

// Predict implements Classifier.
func (c PipelineClassifier) Predict(ctx context.Context, imgs []image.Image) ([][]float64, error) {
	rows := make([]*labelfree.Row, len(imgs))
	for i, img := range imgs {
		rows[i] = labelfree.NewRow(strconv.Itoa(i))
		labelfree.Set(rows[i], labelfree.Image, img)
	}
	ex := labelfree.Executor{Workers: 1, PartitionSize: len(rows)}
	ds, err := ex.Transform(ctx, c.Model, labelfree.NewDataset(rows...))
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(rows))
	for i, r := range ds.Rows {
		if r.Err != nil {
			return nil, fmt.Errorf("image %d: %w", i, r.Err)
		}
		p, err := labelfree.MustGet(r, labelfree.Probabilities)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}
