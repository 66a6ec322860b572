package lfbeam_test

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/labelfree/labelfree"
	lfbeam "github.com/labelfree/labelfree/beam"
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/superpixel"
)

// BenchmarkLIME explains the same batch of images with the local executor
// and on prism (in process), alternating in one run, to measure the
// runner's overhead: encoding rows, the Beam harness, writing the rows.
// Each op explains the whole batch.
func BenchmarkLIME(b *testing.B) {
	const images = 16
	classifier := &labelfree.PipelineModel{Stages: []labelfree.Stage{&redness{Threshold: 60}}}
	cfg := lime.ImageLIME{Samples: 500, Segmenter: superpixel.SLIC{Segments: 50, Workers: 1}, Fill: superpixel.Fill{Kind: superpixel.FillSolid}, Seed: 1}
	in := &labelfree.Dataset{}
	for i := range images {
		r := labelfree.NewRow(fmt.Sprintf("img%02d", i))
		labelfree.Set(r, labelfree.Image, image.Image(scene(96, 80, []image.Rectangle{image.Rect(10+i, 20, 50+i, 60)}, uint64(i))))
		in.Rows = append(in.Rows, r)
	}
	ctx := context.Background()
	b.Run("local", func(b *testing.B) {
		for b.Loop() {
			l := cfg
			l.Classifier = lime.PipelineClassifier{Model: classifier}
			ds := cloneDataset(b, in)
			if _, err := (&labelfree.Executor{}).Transform(ctx, &l, ds); err != nil {
				b.Fatal(err)
			}
			if len(ds.Failed()) > 0 {
				b.Fatal(ds.Failed()[0].Err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N*images)*1e3, "ms/image")
	})
	b.Run("prism", func(b *testing.B) {
		for b.Loop() {
			out := filepath.Join(b.TempDir(), "rows")
			p, s := beam.NewPipelineWithRoot()
			rows, err := lfbeam.Create(s, in)
			if err != nil {
				b.Fatal(err)
			}
			ex, err := lfbeam.Explain(s, cfg, classifier, rows)
			if err != nil {
				b.Fatal(err)
			}
			if err := lfbeam.WriteRows(s, out, ex); err != nil {
				b.Fatal(err)
			}
			if err := ptest.Run(p); err != nil {
				b.Fatal(err)
			}
			ds, err := lfbeam.ReadRows(ctx, out)
			if err != nil || len(ds.Rows) != images || len(ds.Failed()) > 0 {
				b.Fatal(err, len(ds.Rows))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N*images)*1e3, "ms/image")
	})
}
