package camtrapdp

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"github.com/labelfree/labelfree/internal/testpy"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var holds = annottest.Holds{Size: true, Score: true, Labels: true, Time: true, Deployment: true, Event: true, Failure: true, Unlabelled: true}

var created = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func sampleOptions() *Options {
	return &Options{
		Deployments: []Deployment{
			{ID: "cam01", Latitude: 36.123456, Longitude: 75.987654, CoordinateUncertainty: 10, CameraModel: "Reconyx HF2X"},
			{ID: "cam02", Latitude: -36.5, Longitude: -75.25},
		},
		ScientificNames: map[string]string{"snow leopard": "Panthera uncia", "ibex": "Capra sibirica"},
		Created:         created,
		Classified:      created,
	}
}

func writeSample(t *testing.T, opts *Options) (string, *annot.Set) {
	t.Helper()
	s := annottest.Sample()
	dir := t.TempDir()
	require.NoError(t, WriteDir(context.Background(), dir, s, opts))
	return dir, s
}

func TestRoundTrip(t *testing.T) {
	dir, s := writeSample(t, sampleOptions())
	p, err := ReadFS(context.Background(), os.DirFS(dir), nil)
	require.NoError(t, err)
	annottest.Equal(t, annottest.Expect(s, holds), p.Set, 1e-9)
	assert.Equal(t, 0.01, p.CoordinatePrecision)
	require.Len(t, p.Deployments, 2)
	d := p.Deployments[0]
	assert.Equal(t, 36.12, d.Latitude)
	assert.Equal(t, 75.99, d.Longitude)
	assert.Equal(t, 10+788, d.CoordinateUncertainty, "uncertainty grows by the rounding (half-cell diagonal)")
	assert.True(t, d.Start.Equal(s.Images[0].Time))
	assert.True(t, d.End.Equal(s.Images[2].Time))

	// Through a labelfree dataset and back.
	ds := annot.ToDataset(p.Set, "")
	back, err := annot.FromDataset(ds, nil)
	require.NoError(t, err)
	annottest.Equal(t, p.Set, back, 0)

	// Without exifData sizes, a SizeFunc restores pixels.
	p2, err := ReadFS(context.Background(), stripExif(t, dir), &ReadOptions{Size: annot.MapSize(s.Sizes())})
	require.NoError(t, err)
	annottest.Equal(t, annottest.Expect(s, holds), p2.Set, 1e-9)
}

func stripExif(t *testing.T, dir string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, n := range []string{"datapackage.json", "deployments.csv", "observations.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		require.NoError(t, err)
		fsys[n] = &fstest.MapFile{Data: b}
	}
	rows := readRows(t, filepath.Join(dir, "media.csv"))
	i := slices.Index(rows[0], "exifData")
	for _, r := range rows[1:] {
		r[i] = ""
	}
	var buf bytes.Buffer
	require.NoError(t, csv.NewWriter(&buf).WriteAll(rows))
	fsys["media.csv"] = &fstest.MapFile{Data: buf.Bytes()}
	return fsys
}

func readRows(t *testing.T, p string) [][]string {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

type schemaField struct {
	Name        string
	Type        string
	Format      string
	Constraints struct {
		Required bool
		Unique   bool
		Minimum  *float64
		Maximum  *float64
		Enum     []string
		Pattern  string
	}
}

type tableSchema struct {
	Fields        []schemaField
	MissingValues []string
	PrimaryKey    string
	ForeignKeys   []struct {
		Fields    string
		Reference struct{ Resource, Fields string }
	}
}

func loadSchema(t *testing.T, name string) tableSchema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/camtrap-dp-1.0.2", name+"-table-schema.json"))
	require.NoError(t, err)
	var s tableSchema
	require.NoError(t, json.Unmarshal(b, &s))
	require.NotEmpty(t, s.Fields)
	return s
}

// TestSchemas checks every column of every table against the published
// 1.0.2 table schemas: header equal to the schema's fields in order, every
// required column filled, every value of the schema's type and within its
// constraints, unique keys unique and foreign keys resolved.
func TestSchemas(t *testing.T) {
	dir, _ := writeSample(t, sampleOptions())
	vals := map[string]map[string][]string{}
	for _, name := range []string{"deployments", "media", "observations"} {
		sc := loadSchema(t, name)
		var want []string
		for _, f := range sc.Fields {
			want = append(want, f.Name)
		}
		// The package's own column lists match the schema.
		assert.Equal(t, want, map[string][]string{"deployments": DeploymentColumns, "media": MediaColumns, "observations": ObservationColumns}[name])
		rows := readRows(t, filepath.Join(dir, name+".csv"))
		require.Equal(t, want, rows[0], "%s header", name)
		require.Greater(t, len(rows), 1)
		vals[name] = map[string][]string{}
		for n, r := range rows[1:] {
			for i, f := range sc.Fields {
				v := r[i]
				where := name + " row " + strconv.Itoa(n+1) + " " + f.Name + " " + strconv.Quote(v)
				if slices.Contains(sc.MissingValues, v) {
					assert.False(t, f.Constraints.Required, "%s: required value missing", where)
					continue
				}
				vals[name][f.Name] = append(vals[name][f.Name], v)
				var x float64
				var err error
				switch f.Type {
				case "string", "any":
				case "number":
					x, err = strconv.ParseFloat(v, 64)
				case "integer":
					var n int64
					n, err = strconv.ParseInt(v, 10, 64)
					x = float64(n)
				case "boolean":
					if v != "true" && v != "false" {
						err = errors.New("not a boolean")
					}
				case "datetime":
					require.Equal(t, "%Y-%m-%dT%H:%M:%S%z", f.Format)
					_, err = time.Parse("2006-01-02T15:04:05Z07:00", v)
				default:
					t.Fatalf("schema type %q not covered", f.Type)
				}
				require.NoError(t, err, where)
				if c := f.Constraints; c.Minimum != nil {
					assert.GreaterOrEqual(t, x, *c.Minimum, where)
				}
				if c := f.Constraints; c.Maximum != nil {
					assert.LessOrEqual(t, x, *c.Maximum, where)
				}
				if len(f.Constraints.Enum) > 0 {
					assert.Contains(t, f.Constraints.Enum, v, where)
				}
				if f.Constraints.Pattern != "" {
					switch f.Name {
					case "filePath": // ^(?=^[^./~])(^((?!\.{2}).)*$).*$ (lookaheads Go's regexp lacks)
						assert.False(t, strings.HasPrefix(v, ".") || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "~") || strings.Contains(v, ".."), where)
					case "fileMediatype":
						assert.Regexp(t, f.Constraints.Pattern, v, where)
					default:
						t.Fatalf("pattern of %s not covered", f.Name)
					}
				}
				if f.Type == "any" {
					var m map[string]any
					require.NoError(t, json.Unmarshal([]byte(v), &m), where)
				}
			}
		}
		for _, f := range sc.Fields {
			if f.Constraints.Unique {
				col := vals[name][f.Name]
				assert.Equal(t, len(col), len(uniq(col)), "%s.%s unique", name, f.Name)
			}
		}
		for _, fk := range sc.ForeignKeys {
			for _, v := range vals[name][fk.Fields] {
				assert.Contains(t, vals[fk.Reference.Resource][fk.Reference.Fields], v, "%s.%s foreign key", name, fk.Fields)
			}
		}
	}
	// Observations: every box row is a machine classification by labelfree
	// with a probability; every media row has a media id; the counts.
	rows := readRows(t, filepath.Join(dir, "observations.csv"))
	col := func(r []string, name string) string { return r[slices.Index(rows[0], name)] }
	types := map[string]int{}
	for _, r := range rows[1:] {
		types[col(r, "observationLevel")+"/"+col(r, "observationType")]++
		if col(r, "bboxX") != "" {
			assert.Equal(t, "machine", col(r, "classificationMethod"))
			assert.Equal(t, "labelfree", col(r, "classifiedBy"))
			assert.NotEmpty(t, col(r, "classificationProbability"))
			assert.Equal(t, "2026-11-25T12:00:00Z", col(r, "classificationTimestamp"))
		}
	}
	assert.Equal(t, map[string]int{"media/animal": 9, "media/human": 1, "media/blank": 1, "media/unclassified": 1,
		"event/animal": 4, "event/human": 1, "event/blank": 1}, types)
	// Event-level rows span the event.
	for _, r := range rows[1:] {
		if col(r, "eventID") == "cam01-0001" && col(r, "observationLevel") == "event" {
			assert.Equal(t, "2024-02-11T05:03:07Z", col(r, "eventStart"))
			assert.Equal(t, "2024-02-11T05:03:11Z", col(r, "eventEnd"))
		}
	}
}

func uniq(v []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range v {
		m[x] = true
	}
	return m
}

func TestDatapackage(t *testing.T) {
	dir, _ := writeSample(t, sampleOptions())
	b, err := os.ReadFile(filepath.Join(dir, "datapackage.json"))
	require.NoError(t, err)
	var pkg map[string]any
	require.NoError(t, json.Unmarshal(b, &pkg))
	// Every property the 1.0.2 profile requires, and the project's.
	pb, err := os.ReadFile("testdata/camtrap-dp-1.0.2/camtrap-dp-profile.json")
	require.NoError(t, err)
	var profile struct {
		AllOf []struct {
			Required   []string
			Properties map[string]struct{ Required []string }
		} `json:"allOf"`
	}
	require.NoError(t, json.Unmarshal(pb, &profile))
	req := profile.AllOf[1].Required
	require.Contains(t, req, "taxonomic")
	for _, k := range req {
		assert.Contains(t, pkg, k)
	}
	for _, k := range profile.AllOf[1].Properties["project"].Required {
		assert.Contains(t, pkg["project"], k)
	}
	assert.Equal(t, ProfileURL, pkg["profile"])
	assert.Equal(t, "2026-11-25T12:00:00Z", pkg["created"])
	assert.Equal(t, 0.01, pkg["coordinatePrecision"])
	assert.Equal(t, map[string]any{"start": "2024-02-11", "end": "2024-02-12"}, pkg["temporal"])
	assert.Equal(t, []any{
		map[string]any{"scientificName": "Panthera uncia", "vernacularNames": map[string]any{"eng": "snow leopard"}},
		map[string]any{"scientificName": "Capra sibirica", "vernacularNames": map[string]any{"eng": "ibex"}},
		map[string]any{"scientificName": "Homo sapiens", "vernacularNames": map[string]any{"eng": "person"}},
	}, pkg["taxonomic"])
	assert.Equal(t, map[string]any{"type": "Polygon", "coordinates": []any{[]any{
		[]any{-75.25, -36.5}, []any{75.99, -36.5}, []any{75.99, 36.12}, []any{-75.25, 36.12}, []any{-75.25, -36.5}}}}, pkg["spatial"])
	for _, r := range pkg["resources"].([]any) {
		res := r.(map[string]any)
		assert.Equal(t, "tabular-data-resource", res["profile"])
		assert.Equal(t, "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/"+res["name"].(string)+"-table-schema.json", res["schema"])
	}
}

func TestPythonChecker(t *testing.T) {
	py := testpy.Find(t)
	dir, _ := writeSample(t, sampleOptions())
	out, err := exec.Command(py, "testdata/check_camtrapdp.py", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.JSONEq(t, `{"coordinatePrecision": 0.01, "deployments": 2, "media": 6, "observations": 18, "types": ["animal", "blank", "human", "unclassified"]}`, string(out))
	// The checker is no rubber stamp: a timestamp without a zone fails.
	p := filepath.Join(dir, "media.csv")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, bytes.Replace(b, []byte("2024-02-11T05:03:07Z"), []byte("2024-02-11T05:03:07"), 1), 0o644))
	out, err = exec.Command(py, "testdata/check_camtrapdp.py", dir).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "media.timestamp")
}

func TestCoordinates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(o *Options)
		lat, lon string
		prec     any
	}{
		{"default", func(o *Options) {}, "36.12", "75.99", 0.01},
		{"coarse", func(o *Options) { o.CoordinatePrecision = 0.1 }, "36.1", "76.0", 0.1},
		{"degree", func(o *Options) { o.CoordinatePrecision = 1 }, "36", "76", 1.0},
		{"exact", func(o *Options) { o.ExactCoordinates = true }, "36.123456", "75.987654", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := sampleOptions()
			tc.edit(o)
			dir, _ := writeSample(t, o)
			rows := readRows(t, filepath.Join(dir, "deployments.csv"))
			assert.Equal(t, tc.lat, rows[1][3])
			assert.Equal(t, tc.lon, rows[1][4])
			b, err := os.ReadFile(filepath.Join(dir, "datapackage.json"))
			require.NoError(t, err)
			var pkg map[string]any
			require.NoError(t, json.Unmarshal(b, &pkg))
			assert.Equal(t, tc.prec, pkg["coordinatePrecision"])
			if tc.name != "exact" {
				for _, f := range []string{"datapackage.json", "deployments.csv", "media.csv", "observations.csv"} {
					b, err := os.ReadFile(filepath.Join(dir, f))
					require.NoError(t, err)
					assert.NotContains(t, string(b), "36.123", "%s leaks the exact latitude", f)
					assert.NotContains(t, string(b), "75.987", "%s leaks the exact longitude", f)
				}
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *annot.Set, o *Options)
		want string
	}{
		{"no time", func(s *annot.Set, o *Options) { s.Images[2].Time = time.Time{} }, `image "cam01/IMG_0003.JPG": no capture time`},
		{"no deployment", func(s *annot.Set, o *Options) { o.Deployments = o.Deployments[:1] }, `image "cam02/DSC 0004.jpg": deployment "cam02" is not in Options.Deployments`},
		{"outside deployment", func(s *annot.Set, o *Options) { o.Deployments[0].End = s.Images[0].Time }, `capture time 2024-02-11T05:03:11Z is outside deployment "cam01"`},
		{"box", func(s *annot.Set, o *Options) { s.Images[0].Boxes[0].Y1 = 481 }, `image "cam01/IMG_0001.JPG" box 0`},
		{"class", func(s *annot.Set, o *Options) { s.Images[0].Boxes[1].Class = 3 }, `box 1 [0.0,0.0 640.0,480.0]: class 3: unknown class`},
		{"file", func(s *annot.Set, o *Options) { s.Images[0].File = "a..b.jpg" }, "media.filePath pattern"},
		{"latitude", func(s *annot.Set, o *Options) { o.Deployments[0].Latitude = 91 }, "field Deployments[0].Latitude"},
		{"precision", func(s *annot.Set, o *Options) { o.CoordinatePrecision = 2 }, "field CoordinatePrecision"},
		{"type", func(s *annot.Set, o *Options) { o.ObservationTypes = map[string]string{"ibex": "plant"} }, "field ObservationTypes"},
		{"scientific", func(s *annot.Set, o *Options) { o.ScientificNames["ibex"] = "Panthera uncia" }, "share the scientific name"},
		{"name", func(s *annot.Set, o *Options) { o.Name = "My Package" }, "field Name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, o := annottest.Sample(), sampleOptions()
			tc.edit(s, o)
			err := WriteDir(context.Background(), t.TempDir(), s, o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	var pe *labelfree.ParamError
	err := WriteDir(context.Background(), t.TempDir(), annottest.Sample(), &Options{Deployments: []Deployment{{ID: ""}}})
	assert.True(t, errors.As(err, &pe))
}

func TestReadRejects(t *testing.T) {
	dir, _ := writeSample(t, sampleOptions())
	base := fstest.MapFS{}
	for _, n := range []string{"datapackage.json", "deployments.csv", "media.csv", "observations.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		require.NoError(t, err)
		base[n] = &fstest.MapFile{Data: b}
	}
	edit := func(file, old, new string) fstest.MapFS {
		fs := fstest.MapFS{}
		for k, v := range base {
			fs[k] = v
		}
		d := string(base[file].Data)
		require.Contains(t, d, old)
		fs[file] = &fstest.MapFile{Data: []byte(strings.Replace(d, old, new, 1))}
		return fs
	}
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"profile", edit("datapackage.json", ProfileURL, "x"), "not a Camtrap DP profile"},
		{"json", edit("datapackage.json", "{", "["), "not a data package"},
		{"taxonomic", edit("datapackage.json", `"taxonomic"`, `"taxa"`), "taxonomic are required"},
		{"resource path", edit("datapackage.json", `"media.csv"`, `"../media.csv"`), "leaves the package"},
		{"missing column", edit("media.csv", "mediaID,", "id,"), "media.csv column mediaID: required column is missing"},
		{"required value", edit("deployments.csv", "36.12", ""), "deployments.csv row 1 column latitude: required value is missing"},
		{"number", edit("deployments.csv", "36.12", "north"), `"north" is not a finite number`},
		{"range", edit("deployments.csv", "36.12", "136.12"), "column latitude: 136.12 is out of range"},
		{"datetime", edit("media.csv", "2024-02-11T05:03:07Z", "2024-02-11 05:03:07"), "row 1 column timestamp"},
		{"boolean", edit("media.csv", ",false,", ",nope,"), `"nope" is not a boolean`},
		{"enum", edit("observations.csv", ",media,animal,", ",media,plant,"), `column observationType: "plant" is not one of`},
		{"bbox range", edit("observations.csv", ",0.01953125,", ",1.5,"), "column bboxX: 1.5 is out of range"},
		{"bbox partial", edit("observations.csv", ",0.01953125,", ",,"), "must be given together"},
		{"media fk", edit("observations.csv", MediaID("cam01/IMG_0001.JPG")+",cam01", "nope,cam01"), "names no media"},
		{"deployment fk", edit("media.csv", ",cam02,", ",cam09,"), `"cam09" names no deployment`},
		{"exif", edit("media.csv", `"{""PixelXDimension"":640`, `"{""PixelXDimension"":-640`), "not usable"},
		{"csv", edit("observations.csv", "\n", "\n\"unterminated\n"), "observations.csv row 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFS(context.Background(), tc.fs, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func FuzzReadObservations(f *testing.F) {
	dir := f.TempDir()
	s := annottest.Sample()
	o := sampleOptions()
	if err := WriteDir(context.Background(), dir, s, o); err != nil {
		f.Fatal(err)
	}
	base := fstest.MapFS{}
	for _, n := range []string{"datapackage.json", "deployments.csv", "media.csv", "observations.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			f.Fatal(err)
		}
		base[n] = &fstest.MapFile{Data: b}
	}
	f.Add(base["observations.csv"].Data, base["media.csv"].Data, base["datapackage.json"].Data)
	f.Add([]byte("observationID,deploymentID,eventStart,eventEnd,observationLevel,observationType\n"), base["media.csv"].Data, base["datapackage.json"].Data)
	f.Fuzz(func(t *testing.T, obs, media, pkg []byte) {
		fs := fstest.MapFS{"datapackage.json": {Data: pkg}, "deployments.csv": base["deployments.csv"],
			"observations.csv": {Data: obs}, "media.csv": {Data: media}}
		p, err := ReadFS(context.Background(), fs, nil)
		if err != nil {
			return
		}
		for _, im := range p.Set.Images {
			for _, b := range im.Boxes {
				if im.Normalized() {
					require.NoError(t, b.Validate(1, 1))
				} else {
					require.LessOrEqual(t, b.X1, float64(im.Width)+1e-9)
				}
			}
		}
	})
}
