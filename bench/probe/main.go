// Command probe measures how well the embedded MobileNetV2 backbone's
// embeddings separate classes with a linear probe (features.ImageFeaturizer
// then features.LogisticRegression, evaluated on held-out images), next to
// the same logistic regression on raw pixels, so the backbone's
// contribution is visible.
//
//	go run ./bench/probe -data synth -n 400              # synthetic camera-trap scenes
//	go run ./bench/probe -data fashion -n 2000           # Fashion-MNIST photos (Debian dataset-fashion-mnist)
//	go run ./bench/probe -data synth -write /tmp/emb/synth   # also write embeddings for bench/logreg
//
// Half the images train, half test.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"time"

	"golang.org/x/image/draw"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/features"
)

func main() {
	var (
		data    = flag.String("data", "synth", "synth or fashion")
		n       = flag.Int("n", 400, "images (half train, half test)")
		clutter = flag.Int("clutter", 6, "synthetic clutter objects per scene")
		crop    = flag.String("crop", "center", "center or stretch")
		write   = flag.String("write", "", "write embeddings to this prefix (bench/logreg format)")
		C       = flag.Float64("C", 1, "logistic regression C")
		scaling = flag.String("scaling", "unit", "input scaling: unit ([0, 1], what nsfwjs feeds) or symmetric ([-1, 1], Keras ImageNet preprocessing)")
	)
	flag.Parse()
	ds, err := load(*data, *n, *clutter)
	if err != nil {
		log.Fatal(err)
	}
	f := &features.ImageFeaturizer{}
	if *scaling == "symmetric" {
		spec := features.MobileNetV2Spec
		spec.Mean, spec.Std = features.SymmetricMean, features.SymmetricStd
		bb, err := features.LoadONNX(bytes.NewReader(features.MobileNetV2ONNX()), features.ONNXConfig{Spec: spec})
		if err != nil {
			log.Fatal(err)
		}
		f.Backbone = bb
	}
	if *crop == "stretch" {
		f.Crop = features.Stretch
	}
	ctx := context.Background()
	start := time.Now()
	var ex labelfree.Executor
	if _, err := ex.Transform(ctx, f, ds); err != nil {
		log.Fatal(err)
	}
	el := time.Since(start)
	fmt.Printf("%s: %d images (%d classes) featurized in %v (%.1f img/s), %d failed\n",
		*data, len(ds.Rows), len(ds.Classes), el.Round(time.Millisecond), float64(len(ds.Rows))/el.Seconds(), len(ds.Failed()))

	half := len(ds.Rows) / 2
	train := &labelfree.Dataset{Rows: ds.Rows[:half], Classes: ds.Classes}
	test := &labelfree.Dataset{Rows: ds.Rows[half:], Classes: ds.Classes}
	probe := func(name string, lr *features.LogisticRegression) {
		m, err := lr.FitDataset(ctx, train)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range test.Rows {
			if err := m.Transform(ctx, r); err != nil {
				log.Fatal(err)
			}
		}
		met, err := features.Evaluate(test)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-28s %s (fit %v, %s)\n", name, met, m.Result.Elapsed.Round(time.Millisecond), m.Result.Status)
	}
	probe("MobileNetV2 embedding:", &features.LogisticRegression{C: *C})
	probe("MobileNetV2, standardised:", &features.LogisticRegression{C: *C, Standardize: true})
	if *write != "" {
		if err := writeEmbeddings(*write, ds, half); err != nil {
			log.Fatal(err)
		}
	}
	// Baseline: the same regression on raw pixels (32×32 RGB or 28×28 grey).
	for _, r := range ds.Rows {
		img := get(r, labelfree.Image)
		labelfree.Set(r, labelfree.Embedding, pixels(img, *data == "fashion"))
	}
	probe("raw pixels, standardised:", &features.LogisticRegression{C: *C, Standardize: true})
}

func load(kind string, n, clutter int) (*labelfree.Dataset, error) {
	switch kind {
	case "synth":
		ds := &labelfree.Dataset{Classes: []string{"other", "snow leopard"}}
		for i := range n {
			label := i % 2
			animals := 0
			if label == 1 {
				animals = 1 + (i/2)%2
			}
			sc, err := synth.Render(synth.Spec{Seed: uint64(1000 + i), Animals: animals, Clutter: clutter})
			if err != nil {
				return nil, err
			}
			r := labelfree.NewRow(fmt.Sprint(i))
			labelfree.Set(r, labelfree.Image, image.Image(sc.Image))
			labelfree.Set(r, labelfree.Label, label)
			ds.Rows = append(ds.Rows, r)
		}
		return ds, nil
	case "fashion":
		dir := "/usr/share/datasets/fashion-mnist/"
		imgs, err := idx(dir+"train-images-idx3-ubyte.gz", n*784)
		if err != nil {
			return nil, fmt.Errorf("%w (apt-get install dataset-fashion-mnist)", err)
		}
		labels, err := idx(dir+"train-labels-idx1-ubyte.gz", n)
		if err != nil {
			return nil, err
		}
		ds := &labelfree.Dataset{Classes: []string{"T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"}}
		for i := range n {
			g := &image.Gray{Pix: imgs[i*784 : (i+1)*784], Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
			r := labelfree.NewRow(fmt.Sprint(i))
			labelfree.Set(r, labelfree.Image, image.Image(g))
			labelfree.Set(r, labelfree.Label, int(labels[i]))
			ds.Rows = append(ds.Rows, r)
		}
		return ds, nil
	}
	return nil, fmt.Errorf("unknown data %q", kind)
}

// idx reads the first n values of a gzipped IDX file.
func idx(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(z)
	var magic uint32
	if err := binary.Read(br, binary.BigEndian, &magic); err != nil {
		return nil, err
	}
	dims := int(magic & 0xff)
	if _, err := br.Discard(4 * dims); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	_, err = io.ReadFull(br, b)
	return b, err
}

func pixels(img image.Image, gray bool) []float32 {
	if gray {
		g := img.(*image.Gray)
		out := make([]float32, len(g.Pix))
		for i, v := range g.Pix {
			out[i] = float32(v) / 255
		}
		return out
	}
	small := image.NewRGBA(image.Rect(0, 0, 32, 32))
	draw.BiLinear.Scale(small, small.Bounds(), img, img.Bounds(), draw.Src, nil)
	out := make([]float32, 0, 32*32*3)
	for y := range 32 {
		for x := range 32 {
			c := small.RGBAAt(x, y)
			out = append(out, float32(c.R)/255, float32(c.G)/255, float32(c.B)/255)
		}
	}
	return out
}

func get[T any](r *labelfree.Row, c labelfree.Column[T]) T {
	v, err := labelfree.MustGet(r, c)
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func writeEmbeddings(prefix string, ds *labelfree.Dataset, ntrain int) error {
	var x []float32
	var y []int32
	d := 0
	for _, r := range ds.Rows {
		e := get(r, labelfree.Embedding)
		d = len(e)
		x = append(x, e...)
		y = append(y, int32(get(r, labelfree.Label)))
	}
	m, _ := json.Marshal(map[string]int{"n": len(ds.Rows), "d": d, "n_train": ntrain})
	if err := os.WriteFile(prefix+".json", m, 0o644); err != nil {
		return err
	}
	put := func(path string, v any) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := binary.Write(f, binary.LittleEndian, v); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := put(prefix+".x.f32", x); err != nil {
		return err
	}
	return put(prefix+".y.i32", y)
}
