package yolo

import (
	"context"
	"errors"
	"github.com/labelfree/labelfree/internal/testpy"
	stdimage "image"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var holds = annottest.Holds{Size: true, Split: true}

func TestRoundTripWithImages(t *testing.T) {
	s := annottest.Sample()
	src, out := t.TempDir(), t.TempDir()
	annottest.WriteImages(t, src, s, false, 0, 0)
	rep, err := WriteDir(context.Background(), out, s, &Options{ImageRoot: src, Scores: true})
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Written)
	assert.Equal(t, []annot.Skip{{File: "cam02/DSC 0005.jpg", Reason: annot.SkipUnboxed}, {File: "cam02/broken.jpg", Reason: annot.SkipFailed}}, rep.Skipped)
	// Sizes come from the copied images' headers.
	got, err := ReadFS(context.Background(), os.DirFS(out), nil)
	require.NoError(t, err)
	h := holds
	h.Score = true
	annottest.Equal(t, annottest.Expect(s, h), got, 1e-9)

	label, err := os.ReadFile(filepath.Join(out, "labels/train/cam01/IMG_0002.txt"))
	require.NoError(t, err)
	assert.Equal(t, "0 0.74970703125 0.603125 0.4990234375 0.7895833333333333 1\n", string(label))
	empty, err := os.ReadFile(filepath.Join(out, "labels/train/cam01/IMG_0003.txt"))
	require.NoError(t, err)
	assert.Empty(t, empty, "an image without objects has an empty label file")
}

func TestRoundTripSplits(t *testing.T) {
	s := annottest.Sample()
	out := t.TempDir()
	_, err := WriteDir(context.Background(), out, s, &Options{Split: func(im *annot.Image) string {
		if strings.HasPrefix(im.File, "cam02") {
			return Val
		}
		return Train
	}})
	require.NoError(t, err)
	got, err := ReadFS(context.Background(), os.DirFS(out), &ReadOptions{Size: annot.MapSize(s.Sizes())})
	require.NoError(t, err)
	annottest.Equal(t, annottest.Expect(s, holds), got, 1e-9)
	val, err := os.ReadFile(filepath.Join(out, "val.txt"))
	require.NoError(t, err)
	assert.Equal(t, "./images/val/cam02/DSC 0004.jpg\n", string(val))

	// A hash split is stable and roughly the asked share.
	big := &annot.Set{Classes: []string{"a"}}
	for i := range 1000 {
		big.Images = append(big.Images, annot.Image{File: filepath.ToSlash(filepath.Join("d", strings.Repeat("x", i%7), string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))) + ".jpg", Boxes: []labelfree.Box{}})
	}
	o := &Options{ValFraction: 0.2}
	n := 0
	for i := range big.Images {
		sp, err := o.split(&big.Images[i])
		require.NoError(t, err)
		if sp == Val {
			n++
		}
	}
	assert.InDelta(t, 200, n, 40)
	assert.Error(t, (&Options{ValFraction: 1}).Validate())
}

func TestPythonChecker(t *testing.T) {
	py := testpy.Find(t, "yaml")
	s := annottest.Sample()
	src, out := t.TempDir(), t.TempDir()
	annottest.WriteImages(t, src, s, false, 0, 0)
	_, err := WriteDir(context.Background(), out, s, &Options{ImageRoot: src, ValFraction: 0.5})
	require.NoError(t, err)
	res, err := exec.Command(py, "testdata/check_yolo.py", out, "yes").CombinedOutput()
	require.NoError(t, err, "%s", res)
	assert.JSONEq(t, `{"images": 4, "boxes": 6, "background": 1, "names": ["snow leopard", "ibex", "person"]}`, string(res))
	// With scores, Ultralytics' five-column rule fails: the checker notices.
	_, err = WriteDir(context.Background(), out, s, &Options{Scores: true})
	require.NoError(t, err)
	res, err = exec.Command(py, "testdata/check_yolo.py", out, "no").CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(res), "does not have 5 columns")
}

func TestWriteRejects(t *testing.T) {
	s := annottest.Sample()
	s.Images[0].Boxes[0].X0 = -3
	_, err := WriteDir(context.Background(), t.TempDir(), s, nil)
	assert.ErrorContains(t, err, `image "cam01/IMG_0001.JPG" box 0 [-3.0,30.2 200.0,333.8]`)
	s = annottest.Sample()
	s.Images[1].Boxes[0].Class = 5
	_, err = WriteDir(context.Background(), t.TempDir(), s, nil)
	assert.ErrorIs(t, err, annot.ErrUnknownClass)
	assert.ErrorContains(t, err, `image "cam01/IMG_0002.JPG" box 0`)
	_, err = WriteDir(context.Background(), t.TempDir(), annottest.Sample(), &Options{Split: func(*annot.Image) string { return "dev" }})
	assert.ErrorContains(t, err, `split "dev"`)
	// A missing source image is an error naming it.
	_, err = WriteDir(context.Background(), t.TempDir(), annottest.Sample(), &Options{ImageRoot: t.TempDir()})
	assert.ErrorContains(t, err, "IMG_0001.JPG")
}

func TestReadRejects(t *testing.T) {
	yml := "train: train.txt\nval: val.txt\nnames: [a, b]\n"
	base := func(label string) fstest.MapFS {
		return fstest.MapFS{
			"data.yaml":                  {Data: []byte(yml)},
			"train.txt":                  {Data: []byte("./images/train/x.jpg\n")},
			"val.txt":                    {Data: []byte("")},
			"labels/train/x.txt":         {Data: []byte(label)},
			"images/train/placeholder.d": {Data: nil},
		}
	}
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"no yaml", fstest.MapFS{}, "data.yaml: open data.yaml"},
		{"bad yaml", fstest.MapFS{"data.yaml": {Data: []byte("names: [")}}, "not YAML"},
		{"no names", fstest.MapFS{"data.yaml": {Data: []byte("train: a\n")}}, "names is missing"},
		{"nc", fstest.MapFS{"data.yaml": {Data: []byte("train: a\nnc: 3\nnames: [a]\n")}}, "nc is 3 but 1 names"},
		{"names map", fstest.MapFS{"data.yaml": {Data: []byte("train: a\nnames: {0: a, 5: b}\n")}}, "class ids must run from 0 to 1"},
		{"no train", fstest.MapFS{"data.yaml": {Data: []byte("names: [a]\n")}}, "no train split"},
		{"escape", fstest.MapFS{"data.yaml": {Data: []byte("train: ../x.txt\nnames: [a]\n")}}, "leaves the dataset directory"},
		{"list escape", fstest.MapFS{"data.yaml": {Data: []byte("train: t.txt\nnames: [a]\n")}, "t.txt": {Data: []byte("/etc/passwd\n")}}, "t.txt line 1"},
		{"columns", base("0 0.5 0.5 0.1\n"), "labels/train/x.txt:1: 4 columns"},
		{"polygon", base("0 0.1 0.1 0.2 0.2 0.3 0.1 0.2\n"), "segmentation polygons are not supported"},
		{"class", base("0 0.5 0.5 0.1 0.1\n2 0.5 0.5 0.1 0.1\n"), `x.txt:2: class "2" is not an index below nc=2`},
		{"number", base("0 0.5 nan 0.1 0.1\n"), `column 3 "nan"`},
		{"size", base("0 0.5 0.5 0 0.1\n"), "not positive"},
		{"outside", base("1 0.95 0.5 0.2 0.1\n"), "lies outside the image"},
		{"conf", base("1 0.5 0.5 0.2 0.1 1.5\n"), "confidence 1.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFS(context.Background(), tc.fs, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := ReadFS(context.Background(), base("0 0.5 0.5 0.1 0.1\n"), &ReadOptions{MaxLabelBytes: 4})
	var fe *FormatError
	require.True(t, errors.As(err, &fe))
	assert.Contains(t, err.Error(), "larger than 4 bytes")
}

func TestReadDirectorySplit(t *testing.T) {
	fsys := fstest.MapFS{
		"data.yaml":          {Data: []byte("path: ../datasets/x\ntrain: images/train\nval: images/val\nnames: {0: fox}\n")},
		"images/train/b.jpg": {Data: annottest.EXIFJPEG(20, 10, annottest.Plant{})},
		"images/train/a.png": {Data: nil},
		"labels/train/b.txt": {Data: []byte("0 0.5 0.5 0.5 0.5\n")},
		"images/val/c.jpg":   {Data: annottest.EXIFJPEG(8, 8, annottest.Plant{})},
	}
	_, err := ReadFS(context.Background(), fsys, nil)
	assert.ErrorContains(t, err, `size of image "a.png"`, "an unreadable image is reported, not skipped")
	delete(fsys, "images/train/a.png")
	s, err := ReadFS(context.Background(), fsys, nil)
	require.NoError(t, err)
	var files []string
	for _, im := range s.Images {
		files = append(files, im.File)
	}
	assert.True(t, sort.StringsAreSorted(files))
	assert.Equal(t, []string{"b.jpg", "c.jpg"}, files)
	assert.Equal(t, labelfree.Box{X0: 5, Y0: 2.5, X1: 15, Y1: 7.5}, s.Images[0].Boxes[0])
	assert.Empty(t, s.Images[1].Boxes, "no label file: background image")
}

func FuzzParseLabels(f *testing.F) {
	f.Add([]byte("0 0.5 0.5 0.1 0.1\n1 0.2 0.3 0.1 0.1 0.9\n"))
	f.Add([]byte("\n\n2 1 1 0.0001 0.0001"))
	f.Add([]byte("0 0.1 0.1 0.2 0.2 0.3 0.1 0.2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, im := range []annot.Image{{File: "x.jpg"}, {File: "x.jpg", Width: 33, Height: 17}} {
			if err := parseLabels(&im, "x.txt", data, 3); err != nil {
				continue
			}
			s := &annot.Set{Classes: []string{"a", "b", "c"}, Images: []annot.Image{im}}
			require.NoError(t, annot.Validate(s), "a parsed label file must give valid boxes")
		}
	})
}

func FuzzReadFS(f *testing.F) {
	f.Add([]byte("train: train.txt\nval: val.txt\nnames: [a, b]\n"), []byte("./images/train/x.jpg\n"), []byte("0 0.5 0.5 0.1 0.1\n"))
	f.Add([]byte("train: [images/train, t.txt]\nnc: 1\nnames: {0: a}\n"), []byte("images/train/x.jpg"), []byte("0 0.5 0.5 1 1 0.5"))
	f.Fuzz(func(t *testing.T, yml, list, label []byte) {
		fsys := fstest.MapFS{
			"data.yaml":          {Data: yml},
			"train.txt":          {Data: list},
			"t.txt":              {Data: list},
			"labels/train/x.txt": {Data: label},
			"images/train/y.jpg": {Data: []byte("not a jpeg")},
		}
		s, err := ReadFS(context.Background(), fsys, &ReadOptions{Size: annot.MapSize(map[string]stdimage.Point{"x.jpg": {X: 20, Y: 10}, "images/train/x.jpg": {X: 20, Y: 10}})})
		if err != nil {
			return
		}
		for _, im := range s.Images {
			for _, b := range im.Boxes {
				require.GreaterOrEqual(t, b.Class, 0)
				require.Less(t, b.Class, len(s.Classes))
				require.True(t, b.X1 > b.X0 && b.Y1 > b.Y0)
			}
		}
	})
}
