// Command detect compares, side by side in one run on the same backbone
// (the embedded MobileNetV2), the cost per image of labelfree's detector
// and of exact LIME (1000 perturbed samples through ImageFeaturizer plus a
// fitted logistic head), and measures the detector's throughput with one
// worker per core, at several detector input sizes.
//
//	GOMAXPROCS=2 go run ./bench/detect -lime 1 -images 200
//
// Both wall time and process CPU time (getrusage) are reported: on a
// shared machine the wall times include waiting for the CPU, while CPU
// time per image, and the throughput it implies on idle cores
// (GOMAXPROCS / CPU seconds per image), do not.
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/detect"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/internal/cputime"
	"github.com/labelfree/labelfree/lime"
)

type cost struct{ wall, cpu time.Duration }

func measure(n int, f func()) cost {
	w, c := time.Now(), cputime.Process()
	f()
	return cost{time.Since(w) / time.Duration(n), (cputime.Process() - c) / time.Duration(n)}
}

func main() {
	nLIME := flag.Int("lime", 1, "images explained by LIME (0 times the detectors alone)")
	nImages := flag.Int("images", 200, "images per detector throughput run")
	sizes := flag.String("sizes", "256x192,192x144,160x128", "detector input sizes")
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

	var dets []*detect.Detector
	var names []string
	for _, sz := range strings.Split(*sizes, ",") {
		var w, h int
		if _, err := fmt.Sscanf(sz, "%dx%d", &w, &h); err != nil {
			log.Fatalf("size %q: %v", sz, err)
		}
		d, err := (&detect.Trainer{Input: labelfree.TrueBoxes, Classes: []int{synth.AnimalClass}, InputWidth: w, InputHeight: h,
			Epochs: 3, Augmentations: -1, ValidationFraction: -1}).Train(ctx, ds)
		if err != nil {
			log.Fatal(err)
		}
		dets = append(dets, d)
		names = append(names, sz)
	}

	// LIME, then each detector on the same images, alternating.
	var limeCost cost
	detCost := make([]cost, len(dets))
	rounds := max(*nLIME, 1)
	for i := range rounds {
		img := imgs[2*i+1]
		if i < *nLIME {
			c := measure(1, func() {
				row := labelfree.NewRow("x")
				labelfree.Set(row, labelfree.Image, img)
				if err := explainer.Transform(ctx, row); err != nil {
					log.Fatal(err)
				}
			})
			limeCost.wall += c.wall / time.Duration(*nLIME)
			limeCost.cpu += c.cpu / time.Duration(*nLIME)
		}
		for k, d := range dets {
			d.Threads = 0
			c := measure(20, func() {
				for range 20 {
					if _, err := d.Detect(ctx, img); err != nil {
						log.Fatal(err)
					}
				}
			})
			detCost[k].wall += c.wall / time.Duration(rounds)
			detCost[k].cpu += c.cpu / time.Duration(rounds)
		}
	}

	fmt.Printf("LIME (1000 samples, ImageFeaturizer 224x224 + logistic head): %.1f s wall, %.1f s CPU per image\n\n", limeCost.wall.Seconds(), limeCost.cpu.Seconds())
	fmt.Printf("| detector input | ms/image wall (batch 1) | ms/image CPU | LIME/detector (CPU) | img/s wall (%d workers) | img/s implied by CPU time |\n|---|---|---|---|---|---|\n", threads)
	for k, d := range dets {
		// Throughput: one goroutine per core, single-threaded backbone.
		d.Threads = 1
		var next atomic.Int64
		tp := measure(*nImages, func() {
			var wg sync.WaitGroup
			for range threads {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1) - 1)
						if i >= *nImages {
							return
						}
						if _, err := d.Detect(ctx, imgs[i%len(imgs)]); err != nil {
							log.Fatal(err)
						}
					}
				}()
			}
			wg.Wait()
		})
		fmt.Printf("| %s | %.1f | %.1f | %.0fx | %.1f | %.1f |\n", names[k], ms(detCost[k].wall), ms(detCost[k].cpu),
			float64(limeCost.cpu)/float64(detCost[k].cpu), 1/tp.wall.Seconds(), float64(threads)/tp.cpu.Seconds())
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
