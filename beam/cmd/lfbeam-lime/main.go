// Command lfbeam-lime explains a dataset's images with LIME on Apache
// Beam: it reads a dataset written by dataset.Write, decodes the images,
// explains each with a saved classifier pipeline (one that reads
// labelfree.Image and writes labelfree.Probabilities) and writes the rows,
// with their explanations and boxes, for lfbeam.ReadRows.
//
// The runner is chosen with Beam's flags; see the lfbeam package
// documentation for Flink, Spark and Dataflow. Without --runner it runs
// on prism, in this process.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs" // gs:// models and outputs
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/labelfree/labelfree"
	lfbeam "github.com/labelfree/labelfree/beam"
	"github.com/labelfree/labelfree/dataset"
	_ "github.com/labelfree/labelfree/features" // registers the classifier's stage types
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/superpixel"
)

var (
	datasetDir     = flag.String("dataset", "", "dataset directory written by dataset.Write, visible to every worker (required)")
	classifierPath = flag.String("classifier", "", "saved classifier pipeline (labelfree.SaveFile), local or gs:// (required)")
	output         = flag.String("output", "", "prefix of the output row files, local or gs:// (required)")
	samples        = flag.Int("samples", lime.DefaultSamples, "perturbed samples per image")
	segments       = flag.Int("segments", superpixel.DefaultSegments, "SLIC superpixels per image")
	seed           = flag.Uint64("seed", 0, "LIME seed (combined with each row's ID)")
)

func main() {
	flag.Parse()
	beam.Init()
	if *datasetDir == "" || *classifierPath == "" || *output == "" {
		log.Fatal("lfbeam-lime: --dataset, --classifier and --output are required")
	}
	ctx := context.Background()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	model, err := loadModel(ctx, *classifierPath)
	if err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	rows, _, err := lfbeam.ReadDataset(ctx, s, *datasetDir, &dataset.ReadOptions{LoadImages: true})
	if err != nil {
		return err
	}
	decoded, err := lfbeam.Transform(s, &labelfree.PipelineModel{Stages: []labelfree.Stage{&dataset.Decoder{}}}, rows)
	if err != nil {
		return err
	}
	cfg := lime.ImageLIME{Samples: *samples, Segmenter: superpixel.SLIC{Segments: *segments}, Seed: *seed}
	explained, err := lfbeam.Explain(s, cfg, model, decoded)
	if err != nil {
		return err
	}
	if err := lfbeam.WriteRows(s, *output, explained); err != nil {
		return err
	}
	return beamx.Run(ctx, p)
}

func loadModel(ctx context.Context, path string) (*labelfree.PipelineModel, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("lfbeam-lime: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("lfbeam-lime: %w", err)
	}
	return labelfree.Load(bytes.NewReader(b), int64(len(b)))
}
