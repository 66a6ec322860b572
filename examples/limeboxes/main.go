// Command limeboxes shows labelfree used piecemeal: LIME boxes for your own
// classifier on your own images, without the rest of the workflow.
//
//	go run ./examples/limeboxes photo1.jpg photo2.png
//	go run ./examples/limeboxes -model out/snowleopard/snowleopard.lfp photo.jpg
//
// A classifier is anything with a Predict method that maps a batch of
// images to class probabilities (lime.Classifier). With -model, the
// classifier is a pipeline saved by labelfree (the snow-leopard example
// saves one); without it, a small hand-written scorer stands in for yours:
// it likes bright, high-contrast texture, as a spotted coat is. With no
// image arguments, three synthetic camera-trap scenes are used.
//
// For each image it writes NAME.lime.png next to -out: the LIME heatmap with
// the boxes drawn, and prints the boxes.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/lime"

	// The stage types a saved pipeline may hold register themselves.
	_ "github.com/labelfree/labelfree/features"
)

func main() {
	model := flag.String("model", "", "saved labelfree pipeline to explain (default: a built-in texture scorer)")
	class := flag.Int("class", 1, "class to explain")
	samples := flag.Int("samples", 500, "LIME samples per image")
	out := flag.String("out", "out/limeboxes", "output folder")
	flag.Parse()
	if err := run(context.Background(), *model, *class, *samples, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "limeboxes:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, modelPath string, class, samples int, out string, paths []string) error {
	var clf lime.Classifier = textureScorer{}
	if modelPath != "" {
		m, err := labelfree.LoadFile(modelPath)
		if err != nil {
			return err
		}
		clf = lime.PipelineClassifier{Model: m}
	}
	imgs, names, err := loadImages(paths)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	explainer := &lime.ImageLIME{Classifier: clf, Class: class, Samples: samples}
	for i, img := range imgs {
		r := labelfree.NewRow(names[i])
		labelfree.Set(r, labelfree.Image, img)
		if err := explainer.Transform(ctx, r); err != nil {
			fmt.Printf("%s: %v\n", names[i], err)
			continue
		}
		ex, _ := labelfree.Get(r, lime.Explanations)
		boxes, _ := labelfree.Get(r, labelfree.Boxes)
		fmt.Printf("%s: p=%.3f R²=%.2f low-fidelity=%v boxes=%v\n", names[i], ex.Probability, ex.R2, ex.LowFidelity, boxes)
		heat := ex.Heatmap(img)
		lime.DrawBoxes(heat, boxes, image.White, 2)
		if err := writePNG(filepath.Join(out, names[i]+".lime.png"), heat); err != nil {
			return err
		}
	}
	return nil
}

func loadImages(paths []string) ([]image.Image, []string, error) {
	if len(paths) == 0 {
		var imgs []image.Image
		var names []string
		for i := range 3 {
			sc, err := synth.Render(synth.Spec{Seed: uint64(i + 1), Animals: 1 + i%2})
			if err != nil {
				return nil, nil, err
			}
			imgs = append(imgs, sc.Image)
			names = append(names, fmt.Sprintf("scene%d", i+1))
		}
		return imgs, names, nil
	}
	var imgs []image.Image
	var names []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		img, _, err := dataset.Decode(b, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		imgs = append(imgs, img)
		names = append(names, strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)))
	}
	return imgs, names, nil
}

// textureScorer stands in for a user's classifier: the probability of
// class 1 grows with the share of bright pixels next to dark ones.
type textureScorer struct{}

func (textureScorer) Predict(ctx context.Context, imgs []image.Image) ([][]float64, error) {
	out := make([][]float64, len(imgs))
	for i, img := range imgs {
		b := img.Bounds()
		hits, total := 0, 0
		for y := b.Min.Y; y < b.Max.Y; y += 2 {
			for x := b.Min.X; x+3 < b.Max.X; x += 2 {
				l0 := luma(img, x, y)
				l1 := luma(img, x+3, y)
				if (l0 > 170 && l1 < 90) || (l1 > 170 && l0 < 90) {
					hits++
				}
				total++
			}
		}
		p := min(1, 20*float64(hits)/float64(max(total, 1)))
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

func luma(img image.Image, x, y int) float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
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
