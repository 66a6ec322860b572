package yolo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/dataset/annot"
)

// ReadOptions controls ReadFS.
type ReadOptions struct {
	// YAML names the dataset file; "data.yaml" when empty.
	YAML string
	// Size gives each image's pixel size from its File; when nil the image
	// header in the dataset is read, and an image that is not there keeps
	// its boxes as fractions.
	Size annot.SizeFunc
	// MaxLabelBytes bounds one label file; 64 MiB when zero.
	MaxLabelBytes int64
}

// Tolerance is how far (as a fraction of the image) a box may stick out of
// the image before ReadFS rejects it; boxes within it are clipped.
const Tolerance = 1e-6

// A FormatError reports a file that breaks the format's rules.
type FormatError struct {
	// File is the path of the bad file within the dataset.
	File string
	// Line is the 1-based line, 0 when the problem is not about one line.
	Line int
	// Reason says what is wrong.
	Reason string
}

// Error describes the problem and where it is.
func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("yolo: %s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("yolo: %s: %s", e.File, e.Reason)
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".bmp": true, ".tif": true, ".tiff": true, ".webp": true, ".dng": true, ".mpo": true, ".pfm": true, ".heic": true}

// ReadFS reads a YOLO dataset rooted at fsys. The train, val and test
// entries of data.yaml may each be a directory of images, a .txt list of
// image paths, or a list of either. Images are read in split order (train,
// val, test) and, within a directory, by name; data.yaml's path is ignored
// and every entry is read relative to fsys. An image's File is its path
// with the leading images/<split>/ removed, its Split dataset.SplitTrain
// for the train entries and dataset.SplitTest for val and test. A missing
// label file means no boxes.
func ReadFS(ctx context.Context, fsys fs.FS, opts *ReadOptions) (*annot.Set, error) {
	if opts == nil {
		opts = &ReadOptions{}
	}
	yname := opts.YAML
	if yname == "" {
		yname = "data.yaml"
	}
	raw, err := annot.ReadFileLimit(fsys, yname, 1<<20)
	if err != nil {
		return nil, &FormatError{File: yname, Reason: err.Error()}
	}
	var y struct {
		Train, Val, Test yaml.Node
		NC               *int `yaml:"nc"`
		Names            yaml.Node
	}
	if err := yaml.Unmarshal(raw, &y); err != nil {
		return nil, &FormatError{File: yname, Reason: "not YAML: " + err.Error()}
	}
	s := &annot.Set{}
	if s.Classes, err = names(&y.Names); err != nil {
		return nil, &FormatError{File: yname, Reason: err.Error()}
	}
	if y.NC != nil && *y.NC != len(s.Classes) {
		return nil, &FormatError{File: yname, Reason: fmt.Sprintf("nc is %d but %d names are given", *y.NC, len(s.Classes))}
	}
	size := opts.Size
	headers := annot.FSSize(fsys)
	maxLabel := opts.MaxLabelBytes
	if maxLabel <= 0 {
		maxLabel = 64 << 20
	}
	seen := map[string]bool{}
	for _, sp := range []struct {
		name string
		node *yaml.Node
	}{{Train, &y.Train}, {Val, &y.Val}, {Test, &y.Test}} {
		entries, err := stringList(sp.node)
		if err != nil {
			return nil, &FormatError{File: yname, Reason: sp.name + ": " + err.Error()}
		}
		if sp.name == Train && len(entries) == 0 {
			return nil, &FormatError{File: yname, Reason: "no train split"}
		}
		for _, entry := range entries {
			imgs, err := listImages(fsys, entry)
			if err != nil {
				return nil, &FormatError{File: yname, Reason: sp.name + ": " + err.Error()}
			}
			for _, p := range imgs {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				im := annot.Image{File: fileOf(p), Boxes: []labelfree.Box{}, Split: dataset.SplitTest}
				if sp.name == Train {
					im.Split = dataset.SplitTrain
				}
				if seen[im.File] {
					return nil, &FormatError{File: p, Reason: "image appears twice"}
				}
				seen[im.File] = true
				if size != nil {
					if im.Width, im.Height, err = size(im.File); err != nil {
						return nil, fmt.Errorf("yolo: size of image %q: %w", im.File, err)
					}
				} else if _, err := fs.Stat(fsys, p); err == nil {
					if im.Width, im.Height, err = headers(p); err != nil {
						return nil, fmt.Errorf("yolo: size of image %q: %w", im.File, err)
					}
				}
				lp := LabelPath(p)
				data, err := annot.ReadFileLimit(fsys, lp, maxLabel)
				if errors.Is(err, fs.ErrNotExist) {
					s.Images = append(s.Images, im)
					continue
				}
				if err != nil {
					return nil, &FormatError{File: lp, Reason: err.Error()}
				}
				if err := parseLabels(&im, lp, data, len(s.Classes)); err != nil {
					return nil, err
				}
				s.Images = append(s.Images, im)
			}
		}
	}
	return s, nil
}

// fileOf strips a leading images/<split>/ from p.
func fileOf(p string) string {
	if rest, ok := strings.CutPrefix(p, "images/"); ok {
		if _, after, ok := strings.Cut(rest, "/"); ok && after != "" {
			return after
		}
	}
	return p
}

func parseLabels(im *annot.Image, file string, data []byte, nc int) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return &FormatError{File: file, Line: n, Reason: fmt.Sprintf(format, args...)}
		}
		if len(f) != 5 && len(f) != 6 {
			if len(f) > 6 {
				return bad("%d columns: segmentation polygons are not supported, want class x_center y_center width height [conf]", len(f))
			}
			return bad("%d columns, want class x_center y_center width height [conf]", len(f))
		}
		class, err := strconv.Atoi(f[0])
		if err != nil || class < 0 || class >= nc {
			return bad("class %q is not an index below nc=%d", f[0], nc)
		}
		var v [5]float64
		for i := 1; i < len(f); i++ {
			x, err := strconv.ParseFloat(f[i], 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return bad("column %d %q is not a finite number", i+1, f[i])
			}
			v[i-1] = x
		}
		xc, yc, w, h := v[0], v[1], v[2], v[3]
		if w <= 0 || h <= 0 {
			return bad("box size %gx%g is not positive", w, h)
		}
		x0, y0, x1, y1 := xc-w/2, yc-h/2, xc+w/2, yc+h/2
		if x0 < -Tolerance || y0 < -Tolerance || x1 > 1+Tolerance || y1 > 1+Tolerance {
			return bad("box (centre %g,%g size %gx%g) lies outside the image (values are fractions of its size)", xc, yc, w, h)
		}
		score := 0.0
		if len(f) == 6 {
			if score = v[4]; score < 0 || score > 1 {
				return bad("confidence %g is outside [0, 1]", score)
			}
		}
		cx0, cy0, cx1, cy1 := max(0, x0), max(0, y0), min(1, x1), min(1, y1)
		if cx1 <= cx0 || cy1 <= cy0 {
			return bad("box (centre %g,%g size %gx%g) has no area inside the image", xc, yc, w, h)
		}
		b := im.FromFrac(cx0, cy0, cx1-cx0, cy1-cy0, score, class)
		im.Boxes = append(im.Boxes, b)
	}
	if err := sc.Err(); err != nil {
		return &FormatError{File: file, Reason: err.Error()}
	}
	return nil
}

// listImages returns the image paths an entry names: the lines of a .txt
// list, or the image files under a directory.
func listImages(fsys fs.FS, entry string) ([]string, error) {
	entry, err := cleanPath(entry)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(entry, ".txt") {
		data, err := annot.ReadFileLimit(fsys, entry, 256<<20)
		if err != nil {
			return nil, fmt.Errorf("image list %s: %w", entry, err)
		}
		var out []string
		for n, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			p, err := cleanPath(line)
			if err != nil {
				return nil, fmt.Errorf("image list %s line %d: %w", entry, n+1, err)
			}
			out = append(out, p)
		}
		return out, nil
	}
	var out []string
	err = fs.WalkDir(fsys, entry, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && imageExts[strings.ToLower(path.Ext(p))] {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("image directory %s: %w", entry, err)
	}
	sort.Strings(out)
	return out, nil
}

func cleanPath(p string) (string, error) {
	p = strings.TrimPrefix(path.Clean(strings.ReplaceAll(p, `\`, "/")), "./")
	if !fs.ValidPath(p) {
		return "", fmt.Errorf("path %q is absolute or leaves the dataset directory", p)
	}
	return p, nil
}

func names(n *yaml.Node) ([]string, error) {
	var out []string
	switch n.Kind {
	case yaml.SequenceNode:
		if err := n.Decode(&out); err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
	case yaml.MappingNode:
		var m map[int]string
		if err := n.Decode(&m); err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
		out = make([]string, len(m))
		for k, v := range m {
			if k < 0 || k >= len(m) {
				return nil, fmt.Errorf("names: class ids must run from 0 to %d, got %d", len(m)-1, k)
			}
			out[k] = v
		}
	default:
		return nil, errors.New("names is missing or not a list or mapping")
	}
	for i, v := range out {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("names: class %d is blank", i)
		}
	}
	return out, nil
}

func stringList(n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		var out []string
		if err := n.Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, errors.New("not a path or list of paths")
}
