package lfbeam_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/labelfree/labelfree"
	lfbeam "github.com/labelfree/labelfree/beam"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/superpixel"
)

// Decode images and segment them into superpixels on Beam (here prism, in
// process; Flink, Spark or Dataflow with the runner flags), then collect
// the rows back in their input order. The row with bytes that are not an
// image comes back failed, with its error, instead of being dropped.
func Example() {
	ctx := context.Background()
	in := &labelfree.Dataset{}
	for _, id := range []string{"leopard-1", "broken", "leopard-2"} {
		r := labelfree.NewRow(id)
		img := image.NewRGBA(image.Rect(0, 0, 32, 24))
		for y := 0; y < 24; y++ {
			for x := 0; x < 32; x++ {
				img.SetRGBA(x, y, color.RGBA{uint8(8 * x), uint8(10 * y), 128, 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			fmt.Println(err)
			return
		}
		if id == "broken" {
			buf.Reset()
			buf.WriteString("<html>not found</html>")
		}
		labelfree.Set(r, labelfree.ImageBytes, buf.Bytes())
		in.Rows = append(in.Rows, r)
	}
	model := &labelfree.PipelineModel{Stages: []labelfree.Stage{
		&dataset.Decoder{},
		&superpixel.Transformer{SLIC: superpixel.SLIC{Segments: 12}},
	}}

	dir, _ := os.MkdirTemp("", "lfbeam-example")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "rows")

	p, s := beam.NewPipelineWithRoot()
	rows, err := lfbeam.Create(s, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	segmented, err := lfbeam.Transform(s, model, rows)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := lfbeam.WriteRows(s, out, segmented); err != nil {
		fmt.Println(err)
		return
	}
	if err := beamx.Run(ctx, p); err != nil {
		fmt.Println(err)
		return
	}

	ds, err := lfbeam.ReadRows(ctx, out)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range ds.Rows {
		if r.Err != nil {
			fmt.Printf("%s: failed in %s\n", r.ID, r.Err.Stage)
			continue
		}
		seg, _ := labelfree.Get(r, superpixel.Segments)
		fmt.Printf("%s: %dx%d image, %d superpixels\n", r.ID, seg.Width, seg.Height, seg.N)
	}
	// Output:
	// leopard-1: 32x24 image, 12 superpixels
	// broken: failed in dataset.Decoder
	// leopard-2: 32x24 image, 12 superpixels
}
