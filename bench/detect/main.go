// Command detect compares, side by side in one run on the same backbone
// (the embedded MobileNetV2), the cost per image of labelfree's detector
// and of exact LIME (1000 perturbed samples through ImageFeaturizer plus a
// fitted logistic head), and measures the detector's throughput with a
// given number of workers.
//
//	GOMAXPROCS=2 go run ./bench/detect -lime 2 -images 200
//
// The scenes are dataset/synth camera-trap scenes at 320×240, the
// snowleopard example's size. The detector is trained for a few epochs
// first (its cost does not depend on how well it is trained).
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"log"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/detect"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/lime"
)

func main() {
	nLIME := flag.Int("lime", 2, "images explained by LIME")
	nImages := flag.Int("images", 200, "images for the detector throughput run")
	width := flag.Int("w", detect.DefaultInputWidth, "detector input width")
	height := flag.Int("h", detect.DefaultInputHeight, "detector input height")
	flag.Parse()
	ctx := context.Background()
	threads := runtime.GOMAXPROCS(0)

	ds := labelfree.NewDataset()
	ds.Classes = []string{"other", "snow leopard"}
	var imgs []image.Image
	for i := range 40 {
		animals := i % 2
		sc, err := synth.Render(synth.Spec{Seed: uint64(i), Animals: animals, Clutter: 3})
		if err != nil {
			log.Fatal(err)
		}
		r := labelfree.NewRow(fmt.Sprint(i))
		labelfree.Set(r, labelfree.Image, image.Image(sc.Image))
		labelfree.Set(r, labelfree.Label, animals)
		labelfree.Set(r, labelfree.TrueBoxes, sc.Boxes)
		ds.Rows = append(ds.Rows, r)
		imgs = append(imgs, sc.Image)
	}

	// The classifier LIME explains: ImageFeaturizer + logistic regression.
	pipe, err := labelfree.NewPipeline(&features.ImageFeaturizer{}, &features.LogisticRegression{})
	if err != nil {
		log.Fatal(err)
	}
	pm, _, err := (&labelfree.Executor{}).Fit(ctx, pipe, ds.Clone())
	if err != nil {
		log.Fatal(err)
	}
	explainer := &lime.ImageLIME{Classifier: lime.PipelineClassifier{Model: pm}, Class: 1, Samples: 1000}

	det, err := (&detect.Trainer{Input: labelfree.TrueBoxes, Classes: []int{synth.AnimalClass}, InputWidth: *width, InputHeight: *height,
		Epochs: 3, Augmentations: -1, ValidationFraction: -1}).Train(ctx, ds)
	if err != nil {
		log.Fatal(err)
	}

	// Alternate LIME and the detector on the same images.
	var limeTime, detTime time.Duration
	detRuns := 0
	for i := range *nLIME {
		img := imgs[2*i+1]
		t := time.Now()
		row := labelfree.NewRow("x")
		labelfree.Set(row, labelfree.Image, img)
		if err := explainer.Transform(ctx, row); err != nil {
			log.Fatal(err)
		}
		limeTime += time.Since(t)
		for range 20 {
			t = time.Now()
			if _, err := det.Detect(ctx, img); err != nil {
				log.Fatal(err)
			}
			detTime += time.Since(t)
			detRuns++
		}
	}
	perLIME := limeTime / time.Duration(*nLIME)
	perDet := detTime / time.Duration(detRuns)

	// Throughput: one goroutine per core, each with a batch of one and
	// a single-threaded backbone session.
	det.Threads = 1
	var next atomic.Int64
	var wg sync.WaitGroup
	t := time.Now()
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= *nImages {
					return
				}
				if _, err := det.Detect(ctx, imgs[i%len(imgs)]); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
	tput := float64(*nImages) / time.Since(t).Seconds()

	fmt.Printf("| GOMAXPROCS | detector input | LIME s/image (1000 samples) | detector ms/image | ratio | detector img/s (%d workers) |\n|---|---|---|---|---|---|\n", threads)
	fmt.Printf("| %d | %dx%d | %.2f | %.2f | %.0fx | %.1f |\n", threads, *width, *height, perLIME.Seconds(), float64(perDet.Microseconds())/1000, float64(perLIME)/float64(perDet), tput)
}
