package megadetector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// ReadOptions controls Read.
type ReadOptions struct {
	// Size, when set, gives the pixel size of each image with detections,
	// so boxes come back in pixels (annot.FSSize reads image headers); it is
	// asked for every image that did not fail.
	// Without it images have size 0×0 and boxes stay fractions.
	Size annot.SizeFunc
	// MaxBytes bounds the file size; 1 GiB when zero.
	MaxBytes int64
}

// Tolerance is how far (as a fraction of the image size) a box may stick
// out of [0, 1] before Read rejects it; boxes within it are clipped. Real
// files carry coordinates rounded to a few decimals.
const Tolerance = 1e-3

// A FormatError reports a file that breaks the format's rules.
type FormatError struct {
	// Where locates the problem ("images[3] (cam/1.jpg) detections[0]").
	Where  string
	Reason string
}

// Error describes the problem and where it is.
func (e *FormatError) Error() string {
	if e.Where == "" {
		return "megadetector: " + e.Reason
	}
	return "megadetector: " + e.Where + ": " + e.Reason
}

// Read parses a MegaDetector batch output file (format version 1.0 or
// later) and checks it against the format's rules: info with a
// string-formatted format_version, detection_categories with non-negative
// integer ids and non-blank names, images[] with a file each, detections
// that are a list unless failure is a string, each detection with a known
// category, a conf in [0, 1] and a bbox of four finite fractions with
// positive size. Every violation is a *FormatError naming the image.
//
// Classes are the detection category names in id order. When the file has
// classification_categories, a detection's class is its most confident
// classification, the classification names come first among the classes,
// and detection categories follow only for detections without one.
func Read(ctx context.Context, r io.Reader, opts *ReadOptions) (*annot.Set, error) {
	if opts == nil {
		opts = &ReadOptions{}
	}
	max := opts.MaxBytes
	if max <= 0 {
		max = 1 << 30
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("megadetector: %w", err)
	}
	if int64(len(data)) > max {
		return nil, &FormatError{Reason: fmt.Sprintf("file is larger than %d bytes", max)}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, &FormatError{Reason: "not a JSON object: " + err.Error()}
	}
	for _, k := range []string{"info", "detection_categories", "images"} {
		if v, ok := top[k]; !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return nil, &FormatError{Reason: "missing required field " + strconv.Quote(k)}
		}
	}
	var inf struct {
		FormatVersion json.RawMessage `json:"format_version"`
	}
	if err := json.Unmarshal(top["info"], &inf); err != nil {
		return nil, &FormatError{Where: "info", Reason: "not an object"}
	}
	var version string
	if err := json.Unmarshal(inf.FormatVersion, &version); err != nil || version == "" {
		return nil, &FormatError{Where: "info.format_version", Reason: "missing or not a string"}
	}
	if v, err := strconv.ParseFloat(version, 64); err != nil || v < 1 || math.IsInf(v, 0) {
		return nil, &FormatError{Where: "info.format_version", Reason: fmt.Sprintf("%q is not a version number 1.0 or later", version)}
	}
	detCats, detIDs, err := readCategories(top["detection_categories"], "detection_categories")
	if err != nil {
		return nil, err
	}
	var clsCats map[string]string
	var clsIDs []string
	if raw, ok := top["classification_categories"]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if clsCats, clsIDs, err = readCategories(raw, "classification_categories"); err != nil {
			return nil, err
		}
	}
	var images []json.RawMessage
	if err := json.Unmarshal(top["images"], &images); err != nil {
		return nil, &FormatError{Where: "images", Reason: "not a list"}
	}

	s := &annot.Set{Images: make([]annot.Image, 0, len(images))}
	classOf := map[string]int{} // "d:<id>" or "c:<id>" -> class index
	addClass := func(key, name string) int {
		if i, ok := classOf[key]; ok {
			return i
		}
		// Names need not be unique in this format; one name is one class.
		if i := s.ClassIndex(name); i >= 0 {
			classOf[key] = i
			return i
		}
		i := len(s.Classes)
		s.Classes = append(s.Classes, name)
		classOf[key] = i
		return i
	}
	for _, id := range clsIDs {
		addClass("c:"+id, clsCats[id])
	}
	if len(clsIDs) == 0 {
		for _, id := range detIDs {
			addClass("d:"+id, detCats[id])
		}
	}
	var pendingDet []string // detection categories used without classification
	usedDet := map[string]bool{}

	// fixup records a box whose class is a detection category that joins
	// the classes only after all classification names.
	type fixup struct {
		img, box int
		det      string
	}
	var fixups []fixup
	for i, raw := range images {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var e struct {
			File       *string         `json:"file"`
			Detections json.RawMessage `json:"detections"`
			Failure    json.RawMessage `json:"failure"`
		}
		where := fmt.Sprintf("images[%d]", i)
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, &FormatError{Where: where, Reason: "not an image object: " + err.Error()}
		}
		if e.File == nil || strings.TrimSpace(*e.File) == "" {
			return nil, &FormatError{Where: where, Reason: "has no file"}
		}
		im := annot.Image{File: *e.File}
		where = fmt.Sprintf("images[%d] (%s)", i, im.File)
		failed := false
		if len(e.Failure) > 0 && !isNull(e.Failure) {
			var msg string
			if err := json.Unmarshal(e.Failure, &msg); err != nil {
				return nil, &FormatError{Where: where, Reason: "failure is not a string"}
			}
			if len(e.Detections) > 0 && !isNull(e.Detections) {
				return nil, &FormatError{Where: where, Reason: "has a failure and a non-null detections list"}
			}
			if msg == "" {
				msg = "failure"
			}
			im.Failure, failed = msg, true
		}
		if !failed {
			if len(e.Detections) == 0 || isNull(e.Detections) {
				return nil, &FormatError{Where: where, Reason: "a processed image needs a detections list (empty when nothing was found)"}
			}
			var dets []struct {
				Category        *string          `json:"category"`
				Conf            *float           `json:"conf"`
				BBox            []float          `json:"bbox"`
				Classifications []classification `json:"classifications"`
			}
			if err := json.Unmarshal(e.Detections, &dets); err != nil {
				return nil, &FormatError{Where: where + " detections", Reason: "not a list of detections: " + err.Error()}
			}
			im.Boxes = make([]labelfree.Box, 0, len(dets))
			for j, d := range dets {
				dw := fmt.Sprintf("%s detections[%d]", where, j)
				if d.Category == nil {
					return nil, &FormatError{Where: dw, Reason: "has no category"}
				}
				if _, ok := detCats[*d.Category]; !ok {
					return nil, &FormatError{Where: dw, Reason: fmt.Sprintf("category %q is not in detection_categories", *d.Category)}
				}
				if d.Conf == nil {
					return nil, &FormatError{Where: dw, Reason: "has no conf"}
				}
				conf := float64(*d.Conf)
				if !(conf >= 0 && conf <= 1) {
					return nil, &FormatError{Where: dw, Reason: fmt.Sprintf("conf %v is outside [0, 1]", conf)}
				}
				if len(d.BBox) != 4 {
					return nil, &FormatError{Where: dw, Reason: fmt.Sprintf("bbox has %d numbers, want [x_min, y_min, width, height]", len(d.BBox))}
				}
				x, y, w, h := float64(d.BBox[0]), float64(d.BBox[1]), float64(d.BBox[2]), float64(d.BBox[3])
				b, err := fracBox(x, y, w, h)
				if err != nil {
					return nil, &FormatError{Where: dw, Reason: err.Error()}
				}
				b.Score = conf
				if len(d.Classifications) > 0 && clsCats != nil {
					best := d.Classifications[0]
					for _, c := range d.Classifications {
						if _, ok := clsCats[c.Category]; !ok {
							return nil, &FormatError{Where: dw, Reason: fmt.Sprintf("classification category %q is not in classification_categories", c.Category)}
						}
						if cf := float64(c.Conf); !(cf >= 0 && cf <= 1) {
							return nil, &FormatError{Where: dw, Reason: fmt.Sprintf("classification conf %v is outside [0, 1]", cf)}
						}
						if c.Conf > best.Conf {
							best = c
						}
					}
					b.Class = classOf["c:"+best.Category]
				} else if len(clsIDs) > 0 {
					if !usedDet[*d.Category] {
						usedDet[*d.Category] = true
						pendingDet = append(pendingDet, *d.Category)
					}
					fixups = append(fixups, fixup{img: len(s.Images), box: j, det: *d.Category})
				} else {
					b.Class = classOf["d:"+*d.Category]
				}
				im.Boxes = append(im.Boxes, b)
			}
		}
		s.Images = append(s.Images, im)
	}
	// Detection categories used without a classification join the classes
	// after the classification names, in id order.
	sort.Slice(pendingDet, func(a, b int) bool { return idLess(pendingDet[a], pendingDet[b]) })
	for _, id := range pendingDet {
		addClass("d:"+id, detCats[id])
	}
	for _, f := range fixups {
		s.Images[f.img].Boxes[f.box].Class = classOf["d:"+f.det]
	}
	if err := s.Resolve(opts.Size, true); err != nil {
		return nil, fmt.Errorf("megadetector: %w", err)
	}
	return s, nil
}

func isNull(b json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// fracBox checks a [x, y, w, h] box in fractions and returns it as a
// labelfree.Box in fractions, clipped to [0, 1].
func fracBox(x, y, w, h float64) (labelfree.Box, error) {
	for _, v := range []float64{x, y, w, h} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return labelfree.Box{}, errors.New("bbox has a non-finite number")
		}
	}
	if w <= 0 || h <= 0 {
		return labelfree.Box{}, fmt.Errorf("bbox size %gx%g is not positive", w, h)
	}
	if x < -Tolerance || y < -Tolerance || x+w > 1+Tolerance || y+h > 1+Tolerance {
		return labelfree.Box{}, fmt.Errorf("bbox [%g, %g, %g, %g] lies outside the image (coordinates are fractions of its size)", x, y, w, h)
	}
	b := labelfree.Box{X0: max(0, x), Y0: max(0, y), X1: min(1, x+w), Y1: min(1, y+h)}
	if b.X1 <= b.X0 || b.Y1 <= b.Y0 {
		return labelfree.Box{}, fmt.Errorf("bbox [%g, %g, %g, %g] has no area inside the image", x, y, w, h)
	}
	return b, nil
}

// readCategories parses a category map and returns it with its ids sorted
// numerically.
func readCategories(raw json.RawMessage, field string) (map[string]string, []string, error) {
	var cats map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cats); err != nil {
		return nil, nil, &FormatError{Where: field, Reason: "not an object mapping ids to names"}
	}
	out := make(map[string]string, len(cats))
	ids := make([]string, 0, len(cats))
	for id, v := range cats {
		n, err := strconv.Atoi(id)
		if err != nil || n < 0 || strconv.Itoa(n) != id {
			return nil, nil, &FormatError{Where: field, Reason: fmt.Sprintf("id %q is not a non-negative string-formatted integer", id)}
		}
		var name string
		if err := json.Unmarshal(v, &name); err != nil {
			return nil, nil, &FormatError{Where: field + "[" + strconv.Quote(id) + "]", Reason: "name is not a string"}
		}
		if strings.TrimSpace(name) == "" {
			return nil, nil, &FormatError{Where: field + "[" + strconv.Quote(id) + "]", Reason: "name is blank"}
		}
		out[id] = name
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return idLess(ids[a], ids[b]) })
	return out, ids, nil
}

func idLess(a, b string) bool {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x < y
}
