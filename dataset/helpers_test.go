package dataset

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/search"
	"github.com/stretchr/testify/require"
)

// testJPEG encodes a w×h gradient image seeded by v.
func testJPEG(t testing.TB, w, h int, v uint8) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, gradient(w, h, v), &jpeg.Options{Quality: 90}))
	return buf.Bytes()
}

func testPNG(t testing.TB, w, h int, v uint8) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, gradient(w, h, v)))
	return buf.Bytes()
}

func gradient(w, h int, v uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*255/max(1, w-1)) ^ v, uint8(y * 255 / max(1, h-1)), v, 255})
		}
	}
	return img
}

// rowsFor makes one row per URL with a Source.
func rowsFor(urls ...string) *labelfree.Dataset {
	rs := make([][]search.Result, 1)
	for i, u := range urls {
		rs[0] = append(rs[0], search.Result{Provider: "test", ImageURL: u, Rank: i})
	}
	ds, _, err := Stitch([]string{"x"}, rs, nil)
	if err != nil {
		panic(err)
	}
	return ds
}

func run(t *testing.T, s labelfree.Stage, ds *labelfree.Dataset) *labelfree.Dataset {
	t.Helper()
	out, err := (&labelfree.Executor{}).Transform(context.Background(), s, ds)
	require.NoError(t, err)
	return out
}
