package camtrapdp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// A Deployment is one camera placement.
type Deployment struct {
	// ID is the deploymentID that images name in annot.Image.Deployment.
	ID string
	// Latitude and Longitude locate the camera (WGS84 decimal degrees).
	// They are rounded to Options.CoordinatePrecision when written.
	Latitude, Longitude float64
	// CoordinateUncertainty is the uncertainty in metres (0: unknown). When
	// coordinates are rounded the written value grows by the rounding.
	CoordinateUncertainty int
	// Start and End bound the deployment; when zero they are the first and
	// last capture time of its images.
	Start, End time.Time
	// LocationID, LocationName, CameraID and CameraModel are optional.
	LocationID, LocationName, CameraID, CameraModel string
}

// A Contributor is a person or organisation credited in the package.
type Contributor struct {
	// Title is the person's or organisation's name.
	Title string `json:"title"`
	// Email is optional.
	Email string `json:"email,omitempty"`
	// Role is one of contact, principalInvestigator, rightsHolder,
	// publisher, contributor.
	Role string `json:"role,omitempty"`
}

// DefaultCoordinatePrecision is the rounding, in degrees, applied to
// deployment coordinates unless Options says otherwise: 0.01° is about
// 1.1 km, the generalisation GBIF suggests for sensitive species at the
// finest level.
const DefaultCoordinatePrecision = 0.01

// Options controls WriteDir. Deployments is required (Camtrap DP needs
// coordinates for every deployment); every other field has a default.
type Options struct {
	// Deployments describes every deployment the images name.
	Deployments []Deployment
	// CoordinatePrecision rounds coordinates to multiples of this many
	// degrees and is written as the package's coordinatePrecision;
	// DefaultCoordinatePrecision when zero. Must be positive and at most 1.
	CoordinatePrecision float64
	// ExactCoordinates writes coordinates as given, opting out of rounding.
	ExactCoordinates bool
	// ScientificNames maps class names to scientific names (e.g. "snow
	// leopard" -> "Panthera uncia"); unmapped classes use their name, except
	// person/human classes, which become "Homo sapiens".
	ScientificNames map[string]string
	// ObservationTypes maps class names to observation types (animal,
	// human, vehicle, unknown); classes named person or human default to
	// human, vehicle to vehicle, all others to animal.
	ObservationTypes map[string]string
	// ClassifiedBy names the model (classifiedBy); "labelfree" when empty.
	ClassifiedBy string
	// Classified is the classificationTimestamp; omitted when zero.
	Classified time.Time
	// CaptureMethod is each photo's captureMethod, activityDetection or
	// timeLapse; activityDetection when empty.
	CaptureMethod string
	// ImageRoot, when set, is the directory of the source photos; each is
	// copied without metadata into media/ inside the package and
	// filePath points there. Otherwise filePath is the image's File.
	ImageRoot string
	// FilePublic is written in media.filePublic.
	FilePublic bool
	// Name, ID, Title describe the package; Name defaults to
	// "labelfree-camtrap-dp".
	Name, ID, Title string
	// Created is the package's creation time; now when zero.
	Created time.Time
	// Contributors are credited; a single "labelfree" contributor when
	// empty.
	Contributors []Contributor
	// ProjectTitle and SamplingDesign describe the project; defaults
	// "labelfree weak boxes" and "opportunistic".
	ProjectTitle, SamplingDesign string
	// NoEventObservations leaves out event-level observations.
	NoEventObservations bool
}

var samplingDesigns = map[string]bool{"simpleRandom": true, "systematicRandom": true, "clusteredRandom": true, "experimental": true, "targeted": true, "opportunistic": true}
var roles = map[string]bool{"": true, "contact": true, "principalInvestigator": true, "rightsHolder": true, "publisher": true, "contributor": true}

// Validate reports a bad option as a *labelfree.ParamError.
func (o *Options) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &labelfree.ParamError{Stage: "camtrapdp", Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if p := o.CoordinatePrecision; p < 0 || p > 1 || math.IsNaN(p) {
		return bad("CoordinatePrecision", "%v is not in (0, 1]", p)
	}
	seen := map[string]bool{}
	for i, d := range o.Deployments {
		f := fmt.Sprintf("Deployments[%d]", i)
		switch {
		case d.ID == "":
			return bad(f+".ID", "is empty")
		case seen[d.ID]:
			return bad(f+".ID", "%q appears twice", d.ID)
		case !(d.Latitude >= -90 && d.Latitude <= 90):
			return bad(f+".Latitude", "%v is outside [-90, 90]", d.Latitude)
		case !(d.Longitude >= -180 && d.Longitude <= 180):
			return bad(f+".Longitude", "%v is outside [-180, 180]", d.Longitude)
		case d.CoordinateUncertainty < 0:
			return bad(f+".CoordinateUncertainty", "is negative")
		case !d.Start.IsZero() && !d.End.IsZero() && d.End.Before(d.Start):
			return bad(f+".End", "is before Start")
		}
		seen[d.ID] = true
	}
	for c, t := range o.ObservationTypes {
		if t != Animal && t != Human && t != Vehicle && t != Unknown {
			return bad("ObservationTypes", "class %q: %q is not animal, human, vehicle or unknown", c, t)
		}
	}
	if o.CaptureMethod != "" && o.CaptureMethod != "activityDetection" && o.CaptureMethod != "timeLapse" {
		return bad("CaptureMethod", "%q is not activityDetection or timeLapse", o.CaptureMethod)
	}
	if o.SamplingDesign != "" && !samplingDesigns[o.SamplingDesign] {
		return bad("SamplingDesign", "%q is not a Camtrap DP sampling design", o.SamplingDesign)
	}
	for i, c := range o.Contributors {
		if c.Title == "" || !roles[c.Role] {
			return bad(fmt.Sprintf("Contributors[%d]", i), "needs a title and a Camtrap DP role")
		}
	}
	if o.Name != "" && !validName(o.Name) {
		return bad("Name", "%q must be lower-case letters, digits, '-', '.', '_' or '/'", o.Name)
	}
	return nil
}

func validName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._/", r)) {
			return false
		}
	}
	return s != ""
}

func (o *Options) precision() float64 {
	if o.ExactCoordinates {
		return 0
	}
	if o.CoordinatePrecision == 0 {
		return DefaultCoordinatePrecision
	}
	return o.CoordinatePrecision
}

func (o *Options) obsType(class string) string {
	if t, ok := o.ObservationTypes[class]; ok {
		return t
	}
	switch strings.ToLower(class) {
	case "person", "human", "people":
		return Human
	case "vehicle":
		return Vehicle
	}
	return Animal
}

func (o *Options) sciName(class string) string {
	if n, ok := o.ScientificNames[class]; ok {
		return n
	}
	switch o.obsType(class) {
	case Human:
		return "Homo sapiens"
	case Vehicle:
		return ""
	}
	return class
}

// MediaID returns the mediaID written for an image file: a hash of the
// path, so ids stay the same when a package is exported again with more
// photos.
func MediaID(file string) string {
	h := sha256.Sum256([]byte(file))
	return hex.EncodeToString(h[:8])
}

// MediaDir is the package directory that copied photos go to.
const MediaDir = "media"

// WriteDir validates s and writes it as a Camtrap DP package in dir. Every
// image needs a capture time and a deployment listed in opts.Deployments.
func WriteDir(ctx context.Context, dir string, s *annot.Set, opts *Options) error {
	if opts == nil {
		opts = &Options{}
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	if err := annot.Validate(s); err != nil {
		return fmt.Errorf("camtrapdp: %w", err)
	}
	deps := map[string]*Deployment{}
	for i := range opts.Deployments {
		d := opts.Deployments[i]
		deps[d.ID] = &d
	}
	sci := map[string]int{}
	for i, c := range s.Classes {
		n := opts.sciName(c)
		if n == "" {
			continue
		}
		if j, dup := sci[n]; dup {
			return fmt.Errorf("camtrapdp: classes %q and %q share the scientific name %q", s.Classes[j], c, n)
		}
		sci[n] = i
	}
	used := map[string]bool{}
	for i := range s.Images {
		im := &s.Images[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("camtrapdp: %w", &annot.ImageError{File: im.File, Err: fmt.Errorf(format, args...)})
		}
		if im.Time.IsZero() {
			return bad("no capture time (media.timestamp is required)")
		}
		d, ok := deps[im.Deployment]
		if !ok {
			return bad("deployment %q is not in Options.Deployments (Camtrap DP needs its coordinates)", im.Deployment)
		}
		if (!d.Start.IsZero() && im.Time.Before(d.Start)) || (!d.End.IsZero() && im.Time.After(d.End)) {
			return bad("capture time %s is outside deployment %q", im.Time.Format(timestampLayout), d.ID)
		}
		if strings.HasPrefix(im.File, ".") || strings.HasPrefix(im.File, "~") || strings.Contains(im.File, "..") {
			return bad("file path may not start with '.' or '~' or contain '..' (media.filePath pattern)")
		}
		used[d.ID] = true
	}
	// Fill deployment periods from the images.
	for i := range s.Images {
		im := &s.Images[i]
		d := deps[im.Deployment]
		if opts.deploymentByID(d.ID).Start.IsZero() && (d.Start.IsZero() || im.Time.Before(d.Start)) {
			d.Start = im.Time
		}
		if opts.deploymentByID(d.ID).End.IsZero() && (d.End.IsZero() || im.Time.After(d.End)) {
			d.End = im.Time
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("camtrapdp: %w", err)
	}
	prec := opts.precision()

	// deployments.csv
	var depRows [][]string
	var usedDeps []*Deployment
	for _, od := range opts.Deployments {
		d := deps[od.ID]
		if !used[d.ID] && (d.Start.IsZero() || d.End.IsZero()) {
			return fmt.Errorf("camtrapdp: deployment %q has no images and no Start/End", d.ID)
		}
		usedDeps = append(usedDeps, d)
		lat, lon, unc := generalise(d.Latitude, d.Longitude, d.CoordinateUncertainty, prec)
		row := make([]string, len(DeploymentColumns))
		set(row, DeploymentColumns, "deploymentID", d.ID)
		set(row, DeploymentColumns, "locationID", d.LocationID)
		set(row, DeploymentColumns, "locationName", d.LocationName)
		set(row, DeploymentColumns, "latitude", lat)
		set(row, DeploymentColumns, "longitude", lon)
		if unc > 0 {
			set(row, DeploymentColumns, "coordinateUncertainty", strconv.Itoa(unc))
		}
		set(row, DeploymentColumns, "deploymentStart", d.Start.Format(timestampLayout))
		set(row, DeploymentColumns, "deploymentEnd", d.End.Format(timestampLayout))
		set(row, DeploymentColumns, "cameraID", d.CameraID)
		set(row, DeploymentColumns, "cameraModel", d.CameraModel)
		depRows = append(depRows, row)
	}

	// media.csv and observations.csv
	capture := opts.CaptureMethod
	if capture == "" {
		capture = defaultCaptureMethod
	}
	classifiedBy := opts.ClassifiedBy
	if classifiedBy == "" {
		classifiedBy = defaultClassifiedBy
	}
	classified := ""
	if !opts.Classified.IsZero() {
		classified = opts.Classified.Format(timestampLayout)
	}
	var mediaRows, obsRows [][]string
	for i := range s.Images {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		im := &s.Images[i]
		mid := MediaID(im.File)
		fp := im.File
		if opts.ImageRoot != "" && im.Failure == "" {
			fp = path.Join(MediaDir, im.File)
			if err := annot.CopyImageFile(ctx, filepath.Join(dir, filepath.FromSlash(fp)), filepath.Join(opts.ImageRoot, filepath.FromSlash(im.File))); err != nil {
				return fmt.Errorf("camtrapdp: %w", err)
			}
		}
		ts := im.Time.Format(timestampLayout)
		row := make([]string, len(MediaColumns))
		set(row, MediaColumns, "mediaID", mid)
		set(row, MediaColumns, "deploymentID", im.Deployment)
		set(row, MediaColumns, "captureMethod", capture)
		set(row, MediaColumns, "timestamp", ts)
		set(row, MediaColumns, "filePath", fp)
		set(row, MediaColumns, "filePublic", strconv.FormatBool(opts.FilePublic))
		set(row, MediaColumns, "fileName", path.Base(im.File))
		set(row, MediaColumns, "fileMediatype", mediatype(im.File))
		if !im.Normalized() {
			set(row, MediaColumns, "exifData", fmt.Sprintf(`{"PixelXDimension":%d,"PixelYDimension":%d}`, im.Width, im.Height))
		}
		mediaRows = append(mediaRows, row)

		n := 0
		obs := func(typ string) []string {
			n++
			o := make([]string, len(ObservationColumns))
			set(o, ObservationColumns, "observationID", fmt.Sprintf("%s_%d", mid, n))
			set(o, ObservationColumns, "deploymentID", im.Deployment)
			set(o, ObservationColumns, "mediaID", mid)
			set(o, ObservationColumns, "eventID", im.Event)
			set(o, ObservationColumns, "eventStart", ts)
			set(o, ObservationColumns, "eventEnd", ts)
			set(o, ObservationColumns, "observationLevel", "media")
			set(o, ObservationColumns, "observationType", typ)
			return o
		}
		classify := func(o []string, class int) {
			set(o, ObservationColumns, "scientificName", opts.sciName(s.Classes[class]))
			set(o, ObservationColumns, "classificationMethod", "machine")
			set(o, ObservationColumns, "classifiedBy", classifiedBy)
			set(o, ObservationColumns, "classificationTimestamp", classified)
		}
		switch {
		case im.Failure != "":
			o := obs(Unclassified)
			set(o, ObservationColumns, "observationComments", im.Failure)
			obsRows = append(obsRows, o)
		case len(im.Boxes) == 0 && len(im.Labels) == 0:
			o := obs(Blank)
			set(o, ObservationColumns, "classificationMethod", "machine")
			set(o, ObservationColumns, "classifiedBy", classifiedBy)
			set(o, ObservationColumns, "classificationTimestamp", classified)
			obsRows = append(obsRows, o)
		}
		for _, b := range im.Boxes {
			o := obs(opts.obsType(s.Classes[b.Class]))
			classify(o, b.Class)
			set(o, ObservationColumns, "count", "1")
			x, y, w, h := im.Frac(b)
			set(o, ObservationColumns, "bboxX", num(x))
			set(o, ObservationColumns, "bboxY", num(y))
			set(o, ObservationColumns, "bboxWidth", num(w))
			set(o, ObservationColumns, "bboxHeight", num(h))
			set(o, ObservationColumns, "classificationProbability", num(b.Score))
			obsRows = append(obsRows, o)
		}
		for _, l := range im.Labels {
			o := obs(opts.obsType(s.Classes[l]))
			classify(o, l)
			obsRows = append(obsRows, o)
		}
	}
	if !opts.NoEventObservations {
		obsRows = append(obsRows, eventObservations(s, opts, classifiedBy, classified)...)
	}

	files := []struct {
		name string
		cols []string
		rows [][]string
	}{{"deployments.csv", DeploymentColumns, depRows}, {"media.csv", MediaColumns, mediaRows}, {"observations.csv", ObservationColumns, obsRows}}
	for _, f := range files {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write(f.cols)
		w.WriteAll(f.rows)
		if err := w.Error(); err != nil {
			return fmt.Errorf("camtrapdp: %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("camtrapdp: %w", err)
		}
	}
	pkg, err := packageJSON(s, opts, usedDeps, prec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "datapackage.json"), pkg, 0o644); err != nil {
		return fmt.Errorf("camtrapdp: %w", err)
	}
	return nil
}

func (o *Options) deploymentByID(id string) Deployment {
	for _, d := range o.Deployments {
		if d.ID == id {
			return d
		}
	}
	return Deployment{}
}

// eventObservations summarises each event: per class the most boxes in one
// photo and the highest score; blank when nothing was seen.
func eventObservations(s *annot.Set, opts *Options, classifiedBy, classified string) [][]string {
	events := s.Events()
	ids := make([]string, 0, len(events))
	for id := range events {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var rows [][]string
	for _, id := range ids {
		idx := events[id]
		var start, end time.Time
		count := map[int]int{}
		score := map[int]float64{}
		seen := map[int]bool{}
		var classes []int
		anyOK := false
		for _, i := range idx {
			im := &s.Images[i]
			if start.IsZero() || im.Time.Before(start) {
				start = im.Time
			}
			if end.IsZero() || im.Time.After(end) {
				end = im.Time
			}
			if im.Failure == "" {
				anyOK = true
			}
			per := map[int]int{}
			for _, b := range im.Boxes {
				per[b.Class]++
				score[b.Class] = max(score[b.Class], b.Score)
			}
			for c, k := range per {
				count[c] = max(count[c], k)
			}
			for _, b := range im.Boxes {
				if !seen[b.Class] {
					seen[b.Class] = true
					classes = append(classes, b.Class)
				}
			}
			for _, l := range im.Labels {
				if !seen[l] {
					seen[l] = true
					classes = append(classes, l)
				}
			}
		}
		dep := s.Images[idx[0]].Deployment
		n := 0
		row := func(typ string) []string {
			n++
			o := make([]string, len(ObservationColumns))
			set(o, ObservationColumns, "observationID", fmt.Sprintf("e%s_%d", MediaID("event:"+id), n))
			set(o, ObservationColumns, "deploymentID", dep)
			set(o, ObservationColumns, "eventID", id)
			set(o, ObservationColumns, "eventStart", start.Format(timestampLayout))
			set(o, ObservationColumns, "eventEnd", end.Format(timestampLayout))
			set(o, ObservationColumns, "observationLevel", "event")
			set(o, ObservationColumns, "observationType", typ)
			if typ != Unclassified {
				set(o, ObservationColumns, "classificationMethod", "machine")
				set(o, ObservationColumns, "classifiedBy", classifiedBy)
				set(o, ObservationColumns, "classificationTimestamp", classified)
			}
			return o
		}
		switch {
		case len(classes) == 0 && anyOK:
			rows = append(rows, row(Blank))
		case len(classes) == 0:
			rows = append(rows, row(Unclassified))
		}
		for _, c := range classes {
			o := row(opts.obsType(s.Classes[c]))
			set(o, ObservationColumns, "scientificName", opts.sciName(s.Classes[c]))
			if count[c] > 0 {
				set(o, ObservationColumns, "count", strconv.Itoa(count[c]))
				set(o, ObservationColumns, "classificationProbability", num(score[c]))
			}
			rows = append(rows, o)
		}
	}
	return rows
}

// generalise rounds a coordinate to multiples of prec degrees and widens
// the uncertainty by the largest distance the rounding can move a point.
func generalise(lat, lon float64, unc int, prec float64) (string, string, int) {
	if prec == 0 {
		return num(lat), num(lon), unc
	}
	decimals := max(0, int(math.Ceil(-math.Log10(prec)-1e-9)))
	r := func(v float64) string {
		return strconv.FormatFloat(math.Round(v/prec)*prec, 'f', decimals, 64)
	}
	// Half a cell in each direction: at most prec/2 degrees of latitude
	// (111.32 km per degree) and as much of longitude (never more).
	extra := int(math.Ceil(math.Hypot(prec/2, prec/2) * 111320))
	return r(lat), r(lon), unc + extra
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func set(row, cols []string, name, v string) {
	for i, c := range cols {
		if c == name {
			row[i] = v
			return
		}
	}
	panic("camtrapdp: no column " + name)
}

func mediatype(file string) string {
	switch strings.ToLower(path.Ext(file)) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".tif", ".tiff":
		return "image/tiff"
	case ".webp":
		return "image/webp"
	case ".mp4":
		return "video/mp4"
	case ".avi":
		return "video/x-msvideo"
	}
	return "image/" + strings.TrimPrefix(strings.ToLower(path.Ext(file)), ".")
}

type resource struct {
	Name      string `json:"name"`
	Path      string `json:"path"`
	Profile   string `json:"profile"`
	Format    string `json:"format"`
	Mediatype string `json:"mediatype"`
	Encoding  string `json:"encoding"`
	Schema    string `json:"schema"`
}

type taxon struct {
	ScientificName  string            `json:"scientificName"`
	VernacularNames map[string]string `json:"vernacularNames,omitempty"`
}

type datapackage struct {
	Resources           []resource     `json:"resources"`
	Profile             string         `json:"profile"`
	Name                string         `json:"name,omitempty"`
	ID                  string         `json:"id,omitempty"`
	Created             string         `json:"created"`
	Title               string         `json:"title,omitempty"`
	Contributors        []Contributor  `json:"contributors"`
	Project             project        `json:"project"`
	CoordinatePrecision *float64       `json:"coordinatePrecision,omitempty"`
	Spatial             map[string]any `json:"spatial"`
	Temporal            temporal       `json:"temporal"`
	Taxonomic           []taxon        `json:"taxonomic"`
}

type project struct {
	Title             string   `json:"title"`
	SamplingDesign    string   `json:"samplingDesign"`
	CaptureMethod     []string `json:"captureMethod"`
	IndividualAnimals bool     `json:"individualAnimals"`
	ObservationLevel  []string `json:"observationLevel"`
}

type temporal struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

func packageJSON(s *annot.Set, opts *Options, deps []*Deployment, prec float64) ([]byte, error) {
	p := datapackage{
		Resources: []resource{
			{"deployments", "deployments.csv", "tabular-data-resource", "csv", "text/csv", "utf-8", DeploymentsSchemaURL},
			{"media", "media.csv", "tabular-data-resource", "csv", "text/csv", "utf-8", MediaSchemaURL},
			{"observations", "observations.csv", "tabular-data-resource", "csv", "text/csv", "utf-8", ObservationsSchemaURL},
		},
		Profile:      ProfileURL,
		Name:         opts.Name,
		ID:           opts.ID,
		Title:        opts.Title,
		Contributors: opts.Contributors,
		Project: project{
			Title: opts.ProjectTitle, SamplingDesign: opts.SamplingDesign,
			CaptureMethod: []string{defaultCaptureMethod}, ObservationLevel: []string{"media"},
		},
		Taxonomic: []taxon{},
	}
	if p.Name == "" {
		p.Name = defaultPackageName
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	p.Created = created.UTC().Format(time.RFC3339)
	if len(p.Contributors) == 0 {
		p.Contributors = []Contributor{{Title: defaultContributorName, Role: "contributor"}}
	}
	if p.Project.Title == "" {
		p.Project.Title = defaultProjectTitle
	}
	if p.Project.SamplingDesign == "" {
		p.Project.SamplingDesign = defaultSamplingDesign
	}
	if opts.CaptureMethod != "" {
		p.Project.CaptureMethod = []string{opts.CaptureMethod}
	}
	if !opts.NoEventObservations && len(s.Events()) > 0 {
		p.Project.ObservationLevel = append(p.Project.ObservationLevel, "event")
	}
	if prec > 0 {
		p.CoordinatePrecision = &prec
	}
	for _, c := range s.Classes {
		n := opts.sciName(c)
		if n == "" {
			continue
		}
		t := taxon{ScientificName: n}
		if n != c {
			t.VernacularNames = map[string]string{"eng": c}
		}
		p.Taxonomic = append(p.Taxonomic, t)
	}
	// Spatial and temporal coverage from the written (generalised)
	// coordinates and the deployment periods.
	var lats, lons []float64
	var start, end time.Time
	for _, d := range deps {
		la, lo, _ := generalise(d.Latitude, d.Longitude, 0, prec)
		lat, _ := strconv.ParseFloat(la, 64)
		lon, _ := strconv.ParseFloat(lo, 64)
		lats, lons = append(lats, lat), append(lons, lon)
		if start.IsZero() || d.Start.Before(start) {
			start = d.Start
		}
		if end.IsZero() || d.End.After(end) {
			end = d.End
		}
	}
	if len(deps) == 0 {
		return nil, fmt.Errorf("camtrapdp: no deployments: Camtrap DP needs at least one")
	}
	p.Temporal = temporal{Start: start.Format(dateLayout), End: end.Format(dateLayout)}
	minLat, maxLat := minmax(lats)
	minLon, maxLon := minmax(lons)
	if minLat == maxLat && minLon == maxLon {
		p.Spatial = map[string]any{"type": "Point", "coordinates": []float64{minLon, minLat}}
	} else {
		p.Spatial = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
			{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}}}
	}
	b, err := json.MarshalIndent(&p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("camtrapdp: %w", err)
	}
	return append(b, '\n'), nil
}

func minmax(v []float64) (float64, float64) {
	lo, hi := v[0], v[0]
	for _, x := range v[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}
