package export_test

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/export"
)

func ExampleAll() {
	dir, _ := os.MkdirTemp("", "export")
	defer os.RemoveAll(dir)
	s := &annot.Set{
		Classes: []string{"snow leopard"},
		Images: []annot.Image{{File: "cam01/a.jpg", Width: 640, Height: 480,
			Boxes: []labelfree.Box{{X0: 64, Y0: 48, X1: 320, Y1: 240, Score: 0.9}}}},
	}
	if _, err := export.All(context.Background(), dir, s, nil); err != nil {
		panic(err)
	}
	got, err := export.ReadAll(context.Background(), dir, annot.MapSize(s.Sizes()))
	if err != nil {
		panic(err)
	}
	var names []string
	for f, back := range got {
		names = append(names, fmt.Sprintf("%s %v", f, back.Images[0].Boxes[0]))
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Println(n)
	}
	// Output:
	// coco-camera-traps.json [64.0,48.0 320.0,240.0]
	// coco.json [64.0,48.0 320.0,240.0]
	// megadetector.json [64.0,48.0 320.0,240.0]
	// voc [64.0,48.0 320.0,240.0]
	// yolo [64.0,48.0 320.0,240.0]
}
