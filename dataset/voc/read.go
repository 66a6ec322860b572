package voc

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/dataset/annot"
)

// ReadOptions controls ReadFS.
type ReadOptions struct {
	// Classes fixes the class names and their order; a box of another name
	// is an error. When nil, classes.txt is read, and without it the names
	// found are sorted.
	Classes []string
	// MaxBytes bounds one XML file; 16 MiB when zero.
	MaxBytes int64
}

// Tolerance is how many pixels a box may stick out of its image before
// ReadFS rejects it; boxes within it are clipped.
const Tolerance = 1.0

// A FormatError reports a file that breaks the format's rules.
type FormatError struct {
	// File is the path of the bad file within the dataset.
	File string
	// Reason says what is wrong.
	Reason string
}

// Error describes the problem and where it is.
func (e *FormatError) Error() string { return "voc: " + e.File + ": " + e.Reason }

// ReadFS reads every Annotations/**/*.xml of the VOC dataset at fsys, in
// path order. An image's File is its annotation's directory under
// Annotations/ joined with its filename. Each file must have a positive
// size and objects with a name and a bndbox of finite numbers, xmin ≤ xmax
// and ymin ≤ ymax, inside the image.
func ReadFS(ctx context.Context, fsys fs.FS, opts *ReadOptions) (*annot.Set, error) {
	if opts == nil {
		opts = &ReadOptions{}
	}
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = 16 << 20
	}
	s := &annot.Set{Classes: append([]string(nil), opts.Classes...)}
	fixed := opts.Classes != nil
	if !fixed {
		if data, err := fs.ReadFile(fsys, ClassesFile); err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
					s.Classes = append(s.Classes, l)
				}
			}
			fixed = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, &FormatError{File: ClassesFile, Reason: err.Error()}
		}
	}
	var files []string
	err := fs.WalkDir(fsys, "Annotations", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(path.Ext(p), ".xml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, &FormatError{File: "Annotations", Reason: err.Error()}
	}
	sort.Strings(files)
	splits, err := readSplits(fsys)
	if err != nil {
		return nil, err
	}
	type named struct {
		img, box int
		name     string
	}
	var names []named
	for _, p := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := annot.ReadFileLimit(fsys, p, limit)
		if err != nil {
			return nil, &FormatError{File: p, Reason: err.Error()}
		}
		im, objNames, err := parse(p, data)
		if err != nil {
			return nil, err
		}
		im.Split = splits[strings.TrimSuffix(im.File, path.Ext(im.File))]
		for j, n := range objNames {
			names = append(names, named{len(s.Images), j, n})
		}
		s.Images = append(s.Images, im)
	}
	if !fixed {
		seen := map[string]bool{}
		for _, n := range names {
			if !seen[n.name] {
				seen[n.name] = true
				s.Classes = append(s.Classes, n.name)
			}
		}
		sort.Strings(s.Classes)
	}
	for _, n := range names {
		c := s.ClassIndex(n.name)
		if c < 0 {
			return nil, &FormatError{File: s.Images[n.img].File, Reason: fmt.Sprintf("object %d: class %q is not in the class list", n.box, n.name)}
		}
		s.Images[n.img].Boxes[n.box].Class = c
	}
	return s, nil
}

// readSplits maps image ids to the split named by the ImageSets/Main file
// that lists them: train, or test for val and test. Other lists (trainval,
// per-class lists) are ignored.
func readSplits(fsys fs.FS) (map[string]string, error) {
	out := map[string]string{}
	for _, sp := range []string{"train", "val", "test"} {
		name := "ImageSets/Main/" + sp + ".txt"
		data, err := annot.ReadFileLimit(fsys, name, 256<<20)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &FormatError{File: name, Reason: err.Error()}
		}
		to := dataset.SplitTest
		if sp == "train" {
			to = dataset.SplitTrain
		}
		for _, id := range strings.Split(string(data), "\n") {
			if id = strings.TrimSpace(id); id != "" {
				if _, dup := out[id]; !dup {
					out[id] = to
				}
			}
		}
	}
	return out, nil
}

func parse(p string, data []byte) (annot.Image, []string, error) {
	bad := func(format string, args ...any) error {
		return &FormatError{File: p, Reason: fmt.Sprintf(format, args...)}
	}
	var a annotation
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&a); err != nil {
		return annot.Image{}, nil, bad("not a VOC annotation: %v", err)
	}
	if a.Filename == "" || strings.ContainsAny(a.Filename, `/\`) {
		return annot.Image{}, nil, bad("filename %q is missing or not a plain file name", a.Filename)
	}
	rel := strings.TrimPrefix(path.Dir(p), "Annotations")
	rel = strings.TrimPrefix(rel, "/")
	im := annot.Image{File: path.Join(rel, a.Filename), Boxes: []labelfree.Box{}}
	if a.Size == nil {
		return annot.Image{}, nil, bad("no size")
	}
	w, err1 := strconv.Atoi(strings.TrimSpace(a.Size.Width))
	h, err2 := strconv.Atoi(strings.TrimSpace(a.Size.Height))
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 || int64(w)*int64(h) > annot.MaxPixels {
		return annot.Image{}, nil, bad("size %qx%q is not a usable pixel size", a.Size.Width, a.Size.Height)
	}
	im.Width, im.Height = w, h
	names := make([]string, 0, len(a.Objects))
	for j, o := range a.Objects {
		if strings.TrimSpace(o.Name) == "" {
			return annot.Image{}, nil, bad("object %d has no name", j)
		}
		if o.BndBox == nil {
			return annot.Image{}, nil, bad("object %d (%s) has no bndbox", j, o.Name)
		}
		var v [4]float64
		for k, sv := range []string{o.BndBox.XMin, o.BndBox.YMin, o.BndBox.XMax, o.BndBox.YMax} {
			f, err := strconv.ParseFloat(strings.TrimSpace(sv), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return annot.Image{}, nil, bad("object %d (%s): bndbox value %q is not a finite number", j, o.Name, sv)
			}
			v[k] = f
		}
		x0, y0, x1, y1 := v[0]-1, v[1]-1, v[2], v[3]
		if x1 <= x0 || y1 <= y0 {
			return annot.Image{}, nil, bad("object %d (%s): bndbox xmin=%g ymin=%g xmax=%g ymax=%g has no area", j, o.Name, v[0], v[1], v[2], v[3])
		}
		W, H := float64(w), float64(h)
		if x0 < -Tolerance || y0 < -Tolerance || x1 > W+Tolerance || y1 > H+Tolerance {
			return annot.Image{}, nil, bad("object %d (%s): bndbox xmin=%g ymin=%g xmax=%g ymax=%g lies outside the %dx%d image", j, o.Name, v[0], v[1], v[2], v[3], w, h)
		}
		b := labelfree.Box{X0: max(0, x0), Y0: max(0, y0), X1: min(W, x1), Y1: min(H, y1)}
		if b.X1 <= b.X0 || b.Y1 <= b.Y0 {
			return annot.Image{}, nil, bad("object %d (%s): bndbox has no area inside the image", j, o.Name)
		}
		im.Boxes = append(im.Boxes, b)
		names = append(names, o.Name)
	}
	return im, names, nil
}
