package yolo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/yolo"
)

func ExampleWriteDir() {
	dir, _ := os.MkdirTemp("", "yolo")
	defer os.RemoveAll(dir)
	s := &annot.Set{
		Classes: []string{"snow leopard", "ibex"},
		Images: []annot.Image{{File: "cam01/a.jpg", Width: 640, Height: 480,
			Boxes: []labelfree.Box{{X0: 64, Y0: 48, X1: 320, Y1: 240, Class: 1}}}},
	}
	if _, err := yolo.WriteDir(context.Background(), dir, s, nil); err != nil {
		panic(err)
	}
	for _, f := range []string{"data.yaml", "train.txt", "labels/train/cam01/a.txt"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		fmt.Printf("%s:\n%s", f, b)
	}
	// Output:
	// data.yaml:
	// path: .
	// train: train.txt
	// val: val.txt
	// nc: 2
	// names:
	//     0: snow leopard
	//     1: ibex
	// train.txt:
	// ./images/train/cam01/a.jpg
	// labels/train/cam01/a.txt:
	// 1 0.3 0.3 0.4 0.4
}
