package dataset

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"github.com/labelfree/labelfree/internal/testpy"
	"image"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/search"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gpsTag is a distinctive GPS payload planted in test images.
const gpsTag = "GPSLatitude=43.1234567N;GPSLongitude=86.7654321E"

// withGPS plants an Exif APP1 segment carrying gpsTag in a JPEG.
func withGPS(jpg []byte) []byte {
	exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + gpsTag)
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(exif)+2))
	out := append([]byte{0xFF, 0xD8}, seg...)
	out = append(out, exif...)
	return append(out, jpg[2:]...)
}

func storeFixture(t *testing.T) *labelfree.Dataset {
	ds := &labelfree.Dataset{Classes: []string{"other", "snow leopard"}}
	add := func(id string, label int, b []byte, split string) *labelfree.Row {
		r := labelfree.NewRow(id)
		labelfree.Set(r, labelfree.Label, label)
		if b != nil {
			labelfree.Set(r, labelfree.ImageBytes, b)
			f, err := Sniff(b)
			require.NoError(t, err)
			labelfree.Set(r, Format, f)
		}
		labelfree.Set(r, Split, split)
		labelfree.Set(r, Source, search.Result{Provider: "synth", ID: id, Query: "snow leopard", Rank: len(ds.Rows), ImageURL: "http://img.example/" + id + ".jpg", PageURL: "http://img.example/p/" + id, License: "CC0-1.0", Attribution: "A. Photographer"})
		ds.Rows = append(ds.Rows, r)
		return r
	}
	r := add("pos-1", 1, withGPS(testJPEG(t, 40, 30, 1)), SplitTrain)
	labelfree.Set(r, labelfree.TrueBoxes, []labelfree.Box{{X0: 1, Y0: 2, X1: 30, Y1: 20, Score: 1, Class: 1}, {X0: 5, Y0: 5, X1: 9, Y1: 9, Score: 1, Class: 1}})
	labelfree.Set(r, AlsoFound, []search.Result{{Provider: "synth", Query: "snow leopard cub", Rank: 4, ImageURL: "http://img.example/pos-1.jpg?x=1"}})
	add("neg-1", 0, testPNG(t, 16, 16, 2), SplitTest)
	aug := add("aug/../../evil", 1, nil, SplitTrain) // hostile ID, augmented image only
	labelfree.Set(aug, labelfree.Image, image.Image(gradient(20, 10, 3)))
	labelfree.Set(aug, Augmentation, "flip")
	dup := add("dup-1", 1, testJPEG(t, 8, 8, 0), SplitTrain)
	labelfree.Set(dup, DuplicateOf, "pos-1")
	dup.Fail(DedupeStage, &DuplicateError{Of: "pos-1", Exact: true})
	bad := add("bad-1", 0, nil, "")
	bad.Fail(DownloaderStage, &HTTPError{StatusCode: 404, Status: "404 Not Found"})
	return ds
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ds := storeFixture(t)
	require.NoError(t, Write(context.Background(), dir, ds, nil))

	// No file written carries the planted GPS data.
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		files = append(files, p)
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.False(t, bytes.Contains(b, []byte("GPSLatitude")), "%s carries GPS data", p)
		assert.False(t, bytes.Contains(b, []byte("Exif\x00\x00")), "%s carries EXIF", p)
		return nil
	}))
	assert.Len(t, files, 4, "three images and the manifest; failed rows have no file")
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		assert.True(t, filepath.IsLocal(rel), "%s inside the dataset", f)
	}

	got, err := Read(context.Background(), dir, &ReadOptions{LoadImages: true})
	require.NoError(t, err)
	assert.Equal(t, ds.Classes, got.Classes)
	require.Len(t, got.Rows, len(ds.Rows))
	for i, want := range ds.Rows {
		r := got.Rows[i]
		assert.Equal(t, want.ID, r.ID)
		for _, c := range []labelfree.Column[string]{Split, DuplicateOf, Augmentation} {
			a, _ := labelfree.Get(want, c)
			b, _ := labelfree.Get(r, c)
			assert.Equal(t, a, b, "%s %s", r.ID, c.Name())
		}
		wl, _ := labelfree.Get(want, labelfree.Label)
		gl, _ := labelfree.Get(r, labelfree.Label)
		assert.Equal(t, wl, gl)
		ws, _ := labelfree.Get(want, Source)
		gs, _ := labelfree.Get(r, Source)
		assert.Equal(t, ws.ImageURL, gs.ImageURL)
		assert.Equal(t, ws.License, gs.License)
		assert.Equal(t, ws.Attribution, gs.Attribution)
		assert.Equal(t, ws.Rank, gs.Rank)
		wb, _ := labelfree.Get(want, labelfree.TrueBoxes)
		gb, _ := labelfree.Get(r, labelfree.TrueBoxes)
		assert.Equal(t, wb, gb)
		wa, _ := labelfree.Get(want, AlsoFound)
		ga, _ := labelfree.Get(r, AlsoFound)
		assert.Equal(t, len(wa), len(ga))
		if want.Err != nil {
			require.NotNil(t, r.Err, r.ID)
			assert.Equal(t, want.Err.Stage, r.Err.Stage)
			assert.Equal(t, want.Err.Err.Error(), r.Err.Err.Error())
			continue
		}
		require.Nil(t, r.Err, r.ID)
		b, ok := labelfree.Get(r, labelfree.ImageBytes)
		require.True(t, ok)
		img, _, err := Decode(b, 0)
		require.NoError(t, err)
		if wi, ok := labelfree.Get(want, labelfree.Image); ok {
			assert.Equal(t, wi.Bounds(), img.Bounds())
		}
		p, _ := labelfree.Get(r, labelfree.ImagePath)
		assert.True(t, filepath.IsAbs(p))
	}
	// Pixels survive the metadata stripping unchanged.
	orig, _ := labelfree.Get(ds.Rows[0], labelfree.ImageBytes)
	stored, _ := labelfree.Get(got.Rows[0], labelfree.ImageBytes)
	oi, _, err := Decode(orig, 0)
	require.NoError(t, err)
	si, _, err := Decode(stored, 0)
	require.NoError(t, err)
	assert.Equal(t, oi, si)

	// Duplicates survive the round trip.
	assert.Equal(t, []DuplicateRecord{{ID: "dup-1", Of: "pos-1", Reason: "duplicate image: identical bytes to row pos-1", Source: "http://img.example/dup-1.jpg"}}, Duplicates(got))

	// Opting in keeps the metadata.
	keep := t.TempDir()
	require.NoError(t, Write(context.Background(), keep, ds, &WriteOptions{KeepMetadata: true}))
	kept, err := Read(context.Background(), keep, &ReadOptions{LoadImages: true})
	require.NoError(t, err)
	b, _ := labelfree.Get(kept.Rows[0], labelfree.ImageBytes)
	assert.Contains(t, string(b), "GPSLatitude")
}

func TestReadDetectsTampering(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Write(context.Background(), dir, storeFixture(t), nil))
	got, err := Read(context.Background(), dir, nil)
	require.NoError(t, err)
	p, _ := labelfree.Get(got.Rows[0], labelfree.ImagePath)
	require.NoError(t, os.WriteFile(p, []byte("changed"), 0o644))
	p1, _ := labelfree.Get(got.Rows[1], labelfree.ImagePath)
	require.NoError(t, os.Remove(p1))
	got, err = Read(context.Background(), dir, &ReadOptions{LoadImages: true})
	require.NoError(t, err)
	require.NotNil(t, got.Rows[0].Err)
	assert.Contains(t, got.Rows[0].Err.Error(), "SHA-256")
	require.NotNil(t, got.Rows[1].Err)
	assert.Equal(t, ReadStage, got.Rows[1].Err.Stage)
}

func TestReadRejectsHostileManifest(t *testing.T) {
	for _, path := range []string{"../outside.jpg", "/etc/passwd", "images/../../x.jpg"} {
		dir := t.TempDir()
		rows := []ManifestRow{{ID: "x", Path: path, Label: 0}}
		require.NoError(t, parquet.WriteFile(filepath.Join(dir, ManifestFile), rows))
		_, err := Read(context.Background(), dir, nil)
		require.ErrorContains(t, err, "leaves the dataset directory", path)
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), []byte("PAR1 not parquet PAR1"), 0o644))
	_, err := Read(context.Background(), dir, nil)
	require.Error(t, err)
	_, err = Read(context.Background(), t.TempDir(), nil)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestManifestReadableByPyArrow reads the manifest with pyarrow (and pandas
// when present), as data scientists will. It is skipped where Python lacks
// pyarrow (Debian bookworm does not package it).
func TestManifestReadableByPyArrow(t *testing.T) {
	py := testpy.Find(t, "pyarrow.parquet")
	dir := t.TempDir()
	ds := storeFixture(t)
	require.NoError(t, Write(context.Background(), dir, ds, nil))
	script := `
import json, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
meta = t.schema.metadata or {}
rows = t.to_pylist()
print(json.dumps({
  "classes": json.loads(meta.get(b"labelfree.classes", b"[]")),
  "ids": [r["id"] for r in rows],
  "labels": [r["label"] for r in rows],
  "splits": [r["split"] for r in rows],
  "boxes": [len(r["true_boxes"] or []) for r in rows],
  "x1": rows[0]["true_boxes"][0]["x1"],
  "errors": [r["error_stage"] for r in rows],
}))
`
	out, err := exec.Command(py, "-c", script, filepath.Join(dir, ManifestFile)).CombinedOutput()
	require.NoError(t, err, string(out))
	var got struct {
		Classes []string
		IDs     []string
		Labels  []int
		Splits  []string
		Boxes   []int
		X1      float64
		Errors  []string
	}
	require.NoError(t, json.Unmarshal(out, &got), string(out))
	assert.Equal(t, ds.Classes, got.Classes)
	assert.Equal(t, []string{"pos-1", "neg-1", "aug/../../evil", "dup-1", "bad-1"}, got.IDs)
	assert.Equal(t, []int{1, 0, 1, 1, 0}, got.Labels)
	assert.Equal(t, []int{2, 0, 0, 0, 0}, got.Boxes)
	assert.Equal(t, 30.0, got.X1)
	assert.Equal(t, []string{"", "", "", DedupeStage, DownloaderStage}, got.Errors)
	if exec.Command(py, "-c", "import pandas").Run() == nil {
		out, err := exec.Command(py, "-c", "import pandas, sys; df = pandas.read_parquet(sys.argv[1]); print(len(df), sorted(df.columns)[:3])", filepath.Join(dir, ManifestFile)).CombinedOutput()
		require.NoError(t, err, string(out))
		assert.True(t, strings.HasPrefix(string(out), "5 "), string(out))
	}
}

// TestManifestReadableByHyparquet reads the manifest with hyparquet, an
// independent Parquet implementation in JavaScript. It runs where node is
// installed and HYPARQUET names an unpacked hyparquet package
// (npm install hyparquet; HYPARQUET=$PWD/node_modules/hyparquet).
func TestManifestReadableByHyparquet(t *testing.T) {
	dir := os.Getenv("HYPARQUET")
	node, err := exec.LookPath("node")
	if dir == "" || err != nil {
		t.Skip("set HYPARQUET to a hyparquet package directory and install node")
	}
	out := t.TempDir()
	ds := storeFixture(t)
	require.NoError(t, Write(context.Background(), out, ds, nil))
	cmd := exec.Command(node, filepath.Join("testdata", "read_manifest.mjs"), filepath.Join(out, ManifestFile))
	cmd.Env = append(os.Environ(), "HYPARQUET="+dir)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	var got struct {
		Classes []string
		Rows    []struct {
			ID        string        `json:"id"`
			Path      string        `json:"path"`
			Label     int           `json:"label"`
			Split     string        `json:"split"`
			TrueBoxes []ManifestBox `json:"true_boxes"`
			AlsoFound []struct {
				Query string `json:"query"`
			} `json:"also_found"`
			ErrorStage string `json:"error_stage"`
		}
	}
	require.NoError(t, json.Unmarshal(b, &got), string(b))
	assert.Equal(t, ds.Classes, got.Classes)
	require.Len(t, got.Rows, len(ds.Rows))
	for i, r := range ds.Rows {
		g := got.Rows[i]
		assert.Equal(t, r.ID, g.ID)
		l, _ := labelfree.Get(r, labelfree.Label)
		assert.Equal(t, l, g.Label)
		s, _ := labelfree.Get(r, Split)
		assert.Equal(t, s, g.Split)
		boxes, _ := labelfree.Get(r, labelfree.TrueBoxes)
		require.Len(t, g.TrueBoxes, len(boxes))
		for j, b := range boxes {
			assert.Equal(t, ManifestBox{X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1, Score: b.Score, Class: int64(b.Class)}, g.TrueBoxes[j])
		}
		if r.Err != nil {
			assert.Equal(t, r.Err.Stage, g.ErrorStage)
			assert.Empty(t, g.Path)
		} else {
			assert.FileExists(t, filepath.Join(out, filepath.FromSlash(g.Path)))
		}
	}
	assert.Equal(t, "snow leopard cub", got.Rows[0].AlsoFound[0].Query)
}

// FuzzRead feeds hostile manifests to Read: errors, never panics.
func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	var ds labelfree.Dataset
	r := labelfree.NewRow("a")
	labelfree.Set(r, labelfree.Label, 0)
	labelfree.Set(r, labelfree.TrueBoxes, []labelfree.Box{{X1: 1, Y1: 1}})
	ds.Rows = append(ds.Rows, r)
	ds.Classes = []string{"x"}
	require.NoError(f, Write(context.Background(), dir, &ds, nil))
	good, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644))
		Read(context.Background(), dir, nil) //nolint:errcheck // only panics matter
	})
}

// TestReadCorruptManifests flips bytes of a valid manifest: Read must
// return an error or a dataset, never panic or exhaust memory (parquet-go
// panics on some corrupt pages and its LZ4 decoder grows without bound;
// checkManifest and Read's recover handle both).
func TestReadCorruptManifests(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, Write(context.Background(), src, storeFixture(t), nil))
	good, err := os.ReadFile(filepath.Join(src, ManifestFile))
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 600
	if testing.Short() {
		n = 150
	}
	dir := t.TempDir()
	path := filepath.Join(dir, ManifestFile)
	errs := 0
	for range n {
		b := bytes.Clone(good)
		for range 1 + rng.IntN(6) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		require.NoError(t, os.WriteFile(path, b, 0o644))
		if _, err := Read(context.Background(), dir, nil); err != nil {
			errs++
		}
	}
	assert.Positive(t, errs)
	// A manifest using a codec other than Snappy or none is refused.
	rows := []ManifestRow{{ID: "x", Label: 0}}
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, parquet.Write(f, rows, parquet.Compression(&parquet.Lz4Raw)))
	require.NoError(t, f.Close())
	_, err = Read(context.Background(), dir, nil)
	require.ErrorContains(t, err, "codec")
}

func TestCheckThrift(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"empty struct", []byte{0}, true},
		{"i32 field", []byte{0x15, 0x04, 0}, true},
		{"bool field", []byte{0x11, 0}, true},
		{"string", []byte{0x18, 3, 'a', 'b', 'c', 0}, true},
		{"list of 2 i32", []byte{0x19, 0x25, 2, 4, 0}, true},
		{"huge list", []byte{0x19, 0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0}, false},
		{"huge string", []byte{0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0}, false},
		{"huge map", []byte{0x1B, 0xFF, 0xFF, 0xFF, 0x07, 0x55, 0}, false},
		{"truncated", []byte{0x15}, false},
		{"no stop", []byte{0x15, 0x04}, false},
		{"unknown type", []byte{0x1D, 0}, false},
		{"deep nesting", bytes.Repeat([]byte{0x1C}, 100), false},
	}
	for _, tt := range tests {
		_, err := checkThriftStruct(tt.b)
		if tt.ok {
			assert.NoError(t, err, tt.name)
		} else {
			assert.ErrorIs(t, err, errThrift, tt.name)
		}
	}
}

func TestReadRefusesHugeFooterList(t *testing.T) {
	// File metadata whose schema list declares 2^31-1 elements: decoded
	// naively, that is a 300 GB allocation.
	footer := []byte{0x15, 0x02, 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0}
	file := append([]byte("PAR1"), footer...)
	file = binary.LittleEndian.AppendUint32(file, uint32(len(footer)))
	file = append(file, "PAR1"...)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), file, 0o644))
	_, err := Read(context.Background(), dir, nil)
	require.ErrorIs(t, err, errThrift)
}
