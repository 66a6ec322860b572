package superpixel_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/superpixel"
)

// quadrants returns a 120×80 image of four flat colours.
func quadrants() *image.RGBA {
	cols := []color.RGBA{{190, 40, 40, 255}, {40, 160, 60, 255}, {50, 60, 200, 255}, {230, 210, 60, 255}}
	m := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := range 80 {
		for x := range 120 {
			q := 0
			if x >= 60 {
				q++
			}
			if y >= 40 {
				q += 2
			}
			m.SetRGBA(x, y, cols[q])
		}
	}
	return m
}

func ExampleSLIC_Segment() {
	img := quadrants()
	seg, err := superpixel.SLIC{Segments: 4}.Segment(context.Background(), img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("segments:", seg.N)
	for k, s := range seg.Segments {
		fmt.Printf("%d: %d px, bounds %v, centroid (%.0f, %.0f), mean %v, neighbours %v\n",
			k, s.Pixels, s.Bounds, s.CX, s.CY, s.Mean, seg.Neighbors(k))
	}
	// Output:
	// segments: 4
	// 0: 2400 px, bounds (0,0)-(60,40), centroid (30, 20), mean {190 40 40 255}, neighbours [1 2]
	// 1: 2400 px, bounds (60,0)-(120,40), centroid (90, 20), mean {40 160 60 255}, neighbours [0 3]
	// 2: 2400 px, bounds (0,40)-(60,80), centroid (30, 60), mean {50 60 200 255}, neighbours [0 3]
	// 3: 2400 px, bounds (60,40)-(120,80), centroid (90, 60), mean {230 210 60 255}, neighbours [1 2]
}

// A Masker renders LIME's perturbed images: here segments 0 and 3 stay
// visible and the others take the fill.
func ExampleMasker() {
	img := quadrants()
	seg, err := superpixel.SLIC{Segments: 4}.Segment(context.Background(), img)
	if err != nil {
		log.Fatal(err)
	}
	// Once per image.
	m, err := seg.NewMasker(img, superpixel.Fill{Kind: superpixel.FillSolid, Color: color.RGBA{A: 255}})
	if err != nil {
		log.Fatal(err)
	}
	dst := m.NewImage()
	// Once per perturbation: no allocation.
	if err := m.Mask(dst, []bool{true, false, false, true}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(dst.RGBAAt(10, 10), dst.RGBAAt(100, 10), dst.RGBAAt(10, 70), dst.RGBAAt(100, 70))
	// Output:
	// {190 40 40 255} {0 0 0 255} {0 0 0 255} {230 210 60 255}
}

// DrawBoundaries outlines the superpixels, here written as a PNG.
func ExampleSegmentation_DrawBoundaries() {
	img := quadrants()
	seg, err := superpixel.SLIC{Segments: 24}.Segment(context.Background(), img)
	if err != nil {
		log.Fatal(err)
	}
	seg.DrawBoundaries(img, color.RGBA{255, 255, 0, 255})
	f, err := os.Create(filepath.Join(os.TempDir(), "superpixels.png"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.RGBAAt(59, 10)) // on the edge between two quadrants
	// Output:
	// {255 255 0 255}
}

// The stage segments every row's image inside a pipeline.
func ExampleTransformer() {
	row := labelfree.NewRow("quadrants")
	labelfree.Set[image.Image](row, labelfree.Image, quadrants())
	ds := labelfree.NewDataset(row)

	p, err := labelfree.NewPipeline(&superpixel.Transformer{SLIC: superpixel.SLIC{Segments: 4}})
	if err != nil {
		log.Fatal(err)
	}
	_, out, err := (&labelfree.Executor{}).Fit(context.Background(), p, ds)
	if err != nil {
		log.Fatal(err)
	}
	seg, err := labelfree.MustGet(out.Rows[0], superpixel.Segments)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(seg.N)
	// Output:
	// 4
}
