package export

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/labelfree/labelfree/dataset/camtrapdp"
	"github.com/labelfree/labelfree/dataset/capture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A snow-leopard camera's position, planted as EXIF GPS in every photo.
const lat, lon = 36.123456, 75.987654

var holds = map[Format]annottest.Holds{
	MegaDetector: {Size: true, Score: true, Failure: true, Unlabelled: true},
	COCO:         {Size: true, Score: true},
	CameraTraps:  {Size: true, Score: true, Labels: true, Time: true, Deployment: true, Event: true, Failure: true, Unlabelled: true},
	YOLO:         {Size: true, Split: true},
	VOC:          {Size: true, Split: true},
	CamtrapDP:    {Size: true, Score: true, Labels: true, Time: true, Deployment: true, Event: true, Failure: true, Unlabelled: true},
}

func options(src string) *Options {
	return &Options{
		ImageRoot: src,
		CamtrapDP: &camtrapdp.Options{
			Deployments: []camtrapdp.Deployment{
				{ID: "cam01", Latitude: lat, Longitude: lon},
				{ID: "cam02", Latitude: lat + 0.004, Longitude: lon - 0.003},
			},
			ScientificNames: map[string]string{"snow leopard": "Panthera uncia", "ibex": "Capra sibirica"},
			Created:         time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		},
	}
}

// prepare writes the sample's photos with planted GPS and reads their
// capture times and events back from EXIF, the way a user's run would.
func prepare(t *testing.T) (src string, s *annot.Set) {
	t.Helper()
	want := annottest.Sample()
	src = t.TempDir()
	annottest.WriteImages(t, src, want, true, lat, lon)
	// Start from a labelfree dataset with boxes but no capture facts.
	ds := annot.ToDataset(want, "")
	s, err := annot.FromDataset(ds, nil)
	require.NoError(t, err)
	for i := range s.Images {
		if s.Images[i].Failure == "" {
			s.Images[i].Time, s.Images[i].Event, s.Images[i].Deployment = time.Time{}, "", ""
		}
	}
	sum, err := capture.Times(context.Background(), s, src, nil)
	require.NoError(t, err)
	require.Equal(t, 5, sum.Read)
	_, err = capture.GroupEvents(s, nil)
	require.NoError(t, err)
	// cam02's broken photo keeps its time but forms its own event.
	want.Images[5].Event = "cam02-0002"
	annottest.Equal(t, want, s, 0)
	return src, s
}

// TestAllFormatsRoundTrip writes a set of weak boxes in every format and
// reads each back: what the format holds comes back equal.
func TestAllFormatsRoundTrip(t *testing.T) {
	src, s := prepare(t)
	out := t.TempDir()
	res, err := All(context.Background(), out, s, options(src))
	require.NoError(t, err)
	require.Len(t, res.Reports, 6)
	assert.Equal(t, 4, res.Reports[YOLO].Written)
	assert.Equal(t, 6, res.Reports[CamtrapDP].Written)
	got, err := ReadAll(context.Background(), out, annot.DirSize(src))
	require.NoError(t, err)
	require.Len(t, got, 6)
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			want := annottest.Expect(s, holds[f])
			annottest.Equal(t, want, got[f], 1e-9)
			// And on to a labelfree dataset and back.
			back, err := annot.FromDataset(annot.ToDataset(got[f], ""), nil)
			require.NoError(t, err)
			annottest.Equal(t, want, back, 1e-9)
		})
	}
}

// TestNoGPSLeak plants GPS EXIF in every input photo, exports in every
// format with the photos copied, and checks that no output byte carries the
// location.
func TestNoGPSLeak(t *testing.T) {
	src, s := prepare(t)
	out := t.TempDir()
	_, err := All(context.Background(), out, s, options(src))
	require.NoError(t, err)

	needles := gpsNeedles()
	// The needles are in every input photo, so the check can fail.
	in, err := os.ReadFile(filepath.Join(src, "cam01/IMG_0001.JPG"))
	require.NoError(t, err)
	for name, n := range needles {
		if !strings.HasPrefix(name, "decimal") && !strings.HasSuffix(name, "(BE)") { // the planted EXIF is little-endian
			assert.True(t, bytes.Contains(in, n), "input lacks %s", name)
		}
	}
	assertNoGPS(t, out)
	_, err = os.Stat(filepath.Join(out, "yolo/images/train/cam01/IMG_0001.JPG"))
	require.NoError(t, err)
}

// gpsNeedles returns byte patterns that would reveal the planted position:
// the EXIF GPS IFD's tag, the seconds rationals in both byte orders, and
// the coordinates as decimal text to four places.
func gpsNeedles() map[string][]byte {
	le := func(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }
	be := func(v uint32) []byte { b := make([]byte, 4); binary.BigEndian.PutUint32(b, v); return b }
	rat := func(f func(uint32) []byte, num uint32) []byte { return append(f(num), f(10000)...) }
	return map[string][]byte{
		"GPS IFD pointer tag":    {0x25, 0x88, 0x04, 0x00},
		"latitude seconds (LE)":  rat(le, annottest.GPSSeconds(lat)),
		"longitude seconds (LE)": rat(le, annottest.GPSSeconds(lon)),
		"latitude seconds (BE)":  rat(be, annottest.GPSSeconds(lat)),
		"longitude seconds (BE)": rat(be, annottest.GPSSeconds(lon)),
		"decimal latitude":       []byte("36.1234"),
		"decimal longitude":      []byte("75.9876"),
	}
}

// hasAPP1 reports whether a JPEG has an APP1 (EXIF or XMP) segment.
func hasAPP1(b []byte) bool {
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return false
		}
		m := b[i+1]
		if m == 0xE1 {
			return true
		}
		if m == 0xDA { // start of scan: no more metadata segments
			return false
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		i += 2 + n
	}
	return false
}

func TestAllRejects(t *testing.T) {
	s := annottest.Sample()
	s.Images[0].Boxes[0].X1 = 1000
	_, err := All(context.Background(), t.TempDir(), s, nil)
	assert.ErrorContains(t, err, `image "cam01/IMG_0001.JPG" box 0`)
	_, err = All(context.Background(), t.TempDir(), annottest.Sample(), &Options{Formats: []Format{CamtrapDP}})
	assert.ErrorContains(t, err, "camtrap-dp")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = All(ctx, t.TempDir(), annottest.Sample(), nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestReadAllCancelled(t *testing.T) {
	src, s := prepare(t)
	out := t.TempDir()
	_, err := All(context.Background(), out, s, options(src))
	require.NoError(t, err)
	for _, f := range Formats {
		keep := filepath.Join(t.TempDir(), "one")
		require.NoError(t, os.MkdirAll(keep, 0o755))
		require.NoError(t, os.Rename(filepath.Join(out, string(f)), filepath.Join(keep, string(f))))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := ReadAll(ctx, keep, annot.DirSize(src))
		assert.ErrorIs(t, err, context.Canceled, "%s reader stops when cancelled", f)
	}
}

func TestStage(t *testing.T) {
	src, s := prepare(t)
	ds := annot.ToDataset(s, src)
	st := &Stage{Dir: t.TempDir(), Root: src, Options: *options("")}
	require.NoError(t, labelfree.ValidateStage(st))
	out, err := st.TransformDataset(context.Background(), ds)
	require.NoError(t, err)
	assert.Same(t, ds, out)
	require.Len(t, st.Result.Reports, 6)
	got, err := ReadAll(context.Background(), st.Dir, annot.DirSize(src))
	require.NoError(t, err)
	annottest.Equal(t, annottest.Expect(s, holds[CamtrapDP]), got[CamtrapDP], 1e-9)
	_, err = os.Stat(filepath.Join(st.Dir, "voc/JPEGImages/cam01/IMG_0001.JPG"))
	require.NoError(t, err, "photos copied from Root")
	assert.Error(t, labelfree.ValidateStage(&Stage{}))
}

// assertNoGPS fails t when any file under out carries the planted position
// or a JPEG keeps an APP1 (EXIF/XMP) segment.
func assertNoGPS(t *testing.T, out string) {
	t.Helper()
	needles := gpsNeedles()
	files := 0
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		files++
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		rel, _ := filepath.Rel(out, p)
		for name, n := range needles {
			assert.False(t, bytes.Contains(b, n), "%s carries the %s", rel, name)
		}
		if strings.EqualFold(filepath.Ext(p), ".jpg") {
			assert.False(t, hasAPP1(b), "%s keeps an EXIF/XMP segment", rel)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, files, 20, "photos were copied into the exports")
}
