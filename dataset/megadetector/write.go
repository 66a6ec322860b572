package megadetector

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// Options controls Write. The zero value writes a valid file.
type Options struct {
	// Detector names the model that made the boxes (info.detector);
	// "labelfree" when empty.
	Detector string
	// DetectorVersion is written into info.detector_metadata.
	DetectorVersion string
	// Completed is written as info.detection_completion_time when set.
	Completed time.Time
	// TypicalThreshold and ConservativeThreshold are the confidence
	// thresholds recommended to downstream tools (Timelapse uses them as
	// defaults); DefaultTypicalThreshold and DefaultConservativeThreshold
	// when zero. Each must lie in [0, 1] and conservative ≤ typical.
	TypicalThreshold, ConservativeThreshold float64
	// Classifications writes every box as an "animal" detection with its
	// class as a classification, instead of one detection category per
	// class.
	Classifications bool
	// Indent pretty-prints the JSON with two spaces.
	Indent bool
}

// Validate reports a bad option as a *labelfree.ParamError.
func (o *Options) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: "megadetector", Field: field, Reason: reason}
	}
	t, c := o.thresholds()
	switch {
	case t < 0 || t > 1 || t != t:
		return bad("TypicalThreshold", "must lie in [0, 1]")
	case c < 0 || c > 1 || c != c:
		return bad("ConservativeThreshold", "must lie in [0, 1]")
	case c > t:
		return bad("ConservativeThreshold", "must not exceed TypicalThreshold")
	}
	return nil
}

func (o *Options) thresholds() (typical, conservative float64) {
	typical, conservative = o.TypicalThreshold, o.ConservativeThreshold
	if typical == 0 {
		typical = DefaultTypicalThreshold
	}
	if conservative == 0 {
		conservative = DefaultConservativeThreshold
	}
	return typical, conservative
}

// CategoryID returns the detection category id Write gives class i in the
// default layout: "1" for class 0, and so on; "0" is never used.
func CategoryID(i int) string { return strconv.Itoa(i + 1) }

// Write validates s (annot.Validate: image paths must be relative slash
// paths, although the format also allows absolute ones) and writes it to w
// as a MegaDetector batch output file.
// Images with unknown size must already have boxes as fractions; a failed
// image is written with its failure and "detections": null.
func Write(ctx context.Context, w io.Writer, s *annot.Set, opts *Options) error {
	if opts == nil {
		opts = &Options{}
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	if err := annot.Validate(s); err != nil {
		return fmt.Errorf("megadetector: %w", err)
	}
	f := file{
		Info:                info{FormatVersion: json.RawMessage(strconv.Quote(FormatVersion)), Detector: opts.Detector},
		DetectionCategories: map[string]string{},
		Images:              make([]imageEntry, 0, len(s.Images)),
	}
	if f.Info.Detector == "" {
		f.Info.Detector = "labelfree"
	}
	if !opts.Completed.IsZero() {
		f.Info.DetectionCompletionTime = opts.Completed.Format(time.DateTime)
	}
	t, c := opts.thresholds()
	f.Info.DetectorMetadata = &metadata{DetectorVersion: opts.DetectorVersion, TypicalDetectionThreshold: float(t), ConservativeDetectionThreshold: float(c)}
	if opts.Classifications {
		f.DetectionCategories[AnimalCategory] = AnimalCategoryName
		f.ClassificationCategories = map[string]string{}
		for i, name := range s.Classes {
			f.ClassificationCategories[strconv.Itoa(i)] = name
		}
	} else {
		for i, name := range s.Classes {
			f.DetectionCategories[CategoryID(i)] = name
		}
	}
	for i := range s.Images {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		im := &s.Images[i]
		e := imageEntry{File: im.File}
		if im.Failure != "" {
			msg := im.Failure
			e.Failure = &msg
			f.Images = append(f.Images, e)
			continue
		}
		dets := make([]detection, 0, len(im.Boxes))
		for _, b := range im.Boxes {
			x, y, bw, bh := im.Frac(b)
			d := detection{Conf: float(b.Score), BBox: []float{float(x), float(y), float(bw), float(bh)}}
			if opts.Classifications {
				d.Category = AnimalCategory
				d.Classifications = []classification{{Category: strconv.Itoa(b.Class), Conf: float(b.Score)}}
			} else {
				d.Category = CategoryID(b.Class)
			}
			dets = append(dets, d)
		}
		e.Detections = &dets
		f.Images = append(f.Images, e)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if opts.Indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(&f); err != nil {
		return fmt.Errorf("megadetector: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("megadetector: %w", err)
	}
	return nil
}
