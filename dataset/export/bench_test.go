package export

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/camtrapdp"
)

// bigSet returns n camera-trap images with about two boxes each.
func bigSet(n int) *annot.Set {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &annot.Set{Classes: []string{"snow leopard", "ibex", "person"}}
	for i := range n {
		im := annot.Image{File: fmt.Sprintf("cam%02d/IMG_%05d.JPG", i%20, i), Width: 1920, Height: 1080,
			Time: t0.Add(time.Duration(i) * time.Minute), Deployment: fmt.Sprintf("cam%02d", i%20),
			Event: fmt.Sprintf("cam%02d-%04d", i%20, i/60), Boxes: []labelfree.Box{}}
		for range rng.IntN(4) {
			x, y := rng.Float64()*1800, rng.Float64()*1000
			im.Boxes = append(im.Boxes, labelfree.Box{X0: x, Y0: y, X1: x + 1 + rng.Float64()*100, Y1: y + 1 + rng.Float64()*70, Score: rng.Float64(), Class: rng.IntN(3)})
		}
		s.Images = append(s.Images, im)
	}
	return s
}

// BenchmarkAll writes and reads back 10,000 images in every format.
func BenchmarkAll(b *testing.B) {
	s := bigSet(10000)
	var deps []camtrapdp.Deployment
	for i := range 20 {
		deps = append(deps, camtrapdp.Deployment{ID: fmt.Sprintf("cam%02d", i), Latitude: 36 + float64(i)/100, Longitude: 76})
	}
	opts := &Options{CamtrapDP: &camtrapdp.Options{Deployments: deps, Created: time.Unix(0, 0)}}
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			o := *opts
			o.Formats = []Format{f}
			for b.Loop() {
				dir := b.TempDir()
				if _, err := All(context.Background(), dir, s, &o); err != nil {
					b.Fatal(err)
				}
				if _, err := ReadAll(context.Background(), dir, annot.MapSize(s.Sizes())); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
