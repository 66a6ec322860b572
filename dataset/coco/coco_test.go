package coco

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/labelfree/labelfree/internal/testpy"
	stdimage "image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	plainHolds = annottest.Holds{Size: true, Score: true}
	cctHolds   = annottest.Holds{Size: true, Score: true, Labels: true, Time: true, Deployment: true, Event: true, Failure: true, Unlabelled: true}
)

func write(t testing.TB, s *annot.Set, opts *Options) ([]byte, *annot.Report) {
	t.Helper()
	var buf bytes.Buffer
	rep, err := Write(context.Background(), &buf, s, opts)
	require.NoError(t, err)
	return buf.Bytes(), rep
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  *Options
		holds annottest.Holds
		skip  []annot.Skip
	}{
		{"plain", nil, plainHolds, []annot.Skip{{File: "cam02/DSC 0005.jpg", Reason: annot.SkipUnboxed}, {File: "cam02/broken.jpg", Reason: annot.SkipFailed}}},
		{"cameratraps", &Options{CameraTraps: true, Indent: true}, cctHolds, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := annottest.Sample()
			data, rep := write(t, s, tc.opts)
			assert.Equal(t, tc.skip, rep.Skipped)
			assert.Equal(t, len(s.Images)-len(tc.skip), rep.Written)
			got, err := Read(context.Background(), bytes.NewReader(data), nil)
			require.NoError(t, err)
			annottest.Equal(t, annottest.Expect(s, tc.holds), got, 0)
		})
	}
}

func TestCameraTrapFields(t *testing.T) {
	data, _ := write(t, annottest.Sample(), &Options{CameraTraps: true})
	var d struct {
		Images      []map[string]any
		Categories  []map[string]any
		Annotations []map[string]any
	}
	require.NoError(t, json.Unmarshal(data, &d))
	assert.Equal(t, map[string]any{"id": 0.0, "name": "empty"}, d.Categories[0])
	im := d.Images[1]
	assert.Equal(t, "cam01/IMG_0002.JPG", im["id"])
	assert.Equal(t, "2024-02-11 05:03:11", im["datetime"])
	assert.Equal(t, "cam01-0001", im["seq_id"])
	assert.Equal(t, 2.0, im["seq_num_frames"])
	assert.Equal(t, 1.0, im["frame_num"])
	assert.Equal(t, "cam01", im["location"])
	assert.Equal(t, true, d.Images[5]["corrupt"])
	// IMG_0003 has no objects: one "empty" annotation without a box.
	var empties, labels int
	for _, a := range d.Annotations {
		if _, ok := a["bbox"]; !ok {
			if a["category_id"] == 0.0 {
				empties++
				assert.Equal(t, "cam01/IMG_0003.JPG", a["image_id"])
			} else {
				labels++
			}
		}
	}
	assert.Equal(t, 1, empties)
	assert.Equal(t, 4, labels)
}

func TestPythonChecker(t *testing.T) {
	py := testpy.Find(t)
	for _, tc := range []struct {
		mode string
		opts *Options
		want string
	}{
		{"plain", nil, `{"images": 4, "boxes": 6, "labels": 0, "empty": 0, "categories": ["snow leopard", "ibex", "person"]}`},
		{"cct", &Options{CameraTraps: true}, `{"images": 6, "boxes": 6, "labels": 4, "empty": 1, "categories": ["empty", "snow leopard", "ibex", "person"]}`},
	} {
		data, _ := write(t, annottest.Sample(), tc.opts)
		p := filepath.Join(t.TempDir(), "coco.json")
		require.NoError(t, os.WriteFile(p, data, 0o644))
		out, err := exec.Command(py, "testdata/check_coco.py", p, tc.mode).CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.JSONEq(t, tc.want, string(out))
		// The checker catches a broken file.
		bad := bytes.Replace(data, []byte(`"category_id":1`), []byte(`"category_id":99`), 1)
		require.NoError(t, os.WriteFile(p, bad, 0o644))
		out, err = exec.Command(py, "testdata/check_coco.py", p, tc.mode).CombinedOutput()
		require.Error(t, err)
		assert.Contains(t, string(out), "names no category")
	}
}

func TestWriteRejects(t *testing.T) {
	s := annottest.Sample()
	s.Images[3].Boxes[1].Y1 = 1081
	_, err := Write(context.Background(), &bytes.Buffer{}, s, nil)
	assert.ErrorContains(t, err, `image "cam02/DSC 0004.jpg" box 1 [1000.0,500.0 1919.0,1081.0]: box`)
	assert.ErrorContains(t, err, "outside the 1920x1080 image")
	s = annottest.Sample()
	s.Images[0].Boxes[0].Class = 7
	_, err = Write(context.Background(), &bytes.Buffer{}, s, nil)
	assert.ErrorContains(t, err, `image "cam01/IMG_0001.JPG" box 0`)
	assert.True(t, errors.Is(err, annot.ErrUnknownClass))
	s = annottest.Sample()
	s.Classes[2] = EmptyCategory
	_, err = Write(context.Background(), &bytes.Buffer{}, s, &Options{CameraTraps: true})
	assert.ErrorContains(t, err, "reserved")
	s = annottest.Sample()
	s.Images[2].Width, s.Images[2].Height = 0, 0
	_, err = Write(context.Background(), &bytes.Buffer{}, s, nil)
	assert.ErrorContains(t, err, `image "cam01/IMG_0003.JPG": plain COCO needs the image size`)
}

func TestReadRejects(t *testing.T) {
	const cats = `"categories":[{"id":1,"name":"fox"}]`
	const img = `"images":[{"id":1,"file_name":"a.jpg","width":100,"height":50}]`
	for _, tc := range []struct{ name, in, want string }{
		{"not json", `{`, "not a COCO JSON object"},
		{"no images", `{` + cats + `}`, `missing "images"`},
		{"no categories", `{` + img + `}`, `missing "categories"`},
		{"category id", `{"images":[],"categories":[{"id":-1,"name":"x"}]}`, "categories[0]: id missing or negative"},
		{"category name", `{"images":[],"categories":[{"id":1,"name":""}]}`, "name missing or blank"},
		{"dup category", `{"images":[],"categories":[{"id":1,"name":"a"},{"id":1,"name":"b"}]}`, "id 1 appears twice"},
		{"dup name", `{"images":[],"categories":[{"id":1,"name":"a"},{"id":2,"name":"a"}]}`, `name "a" appears twice`},
		{"image id", `{"images":[{"id":1.5,"file_name":"a"}],` + cats + `}`, "id missing or not a string or integer"},
		{"no file", `{"images":[{"id":1}],` + cats + `}`, "file_name missing"},
		{"dup image", `{"images":[{"id":1,"file_name":"a"},{"id":1,"file_name":"b"}],` + cats + `}`, "images[1] (b): id n1 appears twice"},
		{"size", `{"images":[{"id":1,"file_name":"a","width":10}],` + cats + `}`, "size 10x0"},
		{"huge", `{"images":[{"id":1,"file_name":"a","width":1000000,"height":1000000}],` + cats + `}`, "not usable"},
		{"datetime", `{"images":[{"id":1,"file_name":"a","datetime":"yesterday"}],` + cats + `}`, `datetime "yesterday"`},
		{"location", `{"images":[{"id":1,"file_name":"a","location":[1]}],` + cats + `}`, "location is not a string"},
		{"ann image", `{` + img + `,` + cats + `,"annotations":[{"id":1,"image_id":2,"category_id":1}]}`, "image_id n2 names no image"},
		{"ann category", `{` + img + `,` + cats + `,"annotations":[{"id":1,"image_id":1,"category_id":5,"bbox":[0,0,1,1]}]}`, "annotations[0] (image a.jpg): category_id 5"},
		{"no category", `{` + img + `,` + cats + `,"annotations":[{"id":1,"image_id":1}]}`, "category_id missing"},
		{"bbox len", `{` + img + `,` + cats + `,"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1]}]}`, "bbox has 3 numbers"},
		{"bbox size", `{` + img + `,` + cats + `,"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,-1,1]}]}`, "not positive"},
		{"bbox outside", `{` + img + `,` + cats + `,"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[50,0,60,10]}]}`, "outside the 100x50 image"},
		{"bbox no size", `{"images":[{"id":1,"file_name":"a"}],` + cats + `,"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1,1]}]}`, "no width and height"},
		{"score", `{` + img + `,` + cats + `,"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":2}]}`, "score 2 is outside"},
		{"empty box", `{` + img + `,"categories":[{"id":0,"name":"empty"}],"annotations":[{"id":1,"image_id":1,"category_id":0,"bbox":[0,0,1,1]}]}`, "empty category"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(context.Background(), strings.NewReader(tc.in), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var fe *FormatError
			assert.True(t, errors.As(err, &fe), "%T", err)
		})
	}
}

func TestDateTimeZone(t *testing.T) {
	npt := time.FixedZone("NPT", 5*3600+45*60)
	s := annottest.Sample()
	for i := range s.Images {
		s.Images[i].Time = s.Images[i].Time.In(npt)
	}
	data, _ := write(t, s, &Options{CameraTraps: true})
	assert.Contains(t, string(data), `"datetime":"2024-02-11 10:48:07"`, "the wall clock in the time's own zone")
	got, err := Read(context.Background(), bytes.NewReader(data), &ReadOptions{Location: npt})
	require.NoError(t, err)
	annottest.Equal(t, annottest.Expect(s, cctHolds), got, 0)
	utc, err := Read(context.Background(), bytes.NewReader(data), nil)
	require.NoError(t, err)
	assert.Equal(t, "2024-02-11T10:48:07Z", utc.Images[0].Time.Format(time.RFC3339))
}

func TestReadSizeFunc(t *testing.T) {
	in := `{"images":[{"id":"x","file_name":"a.jpg"}],"categories":[{"id":3,"name":"fox"}],"annotations":[{"id":"1","image_id":"x","category_id":3,"bbox":[1,2,3,4]}]}`
	s, err := Read(context.Background(), strings.NewReader(in), &ReadOptions{Size: annot.MapSize(map[string]stdimage.Point{"a.jpg": {X: 10, Y: 20}})})
	require.NoError(t, err)
	assert.Equal(t, 10, s.Images[0].Width)
	assert.Equal(t, labelfree.Box{X0: 1, Y0: 2, X1: 4, Y1: 6}, s.Images[0].Boxes[0])
}

func FuzzRead(f *testing.F) {
	a, _ := write(f, annottest.Sample(), nil)
	b, _ := write(f, annottest.Sample(), &Options{CameraTraps: true})
	f.Add(a)
	f.Add(b)
	f.Add([]byte(`{"images":[{"id":1,"file_name":"a.jpg","width":100,"height":50}],"categories":[{"id":1,"name":"fox"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1,1]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(context.Background(), bytes.NewReader(data), nil)
		if err != nil || annot.Validate(s) != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := Write(context.Background(), &buf, s, &Options{CameraTraps: true}); err != nil {
			if s.ClassIndex(EmptyCategory) >= 0 {
				return
			}
			for _, im := range s.Images {
				if im.Normalized() && len(im.Boxes) > 0 {
					return
				}
			}
			t.Fatalf("read a valid set that does not write: %v", err)
		}
		_, err = Read(context.Background(), &buf, nil)
		require.NoError(t, err)
	})
}
