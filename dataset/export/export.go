package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/camtrapdp"
	"github.com/labelfree/labelfree/dataset/coco"
	"github.com/labelfree/labelfree/dataset/megadetector"
	"github.com/labelfree/labelfree/dataset/voc"
	"github.com/labelfree/labelfree/dataset/yolo"
)

// A Format names one output.
type Format string

// The formats, with the file or directory name each is written to.
const (
	MegaDetector Format = "megadetector.json"
	COCO         Format = "coco.json"
	CameraTraps  Format = "coco-camera-traps.json"
	YOLO         Format = "yolo"
	VOC          Format = "voc"
	CamtrapDP    Format = "camtrap-dp"
)

// Formats lists every format in the order All writes them.
var Formats = []Format{MegaDetector, COCO, CameraTraps, YOLO, VOC, CamtrapDP}

// Options controls All. The zero value writes every format but Camtrap DP
// (which needs deployment coordinates) with each package's defaults.
type Options struct {
	// Formats picks the outputs; all that can be written when nil
	// (Camtrap DP only when CamtrapDP.Deployments is set).
	Formats []Format
	// ImageRoot, when set, is the directory of the source photos, copied
	// (without metadata) into yolo/, voc/ and camtrap-dp/.
	ImageRoot string
	// MegaDetector, COCO, YOLO, VOC and CamtrapDP are the per-format
	// options; nil means defaults. COCO's CameraTraps field is set per
	// output, and ImageRoot above fills theirs when empty.
	MegaDetector *megadetector.Options
	COCO         *coco.Options
	YOLO         *yolo.Options
	VOC          *voc.Options
	CamtrapDP    *camtrapdp.Options
}

// Result reports, per format, the images a training format left out.
type Result struct {
	// Reports has one entry per format written.
	Reports map[Format]*annot.Report
}

func (o *Options) formats() []Format {
	if o.Formats != nil {
		return o.Formats
	}
	out := []Format{MegaDetector, COCO, CameraTraps, YOLO, VOC}
	if o.CamtrapDP != nil && len(o.CamtrapDP.Deployments) > 0 {
		out = append(out, CamtrapDP)
	}
	return out
}

// All writes s under dir in the chosen formats.
func All(ctx context.Context, dir string, s *annot.Set, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := annot.Validate(s); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	res := &Result{Reports: map[Format]*annot.Report{}}
	for _, f := range opts.formats() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, string(f))
		var rep *annot.Report
		var err error
		switch f {
		case MegaDetector:
			err = writeFile(p, func(fh *os.File) error { return megadetector.Write(ctx, fh, s, opts.MegaDetector) })
		case COCO, CameraTraps:
			o := coco.Options{}
			if opts.COCO != nil {
				o = *opts.COCO
			}
			o.CameraTraps = f == CameraTraps
			err = writeFile(p, func(fh *os.File) error {
				var e error
				rep, e = coco.Write(ctx, fh, s, &o)
				return e
			})
		case YOLO:
			o := yolo.Options{}
			if opts.YOLO != nil {
				o = *opts.YOLO
			}
			if o.ImageRoot == "" {
				o.ImageRoot = opts.ImageRoot
			}
			rep, err = yolo.WriteDir(ctx, p, s, &o)
		case VOC:
			o := voc.Options{}
			if opts.VOC != nil {
				o = *opts.VOC
			}
			if o.ImageRoot == "" {
				o.ImageRoot = opts.ImageRoot
			}
			rep, err = voc.WriteDir(ctx, p, s, &o)
		case CamtrapDP:
			o := camtrapdp.Options{}
			if opts.CamtrapDP != nil {
				o = *opts.CamtrapDP
			}
			if o.ImageRoot == "" {
				o.ImageRoot = opts.ImageRoot
			}
			err = camtrapdp.WriteDir(ctx, p, s, &o)
		default:
			err = fmt.Errorf("unknown format %q", f)
		}
		if err != nil {
			return nil, fmt.Errorf("export: %s: %w", f, err)
		}
		if rep == nil {
			rep = &annot.Report{Written: len(s.Images)}
		}
		res.Reports[f] = rep
	}
	return res, nil
}

func writeFile(p string, write func(*os.File) error) error {
	fh, err := os.Create(p)
	if err != nil {
		return err
	}
	err = write(fh)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
	}
	return err
}

// ReadAll reads back every format present under dir. Formats that do not
// record image sizes get them from size (annot.DirSize over the photos, or
// annot.MapSize); nil leaves their boxes as fractions.
func ReadAll(ctx context.Context, dir string, size annot.SizeFunc) (map[Format]*annot.Set, error) {
	out := map[Format]*annot.Set{}
	for _, f := range Formats {
		p := filepath.Join(dir, string(f))
		if _, err := os.Stat(p); err != nil {
			continue
		}
		var s *annot.Set
		var err error
		switch f {
		case MegaDetector:
			err = readFile(p, func(fh *os.File) error {
				var e error
				s, e = megadetector.Read(ctx, fh, &megadetector.ReadOptions{Size: size})
				return e
			})
		case COCO, CameraTraps:
			err = readFile(p, func(fh *os.File) error {
				var e error
				s, e = coco.Read(ctx, fh, &coco.ReadOptions{Size: size})
				return e
			})
		case YOLO:
			s, err = yolo.ReadFS(ctx, os.DirFS(p), &yolo.ReadOptions{Size: size})
		case VOC:
			s, err = voc.ReadFS(ctx, os.DirFS(p), nil)
		case CamtrapDP:
			var pkg *camtrapdp.Package
			pkg, err = camtrapdp.ReadFS(ctx, os.DirFS(p), &camtrapdp.ReadOptions{Size: size})
			if err == nil {
				s = pkg.Set
			}
		}
		if err != nil {
			return nil, fmt.Errorf("export: read %s: %w", f, err)
		}
		out[f] = s
	}
	return out, nil
}

func readFile(p string, read func(*os.File) error) error {
	fh, err := os.Open(p)
	if err != nil {
		return err
	}
	defer fh.Close()
	return read(fh)
}
