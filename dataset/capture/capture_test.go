package capture

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2024, 2, 11, 5, 3, 7, 0, time.UTC)

func TestReadTime(t *testing.T) {
	j := annottest.EXIFJPEG(32, 24, annottest.Plant{Time: t0, GPS: true, Lat: 36.123456, Lon: 75.987654})
	got, err := ReadTimeBytes(j, nil)
	require.NoError(t, err)
	assert.True(t, got.Equal(t0), "%v", got)

	kathmandu := time.FixedZone("NPT", 5*3600+45*60)
	got, err = ReadTimeBytes(j, kathmandu)
	require.NoError(t, err)
	assert.Equal(t, "2024-02-11T05:03:07+05:45", got.Format(time.RFC3339), "wall clock read in the given zone")

	// OffsetTimeOriginal wins over the given zone.
	got, err = ReadTimeBytes(annottest.EXIFJPEG(8, 8, annottest.Plant{Time: t0, Offset: "+05:45"}), time.UTC)
	require.NoError(t, err)
	assert.Equal(t, "2024-02-11T05:03:07+05:45", got.Format(time.RFC3339))

	_, err = ReadTimeBytes(annottest.EXIFJPEG(8, 8, annottest.Plant{GPS: true, Lat: 1, Lon: 2}), nil)
	assert.ErrorIs(t, err, ErrNoTime, "EXIF without DateTimeOriginal")
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))))
	_, err = ReadTimeBytes(buf.Bytes(), nil)
	assert.ErrorIs(t, err, ErrNoTime, "no EXIF at all")
	_, err = ReadTimeBytes(nil, nil)
	assert.Error(t, err)
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		v, off string
		want   string
		err    bool
	}{
		{"2024:02:11 05:03:07", "", "2024-02-11T05:03:07Z", false},
		{"2024:02:11 05:03:07", "+05:45", "2024-02-11T05:03:07+05:45", false},
		{"2024:02:11 05:03:07", "-03:00", "2024-02-11T05:03:07-03:00", false},
		{"2024-02-11 05:03:07", "", "2024-02-11T05:03:07Z", false},
		{"2024:02:11 05:03:07\x00", "", "", true},
		{"0000:00:00 00:00:00", "", "", true},
		{"    :  :     :  :  ", "", "", true},
		{"yesterday", "", "", true},
		{"2024:13:11 05:03:07", "", "", true},
	} {
		got, err := ParseTime(tc.v, tc.off, nil)
		if tc.err {
			assert.ErrorIs(t, err, ErrNoTime, tc.v)
			continue
		}
		require.NoError(t, err, tc.v)
		assert.Equal(t, tc.want, got.Format(time.RFC3339), tc.v)
	}
}

func TestOffsets(t *testing.T) {
	c := &Config{Offsets: map[string]time.Duration{"": time.Minute, "cam01": time.Hour, "cam01/card2": -24 * time.Hour}}
	assert.Equal(t, time.Hour, c.Offset("cam01/a.jpg"))
	assert.Equal(t, -24*time.Hour, c.Offset("cam01/card2/a.jpg"))
	assert.Equal(t, time.Minute, c.Offset("cam01x/a.jpg"), "a folder matches whole path elements only")
	assert.Equal(t, time.Minute, c.Offset("a.jpg"))
	assert.Zero(t, (&Config{}).Offset("a.jpg"))
	var pe *labelfree.ParamError
	require.True(t, errors.As((&Config{Offsets: map[string]time.Duration{"/abs": 0}}).Validate(), &pe))
	assert.Equal(t, "Offsets", pe.Field)
	require.True(t, errors.As((&Config{Gap: -1}).Validate(), &pe))
	assert.Equal(t, "Gap", pe.Field)
}

func TestGroupEvents(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	s := &annot.Set{Images: []annot.Image{
		{File: "cam01/c.jpg", Time: at(5 * time.Minute)},                    // exactly one gap after b: same event
		{File: "cam01/a.jpg", Time: at(0)},                                  // first
		{File: "cam01/b.jpg", Time: at(0)},                                  // same instant as a
		{File: "cam01/d.jpg", Time: at(10*time.Minute + 1)},                 // just over the gap: new event
		{File: "cam02/a.jpg", Time: at(time.Minute)},                        // other deployment
		{File: "cam01/x.jpg"},                                               // no time: no event
		{File: "cam01/e.jpg", Time: at(2 * time.Hour), Deployment: "ridge"}, // explicit deployment
		{File: "top.jpg", Time: at(0)},                                      // no folder
	}}
	n, err := GroupEvents(s, nil)
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	var got []string
	for _, im := range s.Images {
		got = append(got, im.Deployment+" "+im.Event)
	}
	assert.Equal(t, []string{"cam01 cam01-0001", "cam01 cam01-0001", "cam01 cam01-0001", "cam01 cam01-0002",
		"cam02 cam02-0001", "cam01 ", "ridge ridge-0001", " event-0001"}, got)

	// A 30-minute gap merges cam01's two events.
	for i := range s.Images {
		s.Images[i].Event = ""
	}
	n, err = GroupEvents(s, &Config{Gap: 30 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.Equal(t, "cam01-0001", s.Images[3].Event)
}

func TestTimes(t *testing.T) {
	s := annottest.Sample()
	dir := t.TempDir()
	annottest.WriteImages(t, dir, s, true, 36.1, 75.9)
	want := annottest.Sample()
	for i := range s.Images {
		if s.Images[i].Failure == "" {
			s.Images[i].Time = time.Time{}
		}
	}
	// Camera 2's clock ran an hour fast.
	sum, err := Times(context.Background(), s, dir, &Config{Offsets: map[string]time.Duration{"cam02": -time.Hour}})
	require.NoError(t, err)
	assert.Equal(t, 5, sum.Read)
	for i, im := range s.Images {
		w := want.Images[i].Time
		if im.Failure == "" && im.Deployment == "cam02" {
			w = w.Add(-time.Hour)
		}
		assert.True(t, im.Time.Equal(w), "%s: %v, want %v", im.File, im.Time, w)
	}
	// A missing file is reported, not fatal.
	s2 := &annot.Set{Images: []annot.Image{{File: "nope.jpg"}, {File: "cam01/IMG_0001.JPG"}}}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plain.png"), []byte("\x89PNG"), 0o644))
	s2.Images = append(s2.Images, annot.Image{File: "plain.png"})
	sum, err = Times(context.Background(), s2, dir, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, sum.Read)
	require.Len(t, sum.Failed, 1)
	assert.Equal(t, "nope.jpg", sum.Failed[0].File)
	assert.Equal(t, []string{"plain.png"}, sum.NoTime)
}

func TestStages(t *testing.T) {
	dir := t.TempDir()
	s := annottest.Sample()
	annottest.WriteImages(t, dir, s, false, 0, 0)
	var rows []*labelfree.Row
	for _, im := range s.Images[:5] {
		r := labelfree.NewRow(im.File)
		labelfree.Set(r, labelfree.ImagePath, filepath.Join(dir, filepath.FromSlash(im.File)))
		rows = append(rows, r)
	}
	// ImageBytes wins over the path.
	labelfree.Set(rows[4], labelfree.ImageBytes, annottest.EXIFJPEG(4, 4, annottest.Plant{Time: t0.Add(time.Hour)}))
	ds := labelfree.NewDataset(rows...)
	st := &TimeStage{Root: dir, Config: Config{Offsets: map[string]time.Duration{"cam01": time.Second}}}
	require.NoError(t, labelfree.ValidateStage(st))
	for _, r := range ds.Rows {
		require.NoError(t, st.Transform(context.Background(), r))
	}
	tm, ok := labelfree.Get(ds.Rows[0], annot.CaptureTime)
	require.True(t, ok)
	assert.True(t, tm.Equal(t0.Add(time.Second)))
	tm, _ = labelfree.Get(ds.Rows[4], annot.CaptureTime)
	assert.True(t, tm.Equal(t0.Add(time.Hour)))

	ev := &EventStage{Root: dir}
	out, err := ev.TransformDataset(context.Background(), ds)
	require.NoError(t, err)
	var events []string
	for _, r := range out.Rows {
		e, _ := labelfree.Get(r, annot.Event)
		events = append(events, e)
	}
	assert.Equal(t, []string{"cam01-0001", "cam01-0001", "cam01-0002", "cam02-0002", "cam02-0001"}, events, "row 4 (ImageBytes, t0+1h) is cam02's first")
	d, _ := labelfree.Get(out.Rows[3], annot.Deployment)
	assert.Equal(t, "cam02", d)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, st.Transform(ctx, ds.Rows[0]), context.Canceled)
	_, err = ev.TransformDataset(ctx, ds)
	assert.ErrorIs(t, err, context.Canceled)
}

func FuzzReadTime(f *testing.F) {
	f.Add(annottest.EXIFJPEG(4, 4, annottest.Plant{Time: t0, GPS: true, Lat: 1, Lon: 2}))
	f.Add(annottest.EXIFJPEG(4, 4, annottest.Plant{}))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadTimeBytes(data, nil)
		if err == nil && got.IsZero() {
			t.Fatal("no error and no time")
		}
	})
}
