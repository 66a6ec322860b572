// Command snowleopard runs labelfree's whole workflow: it builds a weakly
// labelled dataset from image search, learns "snow leopard or not" on
// pretrained CNN embeddings, explains the positives with LIME, turns the
// explanations into boxes, trains a detector on those boxes, measures LIME
// and the detector against the truth and saves the fitted pipeline
// (classifier and detector) for serve.
//
// With no flags it runs offline on its embedded default: an in-process
// search service serving synthetic camera-trap scenes whose true boxes are
// known, and the MobileNetV2 backbone embedded in the features package.
//
//	go run ./examples/snowleopard
//	go run ./examples/snowleopard -provider openverse -query "snow leopard"
//	go run ./examples/snowleopard -backbone resnet50.onnx
//
// Everything goes to the -out folder: report.md, figures, the saved pipeline
// and a checkpoint. Interrupt it (Ctrl-C) and run it again: finished rows of
// every stage are restored from the checkpoint instead of recomputed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

type config struct {
	provider       string
	query          string
	pages          int
	pageSize       int
	negWords       int
	negK           int
	backbone       string
	backboneOutput string
	limeImages     int
	limeSamples    int
	limeSegments   int
	detEpochs      int
	out            string
	seed           uint64
	workers        int
	fresh          bool
}

func main() {
	var c config
	flag.StringVar(&c.provider, "provider", "synth", "image search provider: synth (offline default), openverse, inaturalist, wikimedia, brave (BRAVE_SEARCH_API_KEY), bing (BING_SEARCH_KEY)")
	flag.StringVar(&c.query, "query", "snow leopard", "positive query")
	flag.IntVar(&c.pages, "pages", 8, "pages of the positive query")
	flag.IntVar(&c.pageSize, "page-size", 20, "results per page")
	flag.IntVar(&c.negWords, "negative-words", 60, "random-word queries for the negative class")
	flag.IntVar(&c.negK, "negative-k", 10, "images kept per negative query")
	flag.StringVar(&c.backbone, "backbone", "", "ONNX backbone file whose first output is the embedding (default: the embedded MobileNetV2)")
	flag.StringVar(&c.backboneOutput, "backbone-output", "", "with -backbone: the model value to use as the embedding instead of its first output")
	flag.IntVar(&c.limeImages, "lime-images", 24, "positive test images to explain with LIME")
	flag.IntVar(&c.limeSamples, "lime-samples", 300, "LIME perturbation samples per image")
	flag.IntVar(&c.limeSegments, "lime-segments", 50, "SLIC superpixels per image for LIME")
	flag.IntVar(&c.detEpochs, "detector-epochs", 0, "detector training epochs (0: the trainer's default, with early stopping)")
	flag.StringVar(&c.out, "out", "out/snowleopard", "output folder (report, figures, pipeline, checkpoint)")
	flag.Uint64Var(&c.seed, "seed", 1, "seed for scenes, negative words, split and LIME")
	flag.IntVar(&c.workers, "workers", 0, "parallel workers (0: all cores)")
	flag.BoolVar(&c.fresh, "fresh", false, "ignore the checkpoint and start over")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	rep, err := run(ctx, c)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(os.Stderr, "\ninterrupted: run the same command again to resume from %s\n", c.checkpointDir())
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "snowleopard:", err)
		os.Exit(1)
	}
	rep.total = time.Since(start)
	fmt.Println(rep.summary())
}
