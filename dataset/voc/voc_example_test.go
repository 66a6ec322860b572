package voc_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/voc"
)

func ExampleWriteDir() {
	dir, _ := os.MkdirTemp("", "voc")
	defer os.RemoveAll(dir)
	s := &annot.Set{
		Classes: []string{"snow leopard"},
		Images: []annot.Image{{File: "cam01/a.jpg", Width: 640, Height: 480,
			Boxes: []labelfree.Box{{X0: 64, Y0: 48, X1: 320, Y1: 240}}}},
	}
	if _, err := voc.WriteDir(context.Background(), dir, s, nil); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "Annotations/cam01/a.xml"))
	fmt.Print(string(b))
	// Output:
	// <annotation>
	// 	<folder>cam01</folder>
	// 	<filename>a.jpg</filename>
	// 	<path>cam01/a.jpg</path>
	// 	<source>
	// 		<database>labelfree</database>
	// 	</source>
	// 	<size>
	// 		<width>640</width>
	// 		<height>480</height>
	// 		<depth>3</depth>
	// 	</size>
	// 	<segmented>0</segmented>
	// 	<object>
	// 		<name>snow leopard</name>
	// 		<pose>Unspecified</pose>
	// 		<truncated>0</truncated>
	// 		<difficult>0</difficult>
	// 		<bndbox>
	// 			<xmin>65</xmin>
	// 			<ymin>49</ymin>
	// 			<xmax>320</xmax>
	// 			<ymax>240</ymax>
	// 		</bndbox>
	// 	</object>
	// </annotation>
}
