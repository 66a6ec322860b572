package megadetector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/labelfree/labelfree/internal/testpy"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var holds = annottest.Holds{Size: true, Score: true, Failure: true, Unlabelled: true}

func write(t testing.TB, s *annot.Set, opts *Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(context.Background(), &buf, s, opts))
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *Options
	}{
		{"categories", nil},
		{"classifications", &Options{Classifications: true, Indent: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := annottest.Sample()
			data := write(t, s, tc.opts)
			got, err := Read(context.Background(), bytes.NewReader(data), &ReadOptions{Size: annot.MapSize(s.Sizes())})
			require.NoError(t, err)
			annottest.Equal(t, annottest.Expect(s, holds), got, 1e-9)

			// Without sizes the boxes come back as fractions.
			frac, err := Read(context.Background(), bytes.NewReader(data), nil)
			require.NoError(t, err)
			im := frac.Images[0]
			require.True(t, im.Normalized())
			assert.InDelta(t, 12.5/640, im.Boxes[0].X0, 1e-12)
			assert.InDelta(t, 333.75/480, im.Boxes[0].Y1, 1e-12)
			// A normalised set writes and reads back unchanged.
			again, err := Read(context.Background(), bytes.NewReader(write(t, frac, tc.opts)), nil)
			require.NoError(t, err)
			annottest.Equal(t, frac, again, 1e-15)
		})
	}
}

func TestDataset(t *testing.T) {
	s := annottest.Sample()
	ds := annot.ToDataset(s, "")
	back, err := annot.FromDataset(ds, nil)
	require.NoError(t, err)
	got, err := Read(context.Background(), bytes.NewReader(write(t, back, nil)), &ReadOptions{Size: annot.MapSize(s.Sizes())})
	require.NoError(t, err)
	annottest.Equal(t, annottest.Expect(s, holds), got, 1e-9)
	row := annot.ToDataset(got, "").Rows[5]
	require.NotNil(t, row.Err)
	assert.Equal(t, "decode: unexpected EOF", row.Err.Error())
}

// TestFormatRules checks every rule of megadetector-output-format.md on the
// written JSON, read generically.
func TestFormatRules(t *testing.T) {
	s := annottest.Sample()
	for _, opts := range []*Options{nil, {Classifications: true, Detector: "md-weak", DetectorVersion: "0.1",
		Completed: time.Date(2026, 5, 26, 19, 11, 27, 0, time.UTC), TypicalThreshold: 0.3, ConservativeThreshold: 0.1}} {
		data := write(t, s, opts)
		var d map[string]any
		require.NoError(t, json.Unmarshal(data, &d))
		for k := range d {
			assert.Contains(t, []string{"info", "detection_categories", "classification_categories", "images"}, k, "non-standard top-level key")
		}
		info := d["info"].(map[string]any)
		assert.Equal(t, "1.6", info["format_version"], "format_version is the string 1.6")
		assert.NotEmpty(t, info["detector"])
		meta := info["detector_metadata"].(map[string]any)
		typical, conservative := meta["typical_detection_threshold"].(float64), meta["conservative_detection_threshold"].(float64)
		assert.True(t, 0 <= conservative && conservative <= typical && typical <= 1)
		if opts != nil {
			assert.Equal(t, "2026-05-26 19:11:27", info["detection_completion_time"])
			assert.Equal(t, 0.3, typical)
		}
		cats := d["detection_categories"].(map[string]any)
		require.NotEmpty(t, cats)
		for id, name := range cats {
			assert.NotEqual(t, "0", id, "category id 0 is reserved for empty")
			assert.Regexp(t, `^[1-9][0-9]*$`, id)
			assert.NotEmpty(t, strings.TrimSpace(name.(string)))
		}
		if opts != nil {
			assert.Equal(t, map[string]any{"1": "animal"}, cats)
			assert.Equal(t, map[string]any{"0": "snow leopard", "1": "ibex", "2": "person"}, d["classification_categories"])
		} else {
			assert.Equal(t, map[string]any{"1": "snow leopard", "2": "ibex", "3": "person"}, cats)
		}
		images := d["images"].([]any)
		require.Len(t, images, len(s.Images))
		// conf must be written as a float literal: find every "conf": value.
		for _, m := range confRe.FindAllSubmatch(data, -1) {
			assert.Regexp(t, `[.eE]`, string(m[1]), "conf %s is not a float literal", m[1])
		}
		for i, raw := range images {
			im := raw.(map[string]any)
			src := s.Images[i]
			assert.Equal(t, src.File, im["file"])
			dets, has := im["detections"]
			require.True(t, has, "detections is always present")
			if src.Failure != "" {
				assert.Equal(t, src.Failure, im["failure"])
				assert.Nil(t, dets, "a failed image has detections: null")
				continue
			}
			_, hasFailure := im["failure"]
			assert.False(t, hasFailure)
			list, ok := dets.([]any)
			require.True(t, ok, "a processed image has a detections list, [] when empty")
			require.Len(t, list, len(src.Boxes))
			for j, rd := range list {
				det := rd.(map[string]any)
				b := src.Boxes[j]
				assert.Contains(t, cats, det["category"])
				assert.Equal(t, b.Score, det["conf"])
				bb := det["bbox"].([]any)
				require.Len(t, bb, 4)
				x, y, w, h := bb[0].(float64), bb[1].(float64), bb[2].(float64), bb[3].(float64)
				assert.InDelta(t, b.X0/float64(src.Width), x, 1e-12, "bbox x_min is a fraction from the left")
				assert.InDelta(t, b.Y0/float64(src.Height), y, 1e-12, "bbox y_min is a fraction from the top")
				assert.InDelta(t, b.Width()/float64(src.Width), w, 1e-12)
				assert.InDelta(t, b.Height()/float64(src.Height), h, 1e-12)
				assert.True(t, x >= 0 && y >= 0 && w > 0 && h > 0 && x+w <= 1+1e-12 && y+h <= 1+1e-12)
				if opts != nil {
					assert.Equal(t, []any{[]any{CategoryID(b.Class - 1), b.Score}}, det["classifications"])
				}
			}
		}
	}
}

// TestPythonChecker runs the independent standard-library Python checker.
func TestPythonChecker(t *testing.T) {
	py := testpy.Find(t)
	for _, opts := range []*Options{nil, {Classifications: true}} {
		p := filepath.Join(t.TempDir(), "md.json")
		require.NoError(t, os.WriteFile(p, write(t, annottest.Sample(), opts), 0o644))
		out, err := exec.Command(py, "testdata/check_md.py", p).CombinedOutput()
		require.NoError(t, err, "%s", out)
		var sum struct{ Images, Detections, Failures, Empty int }
		require.NoError(t, json.Unmarshal(out, &sum), "%s", out)
		assert.Equal(t, 6, sum.Images)
		assert.Equal(t, 6, sum.Detections)
		assert.Equal(t, 1, sum.Failures)
		assert.Equal(t, 2, sum.Empty)
	}
	// The checker is not a rubber stamp: an int conf fails it.
	p := filepath.Join(t.TempDir(), "bad.json")
	bad := strings.Replace(string(write(t, annottest.Sample(), nil)), `"conf":1.0`, `"conf":1`, 1)
	require.NoError(t, os.WriteFile(p, []byte(bad), 0o644))
	out, err := exec.Command(py, "testdata/check_md.py", p).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "not a float literal")
}

func TestWriteRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *annot.Set)
		want string
	}{
		{"outside", func(s *annot.Set) { s.Images[0].Boxes[1].X1 = 641 }, `image "cam01/IMG_0001.JPG" box 1 [0.0,0.0 641.0,480.0]: `},
		{"negative size", func(s *annot.Set) { b := &s.Images[1].Boxes[0]; b.X0, b.X1 = b.X1, b.X0 }, `image "cam01/IMG_0002.JPG" box 0`},
		{"unknown class", func(s *annot.Set) { s.Images[3].Boxes[2].Class = 3 }, `image "cam02/DSC 0004.jpg" box 2 [1.0,2.0 3.0,4.0]: class 3: unknown class`},
		{"negative class", func(s *annot.Set) { s.Images[3].Boxes[2].Class = -1 }, `box 2`},
		{"score", func(s *annot.Set) { s.Images[0].Boxes[0].Score = 1.5 }, `score outside`},
		{"path", func(s *annot.Set) { s.Images[0].File = "../etc/passwd" }, `relative slash path`},
		{"duplicate", func(s *annot.Set) { s.Images[1].File = s.Images[0].File }, `appears twice`},
		{"label", func(s *annot.Set) { s.Images[4].Labels = []int{9} }, `label 9: unknown class`},
		{"blank class", func(s *annot.Set) { s.Classes[1] = " " }, `blank name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := annottest.Sample()
			tc.edit(s)
			var buf bytes.Buffer
			err := Write(context.Background(), &buf, s, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Zero(t, buf.Len(), "nothing is written for an invalid set")
		})
	}
	var pe *labelfree.ParamError
	err := Write(context.Background(), &bytes.Buffer{}, annottest.Sample(), &Options{TypicalThreshold: 0.1, ConservativeThreshold: 0.2})
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "ConservativeThreshold", pe.Field)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, Write(ctx, &bytes.Buffer{}, annottest.Sample(), nil), context.Canceled)
}

const good = `{"info":{"format_version":"1.6"},"detection_categories":{"1":"animal"},"images":[%s]}`

func TestReadRejects(t *testing.T) {
	img := func(s string) string { return strings.Replace(good, "%s", s, 1) }
	for _, tc := range []struct{ name, in, want string }{
		{"not json", `{"info":`, "not a JSON object"},
		{"array", `[]`, "not a JSON object"},
		{"no info", `{"detection_categories":{},"images":[]}`, `missing required field "info"`},
		{"no categories", `{"info":{"format_version":"1.6"},"images":[]}`, `"detection_categories"`},
		{"no images", `{"info":{"format_version":"1.6"},"detection_categories":{}}`, `"images"`},
		{"version number", `{"info":{"format_version":1.6},"detection_categories":{},"images":[]}`, "format_version: missing or not a string"},
		{"version text", `{"info":{"format_version":"x"},"detection_categories":{},"images":[]}`, "not a version number"},
		{"category id", `{"info":{"format_version":"1.6"},"detection_categories":{"a":"animal"},"images":[]}`, `id "a" is not a non-negative`},
		{"negative id", `{"info":{"format_version":"1.6"},"detection_categories":{"-1":"animal"},"images":[]}`, `id "-1"`},
		{"blank name", `{"info":{"format_version":"1.6"},"detection_categories":{"1":" "},"images":[]}`, "name is blank"},
		{"images object", `{"info":{"format_version":"1.6"},"detection_categories":{},"images":{}}`, "images: not a list"},
		{"no file", img(`{"detections":[]}`), "images[0]: has no file"},
		{"no detections", img(`{"file":"a.jpg"}`), "images[0] (a.jpg): a processed image needs a detections list"},
		{"null detections", img(`{"file":"a.jpg","detections":null}`), "needs a detections list"},
		{"failure with list", img(`{"file":"a.jpg","failure":"x","detections":[]}`), "failure and a non-null detections"},
		{"failure number", img(`{"file":"a.jpg","failure":3}`), "failure is not a string"},
		{"unknown category", img(`{"file":"a.jpg","detections":[{"category":"2","conf":0.5,"bbox":[0,0,0.1,0.1]}]}`), `images[0] (a.jpg) detections[0]: category "2" is not in detection_categories`},
		{"no conf", img(`{"file":"a.jpg","detections":[{"category":"1","bbox":[0,0,0.1,0.1]}]}`), "has no conf"},
		{"conf range", img(`{"file":"a.jpg","detections":[{"category":"1","conf":1.5,"bbox":[0,0,0.1,0.1]}]}`), "conf 1.5 is outside"},
		{"bbox len", img(`{"file":"a.jpg","detections":[{"category":"1","conf":0.5,"bbox":[0,0,0.1]}]}`), "bbox has 3 numbers"},
		{"bbox size", img(`{"file":"a.jpg","detections":[{"category":"1","conf":0.5,"bbox":[0.1,0.1,0,0.1]}]}`), "not positive"},
		{"bbox outside", img(`{"file":"a.jpg","detections":[{"category":"1","conf":0.5,"bbox":[0.5,0.1,0.6,0.1]}]}`), "lies outside the image"},
		{"bbox type", img(`{"file":"a.jpg","detections":[{"category":"1","conf":0.5,"bbox":["a",0,1,1]}]}`), "not a list of detections"},
		{"classification", `{"info":{"format_version":"1.6"},"detection_categories":{"1":"animal"},"classification_categories":{"0":"fox"},"images":[{"file":"a.jpg","detections":[{"category":"1","conf":0.5,"bbox":[0,0,1,1],"classifications":[["7",0.9]]}]}]}`, `classification category "7"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(context.Background(), strings.NewReader(tc.in), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var fe *FormatError
			assert.True(t, errors.As(err, &fe), "%T", err)
		})
	}
	_, err := Read(context.Background(), strings.NewReader(img("")), &ReadOptions{MaxBytes: 10})
	assert.ErrorContains(t, err, "larger than 10 bytes")
}

func TestReadLenient(t *testing.T) {
	// Real files: rounded boxes slightly past the edge, unknown extra
	// fields, a failure without a detections field, video frames, duplicate
	// category names.
	in := `{"info":{"format_version":"1.4","detector":"md_v5a.0.0.pt"},"detection_categories":{"1":"animal","2":"person","3":"animal"},
	"images":[{"file":"a.jpg","max_detection_conf":0.9,"detections":[{"category":"3","conf":0.9,"bbox":[0.5,0.5,0.5001,0.2]},{"category":"2","conf":0,"bbox":[0,0,1,1]}]},
	{"file":"b.jpg","failure":"Failure image access"},{"file":"c.jpg","detections":[],"failure":null}]}`
	s, err := Read(context.Background(), strings.NewReader(in), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"animal", "person"}, s.Classes)
	require.Len(t, s.Images, 3)
	assert.Equal(t, 0, s.Images[0].Boxes[0].Class)
	assert.Equal(t, 1.0, s.Images[0].Boxes[0].X1, "clipped to the image")
	assert.Equal(t, 1, s.Images[0].Boxes[1].Class)
	assert.Equal(t, "Failure image access", s.Images[1].Failure)
	assert.Empty(t, s.Images[2].Boxes)
	assert.NoError(t, annot.Validate(s))
}

func FuzzRead(f *testing.F) {
	f.Add(write(f, annottest.Sample(), nil))
	f.Add(write(f, annottest.Sample(), &Options{Classifications: true}))
	f.Add([]byte(`{"info":{"format_version":"1.6"},"detection_categories":{"1":"animal"},"images":[{"file":"a.jpg","detections":[{"category":"1","conf":0.5,"bbox":[0,0,1,1]}]}]}`))
	f.Add([]byte(`{"info":{"format_version":"1.6"},"detection_categories":{"1":"a"},"classification_categories":{"0":"b"},"images":[{"file":"a","detections":[{"category":"1","conf":0.5,"bbox":[0,0,1,1],"classifications":[["0",1]]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(context.Background(), bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		if annot.Validate(s) != nil {
			return // e.g. absolute paths, which the format allows but writers refuse
		}
		var buf bytes.Buffer
		require.NoError(t, Write(context.Background(), &buf, s, nil))
		again, err := Read(context.Background(), &buf, nil)
		require.NoError(t, err)
		require.NoError(t, annottest.Diff(s, again, 1e-12))
	})
}

var confRe = regexp.MustCompile(`"conf":\s*([^,}\]]+)`)

func TestReadMixedClassifications(t *testing.T) {
	// SpeciesNet-style: animals carry a species classification, people do
	// not; the most confident classification wins.
	in := `{"info":{"format_version":"1.6"},"detection_categories":{"1":"animal","2":"person"},
	"classification_categories":{"0":"fox","3":"wolf"},
	"images":[{"file":"a.jpg","detections":[
		{"category":"2","conf":0.8,"bbox":[0,0,0.5,0.5]},
		{"category":"1","conf":0.9,"bbox":[0.5,0.5,0.5,0.5],"classifications":[["3",0.7],["0",0.2]]}]}]}`
	s, err := Read(context.Background(), strings.NewReader(in), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"fox", "wolf", "person"}, s.Classes)
	assert.Equal(t, 2, s.Images[0].Boxes[0].Class)
	assert.Equal(t, 1, s.Images[0].Boxes[1].Class)
	assert.Equal(t, 0.9, s.Images[0].Boxes[1].Score)
}
