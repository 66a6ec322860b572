package lfbeam_test

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/labelfree/labelfree"
	lfbeam "github.com/labelfree/labelfree/beam"
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/superpixel"
)

// BenchmarkLIME explains the same batch of images with the local executor
// and on prism (in process), alternating in one run, to measure the
// runner's overhead: encoding rows, the Beam harness, writing and reading
// back the rows. Each op explains the whole batch twice, once each way.
func BenchmarkLIME(b *testing.B) {
	for _, images := range []int{16, 64} {
		b.Run(fmt.Sprintf("images=%d", images), func(b *testing.B) { benchmarkLIME(b, images) })
	}
}

func benchmarkLIME(b *testing.B, images int) {
	classifier := &labelfree.PipelineModel{Stages: []labelfree.Stage{&redness{Threshold: 60}}}
	cfg := lime.ImageLIME{Samples: 500, Segmenter: superpixel.SLIC{Segments: 50, Workers: 1}, Fill: superpixel.Fill{Kind: superpixel.FillSolid}, Seed: 1}
	in := &labelfree.Dataset{}
	for i := range images {
		r := labelfree.NewRow(fmt.Sprintf("img%02d", i))
		labelfree.Set(r, labelfree.Image, image.Image(scene(96, 80, []image.Rectangle{image.Rect(10+i%32, 20, 50+i%32, 60)}, uint64(i))))
		in.Rows = append(in.Rows, r)
	}
	ctx := context.Background()
	local := func() {
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
	prism := func() {
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
	// Each iteration runs both, alternating which goes first, so load
	// from other processes falls on both alike.
	var tLocal, tPrism time.Duration
	i := 0
	for b.Loop() {
		runs := []func(){local, prism}
		times := []*time.Duration{&tLocal, &tPrism}
		if i%2 == 1 {
			runs[0], runs[1] = runs[1], runs[0]
			times[0], times[1] = times[1], times[0]
		}
		for k, run := range runs {
			start := time.Now()
			run()
			*times[k] += time.Since(start)
		}
		i++
	}
	perImage := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(i*images) }
	b.ReportMetric(perImage(tLocal), "local-ms/image")
	b.ReportMetric(perImage(tPrism), "prism-ms/image")
	b.ReportMetric(tPrism.Seconds()/tLocal.Seconds(), "prism/local")
}
