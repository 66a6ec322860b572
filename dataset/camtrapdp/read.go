package camtrapdp

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// ReadOptions controls ReadFS.
type ReadOptions struct {
	// Size gives the pixel size of photos whose media.exifData lacks
	// PixelXDimension and PixelYDimension; without either, boxes stay
	// fractions.
	Size annot.SizeFunc
	// MaxBytes bounds each file; 1 GiB when zero.
	MaxBytes int64
}

// A Package is what ReadFS returns: the annotated photos and the
// deployments.
type Package struct {
	// Set holds the photos, their boxes, labels, times and events.
	Set *annot.Set
	// Deployments are the camera placements, coordinates as written.
	Deployments []Deployment
	// CoordinatePrecision is the package's coordinatePrecision (0 when
	// absent).
	CoordinatePrecision float64
}

// A FormatError reports a package that breaks the standard.
type FormatError struct {
	// File is the path of the bad file within the package.
	File string
	// Row is the 1-based data row, 0 when the problem is not about a row.
	Row int
	// Column names the column, "" when the problem is not about one.
	Column string
	// Reason says what is wrong.
	Reason string
}

// Error describes the problem and where it is.
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("camtrapdp: ")
	b.WriteString(e.File)
	if e.Row > 0 {
		fmt.Fprintf(&b, " row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, " column %s", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// ReadFS reads a Camtrap DP 1.0 package at fsys: datapackage.json and its
// deployments, media and observations resources. It checks the required
// package properties and, in every table, the required columns, the types
// (number, integer, datetime with time zone, boolean), the enumerations,
// ranges and the references between tables. Photos come back in media
// order; their boxes and labels from media-level observations, their
// failure from an "unclassified" observation's comment. A photo's File is
// its filePath without a leading "media/" (where WriteDir puts copied
// photos). Classes are the
// taxonomic coverage, in order (a taxon's English vernacular name when
// given, else its scientific name), followed by any other observed names.
func ReadFS(ctx context.Context, fsys fs.FS, opts *ReadOptions) (*Package, error) {
	if opts == nil {
		opts = &ReadOptions{}
	}
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = 1 << 30
	}
	raw, err := annot.ReadFileLimit(fsys, "datapackage.json", limit)
	if err != nil {
		return nil, &FormatError{File: "datapackage.json", Reason: err.Error()}
	}
	var p struct {
		Resources           []struct{ Name, Path string } `json:"resources"`
		Profile             string                        `json:"profile"`
		Created             string                        `json:"created"`
		Contributors        []json.RawMessage             `json:"contributors"`
		Project             *json.RawMessage              `json:"project"`
		Spatial             *json.RawMessage              `json:"spatial"`
		Temporal            *json.RawMessage              `json:"temporal"`
		Taxonomic           *[]taxon                      `json:"taxonomic"`
		CoordinatePrecision *float64                      `json:"coordinatePrecision"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, &FormatError{File: "datapackage.json", Reason: "not a data package: " + err.Error()}
	}
	bad := func(reason string) error { return &FormatError{File: "datapackage.json", Reason: reason} }
	switch {
	case !strings.Contains(p.Profile, "camtrap-dp"):
		return nil, bad(fmt.Sprintf("profile %q is not a Camtrap DP profile", p.Profile))
	case p.Created == "":
		return nil, bad("created is required")
	case len(p.Contributors) == 0:
		return nil, bad("contributors is required")
	case p.Project == nil || p.Spatial == nil || p.Temporal == nil || p.Taxonomic == nil:
		return nil, bad("project, spatial, temporal and taxonomic are required")
	}
	paths := map[string]string{}
	for _, r := range p.Resources {
		paths[r.Name] = r.Path
	}
	tables := map[string][]map[string]string{}
	for _, t := range []struct {
		name string
		cols []string
	}{{"deployments", DeploymentColumns}, {"media", MediaColumns}, {"observations", ObservationColumns}} {
		rp, ok := paths[t.name]
		if !ok || rp == "" {
			return nil, bad("no " + t.name + " resource")
		}
		if !annot.ValidPath(rp) {
			return nil, bad(fmt.Sprintf("resource path %q leaves the package", rp))
		}
		data, err := annot.ReadFileLimit(fsys, rp, limit)
		if err != nil {
			return nil, &FormatError{File: rp, Reason: err.Error()}
		}
		rows, err := readCSV(rp, data, t.cols, checks[t.name])
		if err != nil {
			return nil, err
		}
		tables[t.name] = rows
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}

	out := &Package{Set: &annot.Set{}}
	if p.CoordinatePrecision != nil {
		out.CoordinatePrecision = *p.CoordinatePrecision
	}
	s := out.Set
	classBySci := map[string]int{}
	for _, t := range *p.Taxonomic {
		if t.ScientificName == "" {
			return nil, bad("taxonomic entry without scientificName")
		}
		name := t.ScientificName
		if v := t.VernacularNames["eng"]; v != "" {
			name = v
		}
		if _, dup := classBySci[t.ScientificName]; dup || s.ClassIndex(name) >= 0 {
			return nil, bad(fmt.Sprintf("taxon %q appears twice", t.ScientificName))
		}
		classBySci[t.ScientificName] = len(s.Classes)
		s.Classes = append(s.Classes, name)
	}

	depIDs := map[string]bool{}
	for i, r := range tables["deployments"] {
		d := Deployment{ID: r["deploymentID"], LocationID: r["locationID"], LocationName: r["locationName"],
			CameraID: r["cameraID"], CameraModel: r["cameraModel"]}
		if depIDs[d.ID] {
			return nil, &FormatError{File: paths["deployments"], Row: i + 1, Column: "deploymentID", Reason: "not unique"}
		}
		depIDs[d.ID] = true
		d.Latitude, _ = strconv.ParseFloat(r["latitude"], 64)
		d.Longitude, _ = strconv.ParseFloat(r["longitude"], 64)
		d.CoordinateUncertainty, _ = strconv.Atoi(r["coordinateUncertainty"])
		d.Start, _ = time.Parse(timestampLayout, r["deploymentStart"])
		d.End, _ = time.Parse(timestampLayout, r["deploymentEnd"])
		if d.End.Before(d.Start) {
			return nil, &FormatError{File: paths["deployments"], Row: i + 1, Column: "deploymentEnd", Reason: "before deploymentStart"}
		}
		out.Deployments = append(out.Deployments, d)
	}

	byMedia := map[string]int{}
	for i, r := range tables["media"] {
		where := func(col, reason string) error {
			return &FormatError{File: paths["media"], Row: i + 1, Column: col, Reason: reason}
		}
		id := r["mediaID"]
		if _, dup := byMedia[id]; dup {
			return nil, where("mediaID", "not unique")
		}
		if !depIDs[r["deploymentID"]] {
			return nil, where("deploymentID", fmt.Sprintf("%q names no deployment", r["deploymentID"]))
		}
		file := strings.TrimPrefix(r["filePath"], MediaDir+"/")
		im := annot.Image{File: file, Deployment: r["deploymentID"]}
		im.Time, _ = time.Parse(timestampLayout, r["timestamp"])
		if ex := r["exifData"]; ex != "" {
			var e struct {
				X int `json:"PixelXDimension"`
				Y int `json:"PixelYDimension"`
			}
			if err := json.Unmarshal([]byte(ex), &e); err != nil {
				return nil, where("exifData", "not a JSON object")
			}
			if e.X < 0 || e.Y < 0 || (e.X == 0) != (e.Y == 0) || int64(e.X)*int64(e.Y) > annot.MaxPixels {
				return nil, where("exifData", fmt.Sprintf("pixel size %dx%d is not usable", e.X, e.Y))
			}
			im.Width, im.Height = e.X, e.Y
		}
		byMedia[id] = len(s.Images)
		s.Images = append(s.Images, im)
	}

	obsIDs := map[string]bool{}
	hasObs := make([]bool, len(s.Images))
	for i, r := range tables["observations"] {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		where := func(col, reason string) error {
			return &FormatError{File: paths["observations"], Row: i + 1, Column: col, Reason: reason}
		}
		if obsIDs[r["observationID"]] {
			return nil, where("observationID", "not unique")
		}
		obsIDs[r["observationID"]] = true
		if !depIDs[r["deploymentID"]] {
			return nil, where("deploymentID", fmt.Sprintf("%q names no deployment", r["deploymentID"]))
		}
		start, _ := time.Parse(timestampLayout, r["eventStart"])
		end, _ := time.Parse(timestampLayout, r["eventEnd"])
		if end.Before(start) {
			return nil, where("eventEnd", "before eventStart")
		}
		bbox := []string{r["bboxX"], r["bboxY"], r["bboxWidth"], r["bboxHeight"]}
		nb := 0
		for _, v := range bbox {
			if v != "" {
				nb++
			}
		}
		if nb != 0 && nb != 4 {
			return nil, where("bboxX", "bboxX, bboxY, bboxWidth and bboxHeight must be given together")
		}
		if r["observationLevel"] == "event" {
			continue // a summary of media-level observations
		}
		mi, ok := byMedia[r["mediaID"]]
		if !ok {
			return nil, where("mediaID", fmt.Sprintf("%q names no media", r["mediaID"]))
		}
		im := &s.Images[mi]
		if r["deploymentID"] != im.Deployment {
			return nil, where("deploymentID", "differs from the media's deployment")
		}
		if ev := r["eventID"]; ev != "" {
			if im.Event != "" && im.Event != ev {
				return nil, where("eventID", fmt.Sprintf("%q differs from %q given for the same media", ev, im.Event))
			}
			im.Event = ev
		}
		hasObs[mi] = true
		typ := r["observationType"]
		switch typ {
		case Blank:
			continue
		case Unclassified:
			if c := r["observationComments"]; c != "" && len(im.Boxes) == 0 && len(im.Labels) == 0 {
				im.Failure = c
			}
			continue
		}
		sci := r["scientificName"]
		class, ok := classBySci[sci]
		if !ok {
			name := sci
			if name == "" {
				name = typ // a vehicle, say: named by its type
			}
			if class = s.ClassIndex(name); class < 0 {
				class = len(s.Classes)
				s.Classes = append(s.Classes, name)
			}
			if sci != "" {
				classBySci[sci] = class
			}
		}
		if im.Failure != "" {
			im.Failure = "" // classified after all
		}
		if nb == 0 {
			if !slices.Contains(im.Labels, class) {
				im.Labels = append(im.Labels, class)
			}
			continue
		}
		var v [4]float64
		for k, sv := range bbox {
			v[k], _ = strconv.ParseFloat(sv, 64)
		}
		if v[0]+v[2] > 1+1e-9 || v[1]+v[3] > 1+1e-9 {
			return nil, where("bboxWidth", fmt.Sprintf("box [%g, %g, %g, %g] extends past the image", v[0], v[1], v[2], v[3]))
		}
		score := 0.0
		if sp := r["classificationProbability"]; sp != "" {
			score, _ = strconv.ParseFloat(sp, 64)
		}
		b := im.FromFrac(v[0], v[1], min(v[2], 1-v[0]), min(v[3], 1-v[1]), score, class)
		im.Boxes = append(im.Boxes, b)
	}
	for i := range s.Images {
		im := &s.Images[i]
		if im.Failure == "" && im.Boxes == nil {
			im.Boxes = []labelfree.Box{}
		}
		if im.Failure != "" {
			im.Width, im.Height = 0, 0
		}
	}
	if opts.Size != nil {
		for i := range s.Images {
			im := &s.Images[i]
			if !im.Normalized() || im.Failure != "" {
				continue
			}
			w, h, err := opts.Size(im.File)
			if err != nil {
				return nil, fmt.Errorf("camtrapdp: size of image %q: %w", im.File, err)
			}
			if err := im.Scale(w, h); err != nil {
				return nil, fmt.Errorf("camtrapdp: %w", err)
			}
		}
	}
	return out, nil
}

// A check validates one column's cells.
type check struct {
	required bool
	kind     string // string, number, integer, datetime, boolean, json
	min, max *float64
	enum     []string
}

func f(v float64) *float64 { return &v }

// checks holds the constraints of the 1.0.2 table schemas for the columns
// this package reads or writes.
var checks = map[string]map[string]check{
	"deployments": {
		"deploymentID":          {required: true, kind: "string"},
		"latitude":              {required: true, kind: "number", min: f(-90), max: f(90)},
		"longitude":             {required: true, kind: "number", min: f(-180), max: f(180)},
		"coordinateUncertainty": {kind: "integer", min: f(1)},
		"deploymentStart":       {required: true, kind: "datetime"},
		"deploymentEnd":         {required: true, kind: "datetime"},
		"cameraDelay":           {kind: "integer", min: f(0)},
		"cameraHeight":          {kind: "number", min: f(0)},
		"cameraDepth":           {kind: "number", min: f(0)},
		"cameraTilt":            {kind: "integer", min: f(-90), max: f(90)},
		"cameraHeading":         {kind: "integer", min: f(0), max: f(360)},
		"detectionDistance":     {kind: "number", min: f(0)},
		"timestampIssues":       {kind: "boolean"},
		"baitUse":               {kind: "boolean"},
		"featureType": {kind: "string", enum: []string{"roadPaved", "roadDirt", "trailHiking", "trailGame", "roadUnderpass",
			"roadOverpass", "roadBridge", "culvert", "burrow", "nestSite", "carcass", "waterSource", "fruitingTree"}},
	},
	"media": {
		"mediaID":       {required: true, kind: "string"},
		"deploymentID":  {required: true, kind: "string"},
		"captureMethod": {kind: "string", enum: []string{"activityDetection", "timeLapse"}},
		"timestamp":     {required: true, kind: "datetime"},
		"filePath":      {required: true, kind: "string"},
		"filePublic":    {required: true, kind: "boolean"},
		"fileMediatype": {required: true, kind: "string"},
		"exifData":      {kind: "json"},
		"favorite":      {kind: "boolean"},
	},
	"observations": {
		"observationID":             {required: true, kind: "string"},
		"deploymentID":              {required: true, kind: "string"},
		"eventStart":                {required: true, kind: "datetime"},
		"eventEnd":                  {required: true, kind: "datetime"},
		"observationLevel":          {required: true, kind: "string", enum: []string{"media", "event"}},
		"observationType":           {required: true, kind: "string", enum: []string{Animal, Human, Vehicle, Blank, Unknown, Unclassified}},
		"cameraSetupType":           {kind: "string", enum: []string{"setup", "calibration"}},
		"count":                     {kind: "integer", min: f(1)},
		"lifeStage":                 {kind: "string", enum: []string{"adult", "subadult", "juvenile"}},
		"sex":                       {kind: "string", enum: []string{"female", "male"}},
		"individualPositionRadius":  {kind: "number", min: f(0)},
		"individualPositionAngle":   {kind: "number", min: f(-90), max: f(90)},
		"individualSpeed":           {kind: "number", min: f(0)},
		"bboxX":                     {kind: "number", min: f(0), max: f(1)},
		"bboxY":                     {kind: "number", min: f(0), max: f(1)},
		"bboxWidth":                 {kind: "number", min: f(1e-15), max: f(1)},
		"bboxHeight":                {kind: "number", min: f(1e-15), max: f(1)},
		"classificationMethod":      {kind: "string", enum: []string{"human", "machine"}},
		"classificationTimestamp":   {kind: "datetime"},
		"classificationProbability": {kind: "number", min: f(0), max: f(1)},
	},
}

// readCSV parses a table, checks its header against the schema columns
// (every required one present; unknown extra columns are kept out) and
// every cell against checks, and returns the rows keyed by column with
// missing values as "".
func readCSV(file string, data []byte, cols []string, cks map[string]check) ([]map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return nil, &FormatError{File: file, Reason: "no header: " + err.Error()}
	}
	idx := map[string]int{}
	for i, h := range header {
		if _, dup := idx[h]; dup {
			return nil, &FormatError{File: file, Column: h, Reason: "appears twice in the header"}
		}
		idx[h] = i
	}
	for _, c := range cols {
		if ck := cks[c]; ck.required {
			if _, ok := idx[c]; !ok {
				return nil, &FormatError{File: file, Column: c, Reason: "required column is missing"}
			}
		}
	}
	var rows []map[string]string
	for n := 1; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &FormatError{File: file, Row: n, Reason: err.Error()}
		}
		row := make(map[string]string, len(cols))
		for _, c := range cols {
			i, ok := idx[c]
			if !ok {
				continue
			}
			v := rec[i]
			if missing(v) {
				v = ""
			}
			if err := checkCell(v, cks[c]); err != nil {
				return nil, &FormatError{File: file, Row: n, Column: c, Reason: err.Error()}
			}
			row[c] = v
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func checkCell(v string, ck check) error {
	if v == "" {
		if ck.required {
			return errors.New("required value is missing")
		}
		return nil
	}
	var x float64
	switch ck.kind {
	case "number", "integer":
		var err error
		if ck.kind == "integer" {
			var n int64
			n, err = strconv.ParseInt(v, 10, 64)
			x = float64(n)
		} else {
			x, err = strconv.ParseFloat(v, 64)
		}
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%q is not a finite %s", v, ck.kind)
		}
		if (ck.min != nil && x < *ck.min) || (ck.max != nil && x > *ck.max) {
			return fmt.Errorf("%s is out of range", v)
		}
	case "datetime":
		if _, err := time.Parse(timestampLayout, v); err != nil {
			return fmt.Errorf("%q is not an ISO 8601 datetime with a time zone (YYYY-MM-DDThh:mm:ssZ or ±hh:mm)", v)
		}
	case "boolean":
		if v != "true" && v != "false" && v != "True" && v != "False" && v != "TRUE" && v != "FALSE" && v != "1" && v != "0" {
			return fmt.Errorf("%q is not a boolean", v)
		}
	case "json":
		var m map[string]any
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return fmt.Errorf("%q is not a JSON object", v)
		}
	}
	if ck.enum != nil && !slices.Contains(ck.enum, v) {
		return fmt.Errorf("%q is not one of %s", v, strings.Join(ck.enum, ", "))
	}
	return nil
}
