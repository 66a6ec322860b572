// Command lime measures labelfree's ImageLIME side by side with Python
// lime's LimeImageExplainer (run.sh runs both in one go).
//
//	go run ./bench/lime -dir /tmp/limebench -gen   # write the scenes
//	go run ./bench/lime -dir /tmp/limebench        # explain them
//
// The scenes are synthetic camera-trap images with exact animal masks. The
// classifier is the best case for LIME and costs almost nothing: its score
// is the share of the animals' pixels a perturbed image still shows
// unchanged. Both explainers use SLIC with 200 segments, 1000 samples and
// hide superpixels with their mean colour; the boxes are scored against the
// truth with the seed's rule (top 80% of the positive weight, one box
// around all animals) and with labelfree's default rule (one box per group,
// each animal's best IoU).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/lime"
	"github.com/labelfree/labelfree/superpixel"
)

type truth struct {
	File  string          `json:"file"`
	Mask  string          `json:"mask"`
	Boxes []labelfree.Box `json:"boxes"`
}

func main() {
	dir := flag.String("dir", "", "folder of scenes")
	gen := flag.Bool("gen", false, "write the scenes and exit")
	n := flag.Int("n", 12, "scenes")
	samples := flag.Int("samples", 1000, "LIME samples")
	segments := flag.Int("segments", 200, "SLIC segments")
	backbone := flag.Int("backbone", 0, "also explain this many scenes with the embedded MobileNetV2 as the classifier, and report LIME's own share of the time")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if *gen {
		if err := generate(*dir, *n); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := explain(*dir, *samples, *segments); err != nil {
		log.Fatal(err)
	}
	if *backbone > 0 {
		if err := overhead(*dir, *backbone, *samples, *segments); err != nil {
			log.Fatal(err)
		}
	}
}

// timed measures the time spent inside a classifier.
type timed struct {
	lime.Classifier
	spent time.Duration
}

func (t *timed) Predict(ctx context.Context, imgs []image.Image) ([][]float64, error) {
	start := time.Now()
	defer func() { t.spent += time.Since(start) }()
	return t.Classifier.Predict(ctx, imgs)
}

// overhead explains n scenes with a real backbone (MobileNetV2 embeddings
// and a logistic head) and splits the time between the classifier's
// forward passes and everything else LIME does.
func overhead(dir string, n, samples, segments int) error {
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		return err
	}
	var scenes []truth
	if err := json.Unmarshal(b, &scenes); err != nil {
		return err
	}
	bb, err := features.DefaultBackbone()
	if err != nil {
		return err
	}
	dim := bb.Spec().Dim
	head := &features.LogisticModel{NumClasses: 2, Classes: []int{0, 1}, Weights: [][]float64{make([]float64, dim)}, Intercepts: []float64{0}, Dim: dim}
	for i := range head.Weights[0] {
		head.Weights[0][i] = math.Sin(float64(i)) / math.Sqrt(float64(dim))
	}
	model := &labelfree.PipelineModel{Stages: []labelfree.Stage{&features.ImageFeaturizer{Backbone: bb, Batch: 50}, head}}
	var total, inClassifier time.Duration
	for _, sc := range scenes[:min(n, len(scenes))] {
		img, err := readPNG(filepath.Join(dir, sc.File))
		if err != nil {
			return err
		}
		clf := &timed{Classifier: lime.PipelineClassifier{Model: model}}
		l := &lime.ImageLIME{Classifier: clf, Class: 1, Samples: samples, BatchSize: 50, Segmenter: superpixel.SLIC{Segments: segments}}
		r := labelfree.NewRow(sc.File)
		labelfree.Set(r, labelfree.Image, img)
		start := time.Now()
		if err := l.Transform(context.Background(), r); err != nil {
			return err
		}
		total += time.Since(start)
		inClassifier += clf.spent
	}
	k := float64(min(n, len(scenes)))
	fmt.Printf("with MobileNetV2 + logistic head as the classifier (%d scenes): %.2f s/explanation, of which forward passes %.2f s (%.0f img/s) and LIME itself %.3f s (%.1f%%)\n",
		int(k), total.Seconds()/k, inClassifier.Seconds()/k, k*float64(samples)/inClassifier.Seconds(), (total-inClassifier).Seconds()/k, 100*(total-inClassifier).Seconds()/total.Seconds())
	return nil
}

func generate(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var all []truth
	for i := 0; i < n; i++ {
		sc, err := synth.Render(synth.Spec{Seed: uint64(100 + i), Animals: 1 + i%3/2, Clutter: 3})
		if err != nil {
			return err
		}
		t := truth{File: fmt.Sprintf("scene%02d.png", i), Mask: fmt.Sprintf("scene%02d.mask.png", i), Boxes: sc.Boxes}
		if err := writePNG(filepath.Join(dir, t.File), sc.Image); err != nil {
			return err
		}
		if err := writePNG(filepath.Join(dir, t.Mask), sc.Mask); err != nil {
			return err
		}
		all = append(all, t)
	}
	b, err := json.MarshalIndent(all, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "truth.json"), b, 0o644)
}

func explain(dir string, samples, segments int) error {
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		return err
	}
	var scenes []truth
	if err := json.Unmarshal(b, &scenes); err != nil {
		return err
	}
	var times []float64
	var seedIoU, multiIoU float64
	var seedHit, multiHit, animals int
	variants := map[string]lime.BoxOptions{}
	for _, gap := range []int{0, 4, 8, 16} {
		for _, d := range []float64{0.2, 0.35, 0.5} {
			variants[fmt.Sprintf("gap=%02d dens=%.2f", gap, d)] = lime.BoxOptions{Gap: gap, MinDensity: d}
		}
	}
	vIoU := map[string]float64{}
	vHit := map[string]int{}
	vBoxes := map[string]int{}
	for _, sc := range scenes {
		img, err := readPNG(filepath.Join(dir, sc.File))
		if err != nil {
			return err
		}
		maskImg, err := readPNG(filepath.Join(dir, sc.Mask))
		if err != nil {
			return err
		}
		clf := visibleShare(img, maskImg)
		l := &lime.ImageLIME{Classifier: clf, Class: 1, Samples: samples, BatchSize: 50, Segmenter: superpixel.SLIC{Segments: segments}}
		r := labelfree.NewRow(sc.File)
		labelfree.Set(r, labelfree.Image, img)
		start := time.Now()
		if err := l.Transform(context.Background(), r); err != nil {
			return err
		}
		times = append(times, time.Since(start).Seconds())
		ex, _ := labelfree.Get(r, lime.Explanations)
		boxes, _ := labelfree.Get(r, labelfree.Boxes)
		seed := ex.Boxes(lime.BoxOptions{Share: 0.8, SingleBox: true, KeepLowFidelity: true})
		if len(seed) > 0 {
			seedIoU += seed[0].IoU(enclosing(sc.Boxes))
		}
		for name, o := range variants {
			pb := ex.Boxes(o)
			vBoxes[name] += len(pb)
			for _, t := range sc.Boxes {
				best := 0.0
				for _, p := range pb {
					best = math.Max(best, p.IoU(t))
				}
				vIoU[name] += best
				if best >= 0.5 {
					vHit[name]++
				}
			}
		}
		for _, t := range sc.Boxes {
			animals++
			if len(seed) > 0 && seed[0].IoU(t) >= 0.5 {
				seedHit++
			}
			best := 0.0
			for _, p := range boxes {
				best = math.Max(best, p.IoU(t))
			}
			multiIoU += best
			if best >= 0.5 {
				multiHit++
			}
		}
	}
	if os.Getenv("VARIANTS") != "" {
		var names []string
		for n := range variants {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("  variant %s: mean best IoU %.3f recall %.3f boxes/img %.2f\n", n, vIoU[n]/float64(animals), float64(vHit[n])/float64(animals), float64(vBoxes[n])/float64(len(scenes)))
		}
	}
	sort.Float64s(times)
	fmt.Printf("labelfree ImageLIME: %d scenes, %d samples, slic %d: median %.3f s/explanation\n", len(scenes), samples, segments, times[len(times)/2])
	fmt.Printf("  seed rule (80%% share, one box): mean IoU vs box around all animals %.3f, recall@0.5 %.3f\n", seedIoU/float64(len(scenes)), float64(seedHit)/float64(animals))
	fmt.Printf("  labelfree default (density, one box per group): mean best IoU per animal %.3f, recall@0.5 %.3f\n", multiIoU/float64(animals), float64(multiHit)/float64(animals))
	return nil
}

// visibleShare scores the share of the mask's pixels a perturbed image
// shows unchanged.
func visibleShare(orig image.Image, mask image.Image) lime.Classifier {
	b := orig.Bounds()
	var idx []int
	ref := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			ref.Set(x, y, orig.At(b.Min.X+x, b.Min.Y+y))
			if _, _, _, a := mask.At(x, y).RGBA(); a > 0x7fff {
				idx = append(idx, y*ref.Stride+4*x)
			}
		}
	}
	return lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		out := make([][]float64, len(imgs))
		for i, im := range imgs {
			p := im.(*image.RGBA)
			seen := 0
			for _, o := range idx {
				if p.Pix[o] == ref.Pix[o] && p.Pix[o+1] == ref.Pix[o+1] && p.Pix[o+2] == ref.Pix[o+2] {
					seen++
				}
			}
			f := float64(seen) / float64(max(len(idx), 1))
			out[i] = []float64{1 - f, f}
		}
		return out, nil
	})
}

func enclosing(boxes []labelfree.Box) labelfree.Box {
	e := boxes[0]
	for _, b := range boxes[1:] {
		e.X0, e.Y0 = math.Min(e.X0, b.X0), math.Min(e.Y0, b.Y0)
		e.X1, e.Y1 = math.Max(e.X1, b.X1), math.Max(e.Y1, b.Y1)
	}
	return e
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}
