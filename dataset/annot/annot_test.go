package annot_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"golang.org/x/image/bmp"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	require.NoError(t, annot.Validate(annottest.Sample()))
	for _, tc := range []struct {
		name string
		edit func(s *annot.Set)
		want string
	}{
		{"abs path", func(s *annot.Set) { s.Images[0].File = "/etc/x.jpg" }, "relative slash path"},
		{"backslash", func(s *annot.Set) { s.Images[0].File = `a\b.jpg` }, "relative slash path"},
		{"dot", func(s *annot.Set) { s.Images[0].File = "." }, "relative slash path"},
		{"half size", func(s *annot.Set) { s.Images[0].Width = 0 }, "size 0x480"},
		{"failure with boxes", func(s *annot.Set) { s.Images[0].Failure = "x" }, "failed image (x) has boxes"},
		{"nan", func(s *annot.Set) { s.Images[0].Boxes[0].X0 = nanv() }, "non-finite"},
		{"fraction outside", func(s *annot.Set) {
			s.Images[2] = annot.Image{File: "f.jpg", Boxes: []labelfree.Box{{X0: 0.5, Y0: 0, X1: 1.2, Y1: 1}}}
		}, `image "f.jpg" box 0 [0.5,0.0 1.2,1.0]: as fractions of an image of unknown size`},
		{"dup class", func(s *annot.Set) { s.Classes[1] = s.Classes[0] }, "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := annottest.Sample()
			tc.edit(s)
			err := annot.Validate(s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	s := annottest.Sample()
	s.Images[3].Boxes[1].Class = 4
	var be *annot.BoxError
	require.True(t, errors.As(annot.Validate(s), &be))
	assert.Equal(t, "cam02/DSC 0004.jpg", be.File)
	assert.Equal(t, 1, be.Index)
}

func nanv() float64 { z := 0.0; return z / z }

func TestDatasetConversion(t *testing.T) {
	s := annottest.Sample()
	ds := annot.ToDataset(s, "/data/photos")
	require.Len(t, ds.Rows, 6)
	p, _ := labelfree.Get(ds.Rows[0], labelfree.ImagePath)
	assert.Equal(t, filepath.FromSlash("/data/photos/cam01/IMG_0001.JPG"), p)
	assert.Equal(t, "cam01/IMG_0001.JPG", ds.Rows[0].ID)
	l, ok := labelfree.Get(ds.Rows[3], labelfree.Label)
	require.True(t, ok)
	assert.Equal(t, 1, l)
	sp, _ := labelfree.Get(ds.Rows[3], dataset.Split)
	assert.Equal(t, dataset.SplitTest, sp)
	sz, _ := labelfree.Get(ds.Rows[3], dataset.Size)
	assert.Equal(t, image.Point{X: 1920, Y: 1080}, sz)
	require.NotNil(t, ds.Rows[5].Err)
	assert.Equal(t, "decode", ds.Rows[5].Err.Stage)
	assert.Equal(t, "decode: unexpected EOF", ds.Rows[5].Err.Error())
	// Rows survive a checkpoint encoding.
	b, err := ds.Rows[0].MarshalBinary()
	require.NoError(t, err)
	var r labelfree.Row
	require.NoError(t, r.UnmarshalBinary(b))
	ds.Rows[0] = &r

	back, err := annot.FromDataset(ds, &annot.Options{Root: "/data/photos"})
	require.NoError(t, err)
	annottest.Equal(t, s, back, 0)

	_, err = annot.FromDataset(ds, &annot.Options{Root: "/elsewhere"})
	assert.ErrorContains(t, err, "outside root")

	// A failure text without a stage gets FailureStage.
	odd := &annot.Set{Images: []annot.Image{{File: "a.jpg", Failure: "Failure image access"}}}
	ds2 := annot.ToDataset(odd, "")
	assert.Equal(t, annot.FailureStage+": Failure image access", ds2.Rows[0].Err.Error())
}

func TestFromDatasetSizes(t *testing.T) {
	box := []labelfree.Box{{X0: 1, Y0: 1, X1: 3, Y1: 3, Score: 0.5}}
	r1 := labelfree.NewRow("a")
	labelfree.Set(r1, labelfree.ImagePath, "a.png")
	labelfree.Set(r1, labelfree.Image, image.Image(image.NewRGBA(image.Rect(0, 0, 7, 5))))
	labelfree.Set(r1, labelfree.Boxes, box)
	r2 := labelfree.NewRow("b")
	labelfree.Set(r2, labelfree.ImagePath, "b.png")
	labelfree.Set(r2, labelfree.Boxes, box)
	ds := &labelfree.Dataset{Classes: []string{"fox"}, Rows: []*labelfree.Row{r1, r2}}
	_, err := annot.FromDataset(ds, nil)
	assert.ErrorContains(t, err, `row "b": has boxes but no known image size`)
	s, err := annot.FromDataset(ds, &annot.Options{Size: annot.MapSize(map[string]image.Point{"b.png": {X: 9, Y: 4}})})
	require.NoError(t, err)
	assert.Equal(t, [2]int{7, 5}, [2]int{s.Images[0].Width, s.Images[0].Height})
	assert.Equal(t, [2]int{9, 4}, [2]int{s.Images[1].Width, s.Images[1].Height})
	r3 := labelfree.NewRow("c")
	ds.Rows = append(ds.Rows, r3)
	_, err = annot.FromDataset(ds, &annot.Options{Size: annot.MapSize(nil)})
	assert.ErrorContains(t, err, `row "b": image size: no size known for "b.png"`, "row a's size came from its decoded image")
	ds.Rows = []*labelfree.Row{r3}
	_, err = annot.FromDataset(ds, nil)
	assert.ErrorContains(t, err, `row "c": no value in column "image.path"`)
}

func TestFractions(t *testing.T) {
	im := annot.Image{File: "a.jpg", Boxes: []labelfree.Box{{X0: 0.25, Y0: 0.5, X1: 0.75, Y1: 1}}}
	require.True(t, im.Normalized())
	x, y, w, h := im.Frac(im.Boxes[0])
	assert.Equal(t, [4]float64{0.25, 0.5, 0.5, 0.5}, [4]float64{x, y, w, h})
	require.NoError(t, im.Scale(200, 100))
	assert.Equal(t, labelfree.Box{X0: 50, Y0: 50, X1: 150, Y1: 100}, im.Boxes[0])
	assert.Error(t, im.Scale(1, 1), "already scaled")
	assert.Equal(t, labelfree.Box{X0: 50, Y0: 50, X1: 150, Y1: 100, Class: 2}, im.FromFrac(0.25, 0.5, 0.5, 0.5, 0, 2))
	assert.Error(t, (&annot.Image{}).Scale(0, 3))
}

func TestSizes(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 12, 7))))
	fsys := fstest.MapFS{"d/a.png": {Data: buf.Bytes()}, "bad.png": {Data: []byte("x")}}
	w, h, err := annot.FSSize(fsys)("d/a.png")
	require.NoError(t, err)
	assert.Equal(t, [2]int{12, 7}, [2]int{w, h})
	_, _, err = annot.FSSize(fsys)("bad.png")
	assert.ErrorContains(t, err, "bad.png")
	_, _, err = annot.FSSize(fsys)("none.png")
	assert.Error(t, err)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.png"), buf.Bytes(), 0o644))
	w, _, err = annot.DirSize(dir)("a.png")
	require.NoError(t, err)
	assert.Equal(t, 12, w)
	w, _, err = annot.DirSize("/nonexistent")(filepath.Join(dir, "a.png"))
	require.NoError(t, err, "absolute paths are read as they are")
	assert.Equal(t, 12, w)

	s := &annot.Set{Classes: []string{"a"}, Images: []annot.Image{{File: "a.png", Boxes: []labelfree.Box{{X0: 0, Y0: 0, X1: 0.5, Y1: 1}}}}}
	require.NoError(t, s.Resolve(annot.DirSize(dir), false))
	assert.Equal(t, 6.0, s.Images[0].Boxes[0].X1)
	assert.Equal(t, map[string]image.Point{"a.png": {X: 12, Y: 7}}, s.Sizes())
}

func TestCopyImage(t *testing.T) {
	// JPEG: EXIF with GPS is dropped, the image data kept byte for byte.
	j := annottest.EXIFJPEG(16, 8, annottest.Plant{GPS: true, Lat: 10, Lon: 20})
	var out bytes.Buffer
	w, h, err := annot.CopyImage(&out, bytes.NewReader(j))
	require.NoError(t, err)
	assert.Equal(t, [2]int{16, 8}, [2]int{w, h})
	assert.True(t, bytes.Contains(j, []byte("Exif\x00\x00")))
	assert.False(t, bytes.Contains(out.Bytes(), []byte("Exif")))
	sos := bytes.Index(j, []byte{0xFF, 0xDA})
	assert.True(t, bytes.HasSuffix(out.Bytes(), j[sos:]), "scan data unchanged")

	// PNG stays PNG, pixel for pixel.
	src := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	src.Set(1, 1, color.NRGBA{200, 10, 30, 255})
	var pb bytes.Buffer
	require.NoError(t, png.Encode(&pb, src))
	out.Reset()
	_, _, err = annot.CopyImage(&out, bytes.NewReader(pb.Bytes()))
	require.NoError(t, err)
	img, err := png.Decode(&out)
	require.NoError(t, err)
	r, g, b, _ := img.At(1, 1).RGBA()
	assert.Equal(t, [3]uint32{200, 10, 30}, [3]uint32{r >> 8, g >> 8, b >> 8})

	// A format that cannot be stripped in place (BMP) is re-encoded as JPEG.
	var bm bytes.Buffer
	require.NoError(t, bmp.Encode(&bm, src))
	out.Reset()
	_, _, err = annot.CopyImage(&out, bytes.NewReader(bm.Bytes()))
	require.NoError(t, err)
	_, format, err := image.DecodeConfig(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, "jpeg", format)

	// Garbage and hostile sizes are refused before decoding.
	_, _, err = annot.CopyImage(&out, bytes.NewReader([]byte("not an image")))
	assert.Error(t, err)
	huge := append([]byte{}, pb.Bytes()...)
	huge[16], huge[17], huge[18], huge[19] = 0, 1, 0, 0 // width 65536
	huge[20], huge[21], huge[22], huge[23] = 0, 1, 0, 0 // height 65536
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	_, _, err = annot.CopyImage(&out, bytes.NewReader(huge))
	assert.ErrorContains(t, err, "unusable size 65536x65536")
}
