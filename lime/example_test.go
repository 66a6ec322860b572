package lime_test

import (
	"context"
	"fmt"
	"image"
	"image/color"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/lime"
)

// ImageLIME explains any classifier. This one scores how much of a red
// square it can see; LIME finds the square and boxes it.
func Example() {
	img := image.NewRGBA(image.Rect(0, 0, 120, 90))
	square := image.Rect(40, 30, 80, 60)
	for y := 0; y < 90; y++ {
		for x := 0; x < 120; x++ {
			c := color.RGBA{uint8(60 + (x*7+y*13)%40), 120, uint8(60 + (x*3)%30), 255}
			if (image.Point{x, y}).In(square) {
				c = color.RGBA{230, uint8(30 + (x+y)%20), 40, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	redSeen := lime.ClassifierFunc(func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		out := make([][]float64, len(imgs))
		for i, im := range imgs {
			seen := 0
			for y := square.Min.Y; y < square.Max.Y; y++ {
				for x := square.Min.X; x < square.Max.X; x++ {
					if im.At(x, y) == img.At(x, y) {
						seen++
					}
				}
			}
			p := float64(seen) / float64(square.Dx()*square.Dy())
			out[i] = []float64{1 - p, p}
		}
		return out, nil
	})

	r := labelfree.NewRow("photo-1")
	labelfree.Set[image.Image](r, labelfree.Image, img)
	explainer := &lime.ImageLIME{Classifier: redSeen, Class: 1, Samples: 400}
	if err := explainer.Transform(context.Background(), r); err != nil {
		fmt.Println(err)
		return
	}
	boxes, _ := labelfree.Get(r, labelfree.Boxes)
	ex, _ := labelfree.Get(r, lime.Explanations)
	fmt.Printf("%d box, IoU with the square %.2f, fidelity R² %.2f\n", len(boxes), boxes[0].IoU(labelfree.Box{X0: 40, Y0: 30, X1: 80, Y1: 60}), ex.R2)
	// Output: 1 box, IoU with the square 1.00, fidelity R² 1.00
}
