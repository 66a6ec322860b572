package annot_test

import (
	"fmt"
	"image"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/dataset/annot"
)

// A labelfree dataset with LIME's boxes becomes a Set that every format
// package writes.
func ExampleFromDataset() {
	r := labelfree.NewRow("leopard-1")
	labelfree.Set(r, labelfree.ImagePath, "/photos/cam01/IMG_0001.JPG")
	labelfree.Set(r, dataset.Size, image.Point{X: 640, Y: 480})
	labelfree.Set(r, labelfree.Label, 0)
	labelfree.Set(r, labelfree.Boxes, []labelfree.Box{{X0: 12, Y0: 30, X1: 200, Y1: 334, Score: 0.91}})
	ds := labelfree.NewDataset(r)
	ds.Classes = []string{"snow leopard"}

	s, err := annot.FromDataset(ds, &annot.Options{Root: "/photos"})
	if err != nil {
		fmt.Println(err)
		return
	}
	im := s.Images[0]
	fmt.Println(im.File, im.Width, im.Height, im.Boxes[0], im.Labels)
	// Output: cam01/IMG_0001.JPG 640 480 [12.0,30.0 200.0,334.0] [0]
}
