package coco

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// ReadOptions controls Read.
type ReadOptions struct {
	// Size gives the pixel size of images whose entry lacks width and
	// height (optional in COCO Camera Traps). Without it such images must
	// have no boxes.
	Size annot.SizeFunc
	// MaxBytes bounds the file size; 1 GiB when zero.
	MaxBytes int64
	// Location is the time zone of COCO Camera Traps datetime values, which
	// record the camera's wall clock without a zone; UTC when nil.
	Location *time.Location
}

// Tolerance is how many pixels a bbox may stick out of its image before
// Read rejects it; boxes within it are clipped.
const Tolerance = 1.0

// A FormatError reports a file that breaks the format's rules.
type FormatError struct {
	// Where locates the problem in the file; empty for the whole file.
	Where string
	// Reason says what is wrong.
	Reason string
}

// Error describes the problem and where it is.
func (e *FormatError) Error() string {
	if e.Where == "" {
		return "coco: " + e.Reason
	}
	return "coco: " + e.Where + ": " + e.Reason
}

// Read parses plain COCO or COCO Camera Traps JSON. It requires images and
// categories lists; unique image and category ids; a file_name per image;
// annotations that name a known image and category; bboxes of four finite
// numbers with positive size inside the image; scores, where present, in
// [0, 1]. The category named "empty" is not a class; the other categories,
// in id order, are. An annotation without a bbox is an image-level label.
// A corrupt image with no annotation other than "empty" becomes a failed
// image.
func Read(ctx context.Context, r io.Reader, opts *ReadOptions) (*annot.Set, error) {
	if opts == nil {
		opts = &ReadOptions{}
	}
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = 1 << 30
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, &FormatError{Reason: fmt.Sprintf("file is larger than %d bytes", limit)}
	}
	var f struct {
		Images      *[]json.RawMessage `json:"images"`
		Categories  *[]json.RawMessage `json:"categories"`
		Annotations []json.RawMessage  `json:"annotations"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, &FormatError{Reason: "not a COCO JSON object: " + err.Error()}
	}
	if f.Images == nil {
		return nil, &FormatError{Reason: `missing "images" list`}
	}
	if f.Categories == nil {
		return nil, &FormatError{Reason: `missing "categories" list`}
	}

	// Categories.
	type cat struct {
		id    int
		name  string
		class int // -1 for empty
	}
	cats := make([]cat, 0, len(*f.Categories))
	for i, raw := range *f.Categories {
		var c struct {
			ID   *int    `json:"id"`
			Name *string `json:"name"`
		}
		where := fmt.Sprintf("categories[%d]", i)
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, &FormatError{Where: where, Reason: "not a category object: " + err.Error()}
		}
		if c.ID == nil || *c.ID < 0 {
			return nil, &FormatError{Where: where, Reason: "id missing or negative"}
		}
		if c.Name == nil || strings.TrimSpace(*c.Name) == "" {
			return nil, &FormatError{Where: where, Reason: "name missing or blank"}
		}
		cats = append(cats, cat{id: *c.ID, name: *c.Name})
	}
	sort.SliceStable(cats, func(a, b int) bool { return cats[a].id < cats[b].id })
	s := &annot.Set{}
	catByID := map[int]int{}
	for i := range cats {
		c := &cats[i]
		if _, dup := catByID[c.id]; dup {
			return nil, &FormatError{Where: "categories", Reason: fmt.Sprintf("id %d appears twice", c.id)}
		}
		if c.name == EmptyCategory {
			c.class = -1
		} else {
			if s.ClassIndex(c.name) >= 0 {
				return nil, &FormatError{Where: "categories", Reason: fmt.Sprintf("name %q appears twice", c.name)}
			}
			c.class = len(s.Classes)
			s.Classes = append(s.Classes, c.name)
		}
		catByID[c.id] = c.class
	}

	// Images.
	s.Images = make([]annot.Image, 0, len(*f.Images))
	byID := map[string]int{}
	corrupt := map[int]bool{}
	for i, raw := range *f.Images {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var e struct {
			ID       json.RawMessage `json:"id"`
			FileName *string         `json:"file_name"`
			Width    int             `json:"width"`
			Height   int             `json:"height"`
			DateTime *string         `json:"datetime"`
			SeqID    json.RawMessage `json:"seq_id"`
			Location json.RawMessage `json:"location"`
			Corrupt  bool            `json:"corrupt"`
			Failure  string          `json:"failure"`
		}
		where := fmt.Sprintf("images[%d]", i)
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, &FormatError{Where: where, Reason: "not an image object: " + err.Error()}
		}
		id, ok := idKey(e.ID)
		if !ok {
			return nil, &FormatError{Where: where, Reason: "id missing or not a string or integer"}
		}
		if e.FileName == nil || strings.TrimSpace(*e.FileName) == "" {
			return nil, &FormatError{Where: where, Reason: "file_name missing or blank"}
		}
		where = fmt.Sprintf("images[%d] (%s)", i, *e.FileName)
		if _, dup := byID[id]; dup {
			return nil, &FormatError{Where: where, Reason: "id " + id + " appears twice"}
		}
		if e.Width < 0 || e.Height < 0 || (e.Width == 0) != (e.Height == 0) || int64(e.Width)*int64(e.Height) > annot.MaxPixels {
			return nil, &FormatError{Where: where, Reason: fmt.Sprintf("size %dx%d is not usable", e.Width, e.Height)}
		}
		im := annot.Image{File: *e.FileName, Width: e.Width, Height: e.Height}
		if e.DateTime != nil && *e.DateTime != "" {
			t, err := parseTime(*e.DateTime, opts.Location)
			if err != nil {
				return nil, &FormatError{Where: where, Reason: err.Error()}
			}
			im.Time = t
		}
		if im.Event, ok = optString(e.SeqID); !ok {
			return nil, &FormatError{Where: where, Reason: "seq_id is not a string or number"}
		}
		if im.Deployment, ok = optString(e.Location); !ok {
			return nil, &FormatError{Where: where, Reason: "location is not a string or number"}
		}
		if e.Corrupt {
			corrupt[len(s.Images)] = true
			im.Failure = e.Failure
			if im.Failure == "" {
				im.Failure = "corrupt"
			}
		}
		byID[id] = len(s.Images)
		s.Images = append(s.Images, im)
	}
	if opts.Size != nil {
		for i := range s.Images {
			im := &s.Images[i]
			if im.Normalized() && !corrupt[i] {
				w, h, err := opts.Size(im.File)
				if err != nil {
					return nil, fmt.Errorf("coco: size of image %q: %w", im.File, err)
				}
				im.Width, im.Height = w, h
			}
		}
	}

	// Annotations.
	for i, raw := range f.Annotations {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var a struct {
			ImageID    json.RawMessage `json:"image_id"`
			CategoryID *int            `json:"category_id"`
			BBox       []float64       `json:"bbox"`
			Score      *float64        `json:"score"`
		}
		where := fmt.Sprintf("annotations[%d]", i)
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, &FormatError{Where: where, Reason: "not an annotation object: " + err.Error()}
		}
		id, ok := idKey(a.ImageID)
		if !ok {
			return nil, &FormatError{Where: where, Reason: "image_id missing or not a string or integer"}
		}
		idx, ok := byID[id]
		if !ok {
			return nil, &FormatError{Where: where, Reason: "image_id " + id + " names no image"}
		}
		im := &s.Images[idx]
		where = fmt.Sprintf("%s (image %s)", where, im.File)
		if a.CategoryID == nil {
			return nil, &FormatError{Where: where, Reason: "category_id missing"}
		}
		class, ok := catByID[*a.CategoryID]
		if !ok {
			return nil, &FormatError{Where: where, Reason: fmt.Sprintf("category_id %d names no category", *a.CategoryID)}
		}
		if a.BBox == nil {
			if class >= 0 && !slices.Contains(im.Labels, class) {
				im.Labels = append(im.Labels, class)
			}
			continue
		}
		if class < 0 {
			return nil, &FormatError{Where: where, Reason: "a box of the empty category"}
		}
		b, err := pixelBox(im, a.BBox)
		if err != nil {
			return nil, &FormatError{Where: where, Reason: err.Error()}
		}
		if a.Score != nil {
			if !(*a.Score >= 0 && *a.Score <= 1) {
				return nil, &FormatError{Where: where, Reason: fmt.Sprintf("score %v is outside [0, 1]", *a.Score)}
			}
			b.Score = *a.Score
		}
		b.Class = class
		im.Boxes = append(im.Boxes, b)
	}
	for i := range s.Images {
		im := &s.Images[i]
		if corrupt[i] && (len(im.Boxes) > 0 || len(im.Labels) > 0) {
			im.Failure = "" // annotated despite the flag: keep the annotations
		}
		if im.Failure == "" && im.Boxes == nil {
			im.Boxes = []labelfree.Box{}
		}
	}
	return s, nil
}

func pixelBox(im *annot.Image, bb []float64) (labelfree.Box, error) {
	if len(bb) != 4 {
		return labelfree.Box{}, fmt.Errorf("bbox has %d numbers, want [x, y, width, height]", len(bb))
	}
	x, y, w, h := bb[0], bb[1], bb[2], bb[3]
	for _, v := range bb {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return labelfree.Box{}, fmt.Errorf("bbox has a non-finite number")
		}
	}
	if w <= 0 || h <= 0 {
		return labelfree.Box{}, fmt.Errorf("bbox size %gx%g is not positive", w, h)
	}
	if im.Normalized() {
		return labelfree.Box{}, fmt.Errorf("image has boxes but no width and height (pass ReadOptions.Size)")
	}
	W, H := float64(im.Width), float64(im.Height)
	if x < -Tolerance || y < -Tolerance || x+w > W+Tolerance || y+h > H+Tolerance {
		return labelfree.Box{}, fmt.Errorf("bbox [%g, %g, %g, %g] lies outside the %dx%d image", x, y, w, h, im.Width, im.Height)
	}
	b := labelfree.Box{X0: max(0, x), Y0: max(0, y), X1: min(W, x+w), Y1: min(H, y+h)}
	if b.X1 <= b.X0 || b.Y1 <= b.Y0 {
		return labelfree.Box{}, fmt.Errorf("bbox [%g, %g, %g, %g] has no area inside the image", x, y, w, h)
	}
	return b, nil
}

// idKey turns a string or integer id into a map key.
func idKey(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return "s" + s, true
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if _, err := n.Int64(); err == nil {
			return "n" + n.String(), true
		}
	}
	return "", false
}

func optString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), true
	}
	return "", false
}

var timeLayouts = []string{DateTimeLayout, "2006:01:02 15:04:05", "2006-01-02T15:04:05", time.RFC3339Nano}

func parseTime(v string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("datetime %q is not YYYY-MM-DD hh:mm:ss", v)
}
