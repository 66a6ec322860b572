package voc

import (
	"context"
	"errors"
	"github.com/labelfree/labelfree/internal/testpy"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var holds = annottest.Holds{Size: true, Split: true}

func TestRoundTrip(t *testing.T) {
	s := annottest.Sample()
	src, out := t.TempDir(), t.TempDir()
	annottest.WriteImages(t, src, s, false, 0, 0)
	rep, err := WriteDir(context.Background(), out, s, &Options{ImageRoot: src})
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Written)
	assert.Len(t, rep.Skipped, 2)
	got, err := ReadFS(context.Background(), os.DirFS(out), nil)
	require.NoError(t, err)
	annottest.Equal(t, annottest.Expect(s, holds), got, 1e-9)

	x, err := os.ReadFile(filepath.Join(out, "Annotations/cam01/IMG_0002.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(x), "<filename>IMG_0002.JPG</filename>")
	assert.Contains(t, string(x), "<xmin>321.125</xmin>", "VOC coordinates are 1-based")
	assert.Contains(t, string(x), "<xmax>639.5</xmax>")
	assert.Contains(t, string(x), "<truncated>0</truncated>")
	ids, err := os.ReadFile(filepath.Join(out, "ImageSets/Main/train.txt"))
	require.NoError(t, err)
	assert.Equal(t, "cam01/IMG_0001\ncam01/IMG_0002\ncam01/IMG_0003\n", string(ids))
	ids, err = os.ReadFile(filepath.Join(out, "ImageSets/Main/test.txt"))
	require.NoError(t, err)
	assert.Equal(t, "cam02/DSC 0004\n", string(ids), "the image's Split picks the list")
	_, err = os.Stat(filepath.Join(out, "JPEGImages/cam02/DSC 0004.jpg"))
	assert.NoError(t, err)
}

func TestRound(t *testing.T) {
	s := annottest.Sample()
	out := t.TempDir()
	_, err := WriteDir(context.Background(), out, s, &Options{Round: true})
	require.NoError(t, err)
	got, err := ReadFS(context.Background(), os.DirFS(out), nil)
	require.NoError(t, err)
	b := got.Images[0].Boxes[0]
	assert.Equal(t, labelfree.Box{X0: 12, Y0: 30, X1: 200, Y1: 334}, b, "rounded outward to whole pixels")
}

func TestPythonChecker(t *testing.T) {
	py := testpy.Find(t)
	s := annottest.Sample()
	src, out := t.TempDir(), t.TempDir()
	annottest.WriteImages(t, src, s, false, 0, 0)
	_, err := WriteDir(context.Background(), out, s, &Options{ImageRoot: src})
	require.NoError(t, err)
	res, err := exec.Command(py, "testdata/check_voc.py", out, "images").CombinedOutput()
	require.NoError(t, err, "%s", res)
	assert.JSONEq(t, `{"images": 4, "objects": 6, "truncated": 1, "classes": ["snow leopard", "ibex", "person"]}`, string(res))
}

func TestWriteRejects(t *testing.T) {
	s := annottest.Sample()
	s.Images[3].Boxes[0].Y1 = s.Images[3].Boxes[0].Y0
	_, err := WriteDir(context.Background(), t.TempDir(), s, nil)
	assert.ErrorContains(t, err, `image "cam02/DSC 0004.jpg" box 0 [100.0,200.0 300.5,200.0]: box`)
	assert.ErrorContains(t, err, "has no area")
	s = annottest.Sample()
	s.Images[2].Width, s.Images[2].Height = 0, 0
	_, err = WriteDir(context.Background(), t.TempDir(), s, nil)
	assert.ErrorContains(t, err, "VOC needs the image size")
	_, err = WriteDir(context.Background(), t.TempDir(), annottest.Sample(), &Options{Split: func(*annot.Image) string { return "../x" }})
	assert.ErrorContains(t, err, "split name")
}

func xmlFS(body string) fstest.MapFS {
	return fstest.MapFS{"Annotations/a.xml": {Data: []byte(body)}, ClassesFile: {Data: []byte("fox\n")}}
}

func TestReadRejects(t *testing.T) {
	const head = `<annotation><filename>a.jpg</filename><size><width>100</width><height>50</height><depth>3</depth></size>`
	for _, tc := range []struct{ name, in, want string }{
		{"not xml", `<annotation>`, "not a VOC annotation"},
		{"other root", `<foo/>`, "not a VOC annotation"},
		{"no filename", `<annotation><size><width>1</width><height>1</height></size></annotation>`, "filename"},
		{"path filename", `<annotation><filename>../a.jpg</filename></annotation>`, "not a plain file name"},
		{"no size", `<annotation><filename>a.jpg</filename></annotation>`, "no size"},
		{"bad size", `<annotation><filename>a.jpg</filename><size><width>-1</width><height>5</height></size></annotation>`, "not a usable pixel size"},
		{"no name", head + `<object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>`, "object 0 has no name"},
		{"no box", head + `<object><name>fox</name></object></annotation>`, "object 0 (fox) has no bndbox"},
		{"number", head + `<object><name>fox</name><bndbox><xmin>a</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>`, `bndbox value "a"`},
		{"area", head + `<object><name>fox</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>3</xmax><ymax>2</ymax></bndbox></object></annotation>`, "has no area"},
		{"outside", head + `<object><name>fox</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>300</xmax><ymax>2</ymax></bndbox></object></annotation>`, "outside the 100x50 image"},
		{"class", head + `<object><name>owl</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>2</ymax></bndbox></object></annotation>`, `class "owl" is not in the class list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFS(context.Background(), xmlFS(tc.in), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var fe *FormatError
			assert.True(t, errors.As(err, &fe), "%T", err)
		})
	}
	// Entities are not expanded (no XXE): an external entity is an error.
	_, err := ReadFS(context.Background(), xmlFS(`<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><annotation><filename>&x;</filename></annotation>`), nil)
	assert.Error(t, err)
	_, err = ReadFS(context.Background(), xmlFS(`<annotation/>`), &ReadOptions{MaxBytes: 3})
	assert.ErrorContains(t, err, "larger than 3 bytes")
}

func TestReadDiscoversClasses(t *testing.T) {
	fsys := fstest.MapFS{"Annotations/x/b.xml": {Data: []byte(`<annotation><filename>b.png</filename><size><width>10</width><height>10</height></size>
	<object><name>owl</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>10</ymax></bndbox></object>
	<object><name>fox</name><bndbox><xmin>1.5</xmin><ymin>1</ymin><xmax>10.4</xmax><ymax>10</ymax></bndbox></object></annotation>`)}}
	s, err := ReadFS(context.Background(), fsys, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"fox", "owl"}, s.Classes)
	assert.Equal(t, "x/b.png", s.Images[0].File)
	assert.Equal(t, []labelfree.Box{{X0: 0, Y0: 0, X1: 10, Y1: 10, Class: 1}, {X0: 0.5, Y0: 0, X1: 10, Y1: 10, Class: 0}}, s.Images[0].Boxes)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<annotation><filename>a.jpg</filename><size><width>100</width><height>50</height></size><object><name>fox</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>2</ymax></bndbox></object></annotation>`))
	f.Add([]byte(`<annotation><filename>a.jpg</filename><size><width>1</width><height>1</height></size></annotation>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		im, names, err := parse("Annotations/a.xml", data)
		if err != nil {
			return
		}
		s := &annot.Set{Images: []annot.Image{im}}
		for i, n := range names {
			if s.ClassIndex(n) < 0 {
				s.Classes = append(s.Classes, n)
			}
			s.Images[0].Boxes[i].Class = s.ClassIndex(n)
		}
		if annot.ValidPath(im.File) {
			for _, c := range s.Classes {
				if c == "" || len(c) != len([]rune(c)) {
					return
				}
			}
			require.NoError(t, annot.Validate(s))
		}
	})
}
