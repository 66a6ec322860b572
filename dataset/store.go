package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/internal/imagemeta"
	"github.com/labelfree/labelfree/search"
)

// ManifestFile is the name of the Parquet manifest inside a dataset
// directory; images live under ImagesDir.
const (
	ManifestFile = "manifest.parquet"
	ImagesDir    = "images"
	// classesKey is the manifest's key-value metadata entry holding the
	// dataset's class names as a JSON array.
	classesKey = "labelfree.classes"
)

// ManifestRow is one row of the Parquet manifest: one per dataset row,
// failed rows included (with Error set and no image). Nested fields are
// Parquet lists of structs, which pandas reads as lists of dicts and Spark
// as arrays of structs.
type ManifestRow struct {
	ID string `parquet:"id"`
	// Path is the image file relative to the dataset directory, with
	// forward slashes; empty for rows without an image.
	Path   string `parquet:"path"`
	Label  int64  `parquet:"label"`
	Class  string `parquet:"class"`
	Split  string `parquet:"split"`
	SHA256 string `parquet:"sha256"`
	Format string `parquet:"format"`
	Width  int64  `parquet:"width"`
	Height int64  `parquet:"height"`

	SourceProvider    string `parquet:"source_provider"`
	SourceID          string `parquet:"source_id"`
	SourceQuery       string `parquet:"source_query"`
	SourceRank        int64  `parquet:"source_rank"`
	SourceImageURL    string `parquet:"source_image_url"`
	SourcePageURL     string `parquet:"source_page_url"`
	SourceThumbnail   string `parquet:"source_thumbnail_url"`
	SourceTitle       string `parquet:"source_title"`
	SourceLicense     string `parquet:"source_license"`
	SourceAttribution string `parquet:"source_attribution"`

	AlsoFound []ManifestSource `parquet:"also_found,list"`
	TrueBoxes []ManifestBox    `parquet:"true_boxes,list"`
	// HasTrueBoxes tells "truth known: no boxes" from "truth unknown".
	HasTrueBoxes bool   `parquet:"has_true_boxes"`
	DuplicateOf  string `parquet:"duplicate_of"`
	Augmentation string `parquet:"augmentation"`
	ErrorStage   string `parquet:"error_stage"`
	Error        string `parquet:"error"`
}

// ManifestSource is a search result in the manifest's also_found list.
type ManifestSource struct {
	Provider string `parquet:"provider"`
	Query    string `parquet:"query"`
	Rank     int64  `parquet:"rank"`
	ImageURL string `parquet:"image_url"`
	PageURL  string `parquet:"page_url"`
}

// ManifestBox is a box in the manifest's true_boxes list.
type ManifestBox struct {
	X0    float64 `parquet:"x0"`
	Y0    float64 `parquet:"y0"`
	X1    float64 `parquet:"x1"`
	Y1    float64 `parquet:"y1"`
	Score float64 `parquet:"score"`
	Class int64   `parquet:"class"`
}

// WriteOptions adjusts Write. The zero value (or nil) is fine.
type WriteOptions struct {
	// KeepMetadata writes image files with their EXIF/XMP/IPTC metadata,
	// GPS positions included. Off by default: Write strips it.
	KeepMetadata bool
	// JPEGQuality encodes rows that have an Image but no ImageBytes (such
	// as augmented rows); 0 means 95.
	JPEGQuality int
}

// Write stores ds in dir: each usable row's image as a file under
// dir/images/<class>/<id>.<ext> (the downloaded bytes as they are, or the
// Image encoded as JPEG when the row has no bytes), and dir/manifest.parquet
// listing every row (failed rows included, with their error), its label,
// split, hash, size, search provenance and true boxes. Image metadata is
// stripped (see WriteOptions.KeepMetadata). Files are written atomically;
// an existing manifest is replaced.
func Write(ctx context.Context, dir string, ds *labelfree.Dataset, opts *WriteOptions) error {
	if opts == nil {
		opts = &WriteOptions{}
	}
	quality := opts.JPEGQuality
	if quality == 0 {
		quality = 95
	}
	if quality < 1 || quality > 100 {
		return &labelfree.ParamError{Stage: "dataset.Write", Field: "JPEGQuality", Reason: "must be in [1, 100]"}
	}
	rows := make([]ManifestRow, 0, len(ds.Rows))
	seen := map[string]bool{}
	for _, r := range ds.Rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		if seen[r.ID] {
			return fmt.Errorf("dataset: write: duplicate row ID %q", r.ID)
		}
		seen[r.ID] = true
		m := manifestRow(r, ds.Classes)
		if r.Err == nil {
			if err := writeImage(dir, r, &m, opts.KeepMetadata, quality); err != nil {
				return fmt.Errorf("dataset: write row %q: %w", r.ID, err)
			}
		}
		rows = append(rows, m)
	}
	classes, err := json.Marshal(ds.Classes)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, ManifestFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dataset: write: %w", err)
	}
	f, err := os.CreateTemp(dir, ".manifest-*")
	if err != nil {
		return fmt.Errorf("dataset: write: %w", err)
	}
	defer os.Remove(f.Name())
	w := parquet.NewGenericWriter[ManifestRow](f, parquet.Compression(&parquet.Snappy), parquet.KeyValueMetadata(classesKey, string(classes)))
	if _, err := w.Write(rows); err != nil {
		f.Close()
		return fmt.Errorf("dataset: write manifest: %w", err)
	}
	if err := w.Close(); err != nil {
		f.Close()
		return fmt.Errorf("dataset: write manifest: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("dataset: write manifest: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("dataset: write manifest: %w", err)
	}
	return nil
}

func manifestRow(r *labelfree.Row, classes []string) ManifestRow {
	m := ManifestRow{ID: r.ID, Label: -1}
	if l, ok := labelfree.Get(r, labelfree.Label); ok {
		m.Label = int64(l)
		if l >= 0 && l < len(classes) {
			m.Class = classes[l]
		}
	}
	m.Split, _ = labelfree.Get(r, Split)
	m.SHA256, _ = labelfree.Get(r, ContentHash)
	m.Format, _ = labelfree.Get(r, Format)
	if sz, ok := labelfree.Get(r, Size); ok {
		m.Width, m.Height = int64(sz.X), int64(sz.Y)
	}
	if s, ok := labelfree.Get(r, Source); ok {
		m.SourceProvider, m.SourceID, m.SourceQuery, m.SourceRank = s.Provider, s.ID, s.Query, int64(s.Rank)
		m.SourceImageURL, m.SourcePageURL, m.SourceThumbnail = s.ImageURL, s.PageURL, s.ThumbnailURL
		m.SourceTitle, m.SourceLicense, m.SourceAttribution = s.Title, s.License, s.Attribution
	}
	also, _ := labelfree.Get(r, AlsoFound)
	for _, s := range also {
		m.AlsoFound = append(m.AlsoFound, ManifestSource{Provider: s.Provider, Query: s.Query, Rank: int64(s.Rank), ImageURL: s.ImageURL, PageURL: s.PageURL})
	}
	boxes, ok := labelfree.Get(r, labelfree.TrueBoxes)
	m.HasTrueBoxes = ok
	for _, b := range boxes {
		m.TrueBoxes = append(m.TrueBoxes, ManifestBox{X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1, Score: b.Score, Class: int64(b.Class)})
	}
	m.DuplicateOf, _ = labelfree.Get(r, DuplicateOf)
	m.Augmentation, _ = labelfree.Get(r, Augmentation)
	if r.Err != nil {
		m.ErrorStage, m.Error = r.Err.Stage, r.Err.Err.Error()
	}
	return m
}

// safeName keeps letters, digits, '-', '_' and '.' and replaces the rest.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	s = strings.Trim(s, ".")
	if s == "" {
		s = "_"
	}
	return s
}

// fileName turns a row ID into a file name; IDs that are not already safe
// get a hash suffix, so that distinct IDs never share a file.
func fileName(id string) string {
	name := safeName(id)
	if name != id || len(name) > 120 {
		sum := sha256.Sum256([]byte(id))
		name = name[:min(len(name), 100)] + "-" + hex.EncodeToString(sum[:6])
	}
	return name
}

func writeImage(dir string, r *labelfree.Row, m *ManifestRow, keepMeta bool, quality int) error {
	b, hasBytes := labelfree.Get(r, labelfree.ImageBytes)
	format := ""
	if hasBytes {
		var err error
		if format, err = Sniff(b); err != nil {
			return err
		}
		if !keepMeta {
			if b, err = imagemeta.Strip(b); err != nil {
				return fmt.Errorf("strip metadata: %w", err)
			}
		}
	} else if img, ok := labelfree.Get(r, labelfree.Image); ok {
		var buf strings.Builder
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return err
		}
		b, format = []byte(buf.String()), "jpeg"
		m.Width, m.Height = int64(img.Bounds().Dx()), int64(img.Bounds().Dy())
	} else {
		return nil // nothing to store; the manifest still lists the row
	}
	class := m.Class
	if class == "" {
		class = "unlabelled"
	}
	ext := map[string]string{"jpeg": ".jpg", "png": ".png", "gif": ".gif", "webp": ".webp"}[format]
	rel := ImagesDir + "/" + safeName(class) + "/" + fileName(r.ID) + ext
	if err := writeFileAtomic(filepath.Join(dir, filepath.FromSlash(rel)), b); err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	m.Path, m.SHA256, m.Format = rel, hex.EncodeToString(sum[:]), format
	return nil
}

// ReadOptions adjusts Read. The zero value (or nil) is fine.
type ReadOptions struct {
	// LoadImages reads every image file into ImageBytes, checking it
	// against the manifest's SHA-256; a missing or altered file fails its
	// row.
	LoadImages bool
}

// ReadStage is the stage name Read gives rows whose image file is missing
// or altered.
const ReadStage = "dataset.Read"

// Read loads a dataset written by Write: one row per manifest row with its
// ID, Label, Split, ContentHash, Format, Size, Source, AlsoFound,
// TrueBoxes, DuplicateOf, Augmentation, ImagePath (absolute) and, for
// failed rows, Err (its message; the error's type is not kept).
func Read(ctx context.Context, dir string, opts *ReadOptions) (ds *labelfree.Dataset, err error) {
	// The Parquet decoder panics on some corrupt files; a damaged or
	// hostile manifest must give an error instead.
	defer func() {
		if p := recover(); p != nil {
			ds, err = nil, fmt.Errorf("dataset: read manifest: corrupt file: %v", p)
		}
	}()
	if opts == nil {
		opts = &ReadOptions{}
	}
	f, err := os.Open(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("dataset: read: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset: read: %w", err)
	}
	if err := checkFooter(f, st.Size()); err != nil {
		return nil, fmt.Errorf("dataset: read manifest: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("dataset: read manifest: %w", err)
	}
	if err := checkManifest(f, st.Size(), pf); err != nil {
		return nil, fmt.Errorf("dataset: read manifest: %w", err)
	}
	ds = &labelfree.Dataset{}
	if v, ok := pf.Lookup(classesKey); ok {
		if err := json.Unmarshal([]byte(v), &ds.Classes); err != nil {
			return nil, fmt.Errorf("dataset: read manifest: classes: %w", err)
		}
	}
	rd := parquet.NewGenericReader[ManifestRow](pf)
	defer rd.Close()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	buf := make([]ManifestRow, 256)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, rerr := rd.Read(buf)
		for _, m := range buf[:n] {
			r, err := rowFromManifest(abs, m, ds.Classes, opts.LoadImages)
			if err != nil {
				return nil, fmt.Errorf("dataset: read manifest row %q: %w", m.ID, err)
			}
			ds.Rows = append(ds.Rows, r)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("dataset: read manifest: %w", rerr)
		}
	}
	return ds, nil
}

func rowFromManifest(dir string, m ManifestRow, classes []string, load bool) (*labelfree.Row, error) {
	r := labelfree.NewRow(m.ID)
	if m.ID == "" {
		return nil, errors.New("empty id")
	}
	if m.Label >= 0 {
		if len(classes) > 0 && m.Label >= int64(len(classes)) {
			return nil, fmt.Errorf("label %d outside the %d classes", m.Label, len(classes))
		}
		labelfree.Set(r, labelfree.Label, int(m.Label))
	}
	set := func(c labelfree.Column[string], v string) {
		if v != "" {
			labelfree.Set(r, c, v)
		}
	}
	set(Split, m.Split)
	set(ContentHash, m.SHA256)
	set(Format, m.Format)
	set(DuplicateOf, m.DuplicateOf)
	set(Augmentation, m.Augmentation)
	if m.Width > 0 && m.Height > 0 {
		labelfree.Set(r, Size, image.Point{X: int(m.Width), Y: int(m.Height)})
	}
	if m.SourceImageURL != "" || m.SourceProvider != "" {
		labelfree.Set(r, Source, search.Result{
			Provider: m.SourceProvider, ID: m.SourceID, Query: m.SourceQuery, Rank: int(m.SourceRank),
			ImageURL: m.SourceImageURL, PageURL: m.SourcePageURL, ThumbnailURL: m.SourceThumbnail,
			Width: int(m.Width), Height: int(m.Height), Format: m.Format,
			Title: m.SourceTitle, License: m.SourceLicense, Attribution: m.SourceAttribution,
		})
	}
	if len(m.AlsoFound) > 0 {
		also := make([]search.Result, len(m.AlsoFound))
		for i, s := range m.AlsoFound {
			also[i] = search.Result{Provider: s.Provider, Query: s.Query, Rank: int(s.Rank), ImageURL: s.ImageURL, PageURL: s.PageURL}
		}
		labelfree.Set(r, AlsoFound, also)
	}
	if m.HasTrueBoxes {
		boxes := make([]labelfree.Box, len(m.TrueBoxes))
		for i, b := range m.TrueBoxes {
			boxes[i] = labelfree.Box{X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1, Score: b.Score, Class: int(b.Class)}
		}
		labelfree.Set(r, labelfree.TrueBoxes, boxes)
	}
	if m.Error != "" || m.ErrorStage != "" {
		r.Fail(m.ErrorStage, errors.New(m.Error))
	}
	if m.Path == "" {
		return r, nil
	}
	// The manifest may come from elsewhere: its paths must stay inside dir.
	rel := filepath.FromSlash(m.Path)
	if filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("image path %q leaves the dataset directory", m.Path)
	}
	path := filepath.Join(dir, rel)
	labelfree.Set(r, labelfree.ImagePath, path)
	if load && r.Err == nil {
		b, err := os.ReadFile(path)
		if err != nil {
			r.Fail(ReadStage, err)
			return r, nil
		}
		sum := sha256.Sum256(b)
		if m.SHA256 != "" && hex.EncodeToString(sum[:]) != m.SHA256 {
			r.Fail(ReadStage, fmt.Errorf("image file %s does not match the manifest's SHA-256", m.Path))
			return r, nil
		}
		labelfree.Set(r, labelfree.ImageBytes, b)
	}
	return r, nil
}
