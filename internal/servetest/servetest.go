// Package servetest holds the trivial pipeline stage that serving's
// latency benchmarks serve: bench/serve over loopback and serve's
// in-process BenchmarkHandler, so both measure the same work.
package servetest

import (
	"context"

	"github.com/labelfree/labelfree"
)

// Trivial reads a row's image bytes and writes two probabilities, a
// prediction and a box: everything a model's reply carries, at almost no
// cost of its own.
type Trivial struct{}

// Info reports that Trivial reads ImageBytes and writes Probabilities,
// Prediction and Boxes.
func (*Trivial) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "trivial", Reads: []labelfree.ColumnRef{labelfree.ImageBytes.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref(), labelfree.Boxes.Ref()}}
}

// Transform writes outputs derived from the length of the image bytes.
func (*Trivial) Transform(ctx context.Context, r *labelfree.Row) error {
	b, err := labelfree.MustGet(r, labelfree.ImageBytes)
	if err != nil {
		return err
	}
	p := float64(len(b)%100) / 100
	labelfree.Set(r, labelfree.Probabilities, []float64{1 - p, p})
	labelfree.Set(r, labelfree.Prediction, 1)
	labelfree.Set(r, labelfree.Boxes, []labelfree.Box{{X0: 10, Y0: 20, X1: 110, Y1: 90, Score: p, Class: 1}})
	return nil
}
