package coco

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/labelfree/labelfree/dataset/annot"
)

// Options controls Write. The zero value writes plain COCO.
type Options struct {
	// CameraTraps writes COCO Camera Traps instead of plain COCO.
	CameraTraps bool
	// Description and Version fill the info object; "labelfree weak
	// boxes" and "1.0" when empty.
	Description, Version string
	// Created, when set, is written as info.date_created and info.year.
	Created time.Time
	// Supercategory, when set, is every category's supercategory.
	Supercategory string
	// Indent pretty-prints the JSON with two spaces.
	Indent bool
}

// Write validates s and writes it to w as COCO JSON. In plain COCO, images
// with a failure or with labels but no boxes are skipped and listed in the
// report; every image needs a known size. In COCO Camera Traps mode every
// image is written.
func Write(ctx context.Context, w io.Writer, s *annot.Set, opts *Options) (*annot.Report, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := annot.Validate(s); err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	if opts.CameraTraps && s.ClassIndex(EmptyCategory) >= 0 {
		return nil, fmt.Errorf("coco: class name %q is reserved for category 0 in COCO Camera Traps", EmptyCategory)
	}
	f := file{
		Info:        info{Version: opts.Version, Description: opts.Description},
		Images:      make([]image, 0, len(s.Images)),
		Categories:  make([]category, 0, len(s.Classes)+1),
		Annotations: []annotation{},
	}
	if f.Info.Version == "" {
		f.Info.Version = "1.0"
	}
	if f.Info.Description == "" {
		f.Info.Description = "labelfree weak boxes"
	}
	if !opts.Created.IsZero() {
		f.Info.Year = opts.Created.Year()
		f.Info.DateCreated = opts.Created.Format(DateTimeLayout)
	}
	if opts.CameraTraps {
		f.Categories = append(f.Categories, category{ID: 0, Name: EmptyCategory, Supercategory: opts.Supercategory})
	}
	for i, name := range s.Classes {
		f.Categories = append(f.Categories, category{ID: i + 1, Name: name, Supercategory: opts.Supercategory})
	}
	frames := frameNumbers(s)
	events := s.Events()
	rep := &annot.Report{}
	nAnn := 0
	newAnn := func(imgID json.RawMessage, cat int) annotation {
		nAnn++
		a := annotation{ImageID: imgID, CategoryID: cat}
		if opts.CameraTraps {
			a.ID = quote(fmt.Sprintf("a%d", nAnn))
		} else {
			a.ID = json.RawMessage(strconv.Itoa(nAnn))
		}
		return a
	}
	for i := range s.Images {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		im := &s.Images[i]
		if !opts.CameraTraps {
			if ok, why := im.Trainable(); !ok {
				rep.Skipped = append(rep.Skipped, annot.Skip{File: im.File, Reason: why})
				continue
			}
			if im.Normalized() {
				return nil, fmt.Errorf("coco: %w", &annot.ImageError{File: im.File, Err: fmt.Errorf("plain COCO needs the image size")})
			}
		}
		if opts.CameraTraps && im.Normalized() && len(im.Boxes) > 0 {
			return nil, fmt.Errorf("coco: %w", &annot.ImageError{File: im.File, Err: fmt.Errorf("COCO boxes are in pixels and the image size is unknown")})
		}
		e := image{FileName: im.File, Width: im.Width, Height: im.Height}
		if opts.CameraTraps {
			e.ID = quote(im.File)
			if !im.Time.IsZero() {
				e.DateTime = im.Time.Format(DateTimeLayout)
			}
			if im.Event != "" {
				e.SeqID = im.Event
				e.SeqNumFrames = len(events[im.Event])
				n := frames[i]
				e.FrameNum = &n
			}
			if im.Deployment != "" {
				e.Location = quote(im.Deployment)
			}
			if im.Failure != "" {
				e.Corrupt, e.Failure = true, im.Failure
			}
		} else {
			e.ID = json.RawMessage(strconv.Itoa(len(f.Images) + 1))
		}
		f.Images = append(f.Images, e)
		rep.Written++
		for _, b := range im.Boxes {
			a := newAnn(e.ID, b.Class+1)
			a.BBox = []float64{b.X0, b.Y0, b.X1 - b.X0, b.Y1 - b.Y0}
			area, crowd, score := a.BBox[2]*a.BBox[3], 0, b.Score
			a.Area, a.IsCrowd, a.Score = &area, &crowd, &score
			f.Annotations = append(f.Annotations, a)
		}
		if opts.CameraTraps && im.Failure == "" {
			for _, l := range im.Labels {
				f.Annotations = append(f.Annotations, newAnn(e.ID, l+1))
			}
			if len(im.Boxes) == 0 && len(im.Labels) == 0 {
				f.Annotations = append(f.Annotations, newAnn(e.ID, 0))
			}
		}
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if opts.Indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(&f); err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	return rep, nil
}

func quote(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// frameNumbers orders each event's images by capture time (then set order)
// and returns each image's 0-based frame number.
func frameNumbers(s *annot.Set) map[int]int {
	out := map[int]int{}
	for _, idx := range s.Events() {
		idx := append([]int(nil), idx...)
		sort.SliceStable(idx, func(a, b int) bool { return s.Images[idx[a]].Time.Before(s.Images[idx[b]].Time) })
		for n, i := range idx {
			out[i] = n
		}
	}
	return out
}
