package voc

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labelfree/labelfree/dataset/annot"
)

// Options controls WriteDir. The zero value writes each image to its
// Split ("train" when it has none), with fractional coordinates, and copies
// no images.
type Options struct {
	// Split names each image's split (ImageSets/Main/<split>.txt); the
	// image's Split, or "train", when nil or when it returns "".
	Split func(im *annot.Image) string
	// ImageRoot, when set, is the directory holding the source images; each
	// is copied without metadata into JPEGImages/.
	ImageRoot string
	// Round widens each box to whole pixels (floor of the left and top
	// edges, ceiling of the right and bottom) for tools that parse
	// coordinates as integers. Lossy for fractional boxes.
	Round bool
	// Database fills source/database; "labelfree" when empty.
	Database string
}

// WriteDir validates s and writes it under dir in the Pascal VOC layout.
func WriteDir(ctx context.Context, dir string, s *annot.Set, opts *Options) (*annot.Report, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := annot.Validate(s); err != nil {
		return nil, fmt.Errorf("voc: %w", err)
	}
	for _, c := range s.Classes {
		if strings.ContainsAny(c, "\r\n") {
			return nil, fmt.Errorf("voc: class name %q has a line break", c)
		}
	}
	db := opts.Database
	if db == "" {
		db = "labelfree"
	}
	rep := &annot.Report{}
	splits := map[string][]string{}
	var order []string
	for i := range s.Images {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		im := &s.Images[i]
		if ok, why := im.Trainable(); !ok {
			rep.Skipped = append(rep.Skipped, annot.Skip{File: im.File, Reason: why})
			continue
		}
		if im.Normalized() {
			return nil, fmt.Errorf("voc: %w", &annot.ImageError{File: im.File, Err: fmt.Errorf("VOC needs the image size")})
		}
		id := strings.TrimSuffix(im.File, path.Ext(im.File))
		folder, name := path.Split(im.File)
		a := annotation{
			Folder:   strings.TrimSuffix(folder, "/"),
			Filename: name,
			Path:     im.File,
			Source:   source{Database: db},
			Size:     &size{Width: strconv.Itoa(im.Width), Height: strconv.Itoa(im.Height), Depth: "3"},
		}
		for _, b := range im.Boxes {
			x0, y0, x1, y1 := b.X0, b.Y0, b.X1, b.Y1
			if opts.Round {
				x0, y0, x1, y1 = math.Floor(x0), math.Floor(y0), math.Ceil(x1), math.Ceil(y1)
			}
			trunc := 0
			if x0 <= 0 || y0 <= 0 || x1 >= float64(im.Width) || y1 >= float64(im.Height) {
				trunc = 1
			}
			a.Objects = append(a.Objects, object{
				Name: s.Classes[b.Class], Pose: "Unspecified", Truncated: trunc,
				BndBox: &bndbox{XMin: num(x0 + 1), YMin: num(y0 + 1), XMax: num(x1), YMax: num(y1)},
			})
		}
		var buf bytes.Buffer
		enc := xml.NewEncoder(&buf)
		enc.Indent("", "\t")
		if err := enc.Encode(&a); err != nil {
			return nil, fmt.Errorf("voc: image %q: %w", im.File, err)
		}
		buf.WriteByte('\n')
		if err := writeFile(filepath.Join(dir, "Annotations", filepath.FromSlash(id)+".xml"), buf.Bytes()); err != nil {
			return nil, err
		}
		if opts.ImageRoot != "" {
			if err := annot.CopyImageFile(ctx, filepath.Join(dir, "JPEGImages", filepath.FromSlash(im.File)), filepath.Join(opts.ImageRoot, filepath.FromSlash(im.File))); err != nil {
				return nil, fmt.Errorf("voc: %w", err)
			}
		}
		sp := "train"
		if im.Split != "" {
			sp = im.Split
		}
		if opts.Split != nil {
			if v := opts.Split(im); v != "" {
				sp = v
			}
		}
		if !annot.ValidPath(sp) || strings.Contains(sp, "/") {
			return nil, fmt.Errorf("voc: image %q: split name %q is not a plain file name", im.File, sp)
		}
		if _, ok := splits[sp]; !ok {
			order = append(order, sp)
		}
		splits[sp] = append(splits[sp], id)
		rep.Written++
	}
	for _, sp := range order {
		if err := writeFile(filepath.Join(dir, "ImageSets", "Main", sp+".txt"), []byte(strings.Join(splits[sp], "\n")+"\n")); err != nil {
			return nil, err
		}
	}
	if err := writeFile(filepath.Join(dir, ClassesFile), []byte(strings.Join(s.Classes, "\n")+"\n")); err != nil {
		return nil, err
	}
	return rep, nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("voc: %w", err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("voc: %w", err)
	}
	return nil
}
