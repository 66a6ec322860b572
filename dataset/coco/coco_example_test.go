package coco_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/coco"
)

// A COCO Camera Traps file keeps the camera-trap facts; plain COCO keeps
// what a detector trainer needs.
func ExampleWrite() {
	t0 := time.Date(2024, 2, 11, 5, 3, 7, 0, time.UTC)
	s := &annot.Set{
		Classes: []string{"snow leopard"},
		Images: []annot.Image{
			{File: "cam01/a.jpg", Width: 640, Height: 480, Time: t0, Deployment: "cam01", Event: "cam01-0001",
				Boxes: []labelfree.Box{{X0: 64, Y0: 48, X1: 320, Y1: 240, Score: 0.9}}},
			{File: "cam01/b.jpg", Width: 640, Height: 480, Time: t0.Add(3 * time.Second), Deployment: "cam01", Event: "cam01-0001",
				Labels: []int{0}},
		},
	}
	var buf bytes.Buffer
	rep, err := coco.Write(context.Background(), &buf, s, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("plain COCO wrote", rep.Written, "skipped", rep.Skipped[0].File)

	buf.Reset()
	if _, err := coco.Write(context.Background(), &buf, s, &coco.Options{CameraTraps: true}); err != nil {
		panic(err)
	}
	back, err := coco.Read(context.Background(), &buf, nil)
	if err != nil {
		panic(err)
	}
	for _, im := range back.Images {
		fmt.Println(im.File, im.Time.Format(time.DateTime), im.Event, len(im.Boxes), im.Labels)
	}
	// Output:
	// plain COCO wrote 1 skipped cam01/b.jpg
	// cam01/a.jpg 2024-02-11 05:03:07 cam01-0001 1 []
	// cam01/b.jpg 2024-02-11 05:03:10 cam01-0001 0 [0]
}
