package yolo

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/dataset/annot"
)

// Split names.
const (
	Train = "train"
	Val   = "val"
	Test  = "test"
)

// Options controls WriteDir. The zero value follows each image's Split
// (labelfree's held-out "test" split becomes YOLO's val split, which
// Ultralytics validates on), puts images without one in train, and copies
// no images.
type Options struct {
	// ValFraction is the share of images without a Split put in the val
	// split, chosen by a hash of the file name so the split is stable
	// across runs; 0 puts them all in train. Must lie in [0, 1).
	ValFraction float64
	// Split, when set, overrides ValFraction: it names each image's split
	// (Train, Val or Test).
	Split func(im *annot.Image) string
	// ImageRoot, when set, is the directory holding the source images
	// (joined with Image.File); each is copied without metadata into
	// images/<split>/.
	ImageRoot string
	// Scores writes each box's confidence as a sixth column.
	Scores bool
}

// Validate reports a bad option as a *labelfree.ParamError.
func (o *Options) Validate() error {
	if !(o.ValFraction >= 0 && o.ValFraction < 1) {
		return &labelfree.ParamError{Stage: "yolo", Field: "ValFraction", Reason: "must lie in [0, 1)"}
	}
	return nil
}

func (o *Options) split(im *annot.Image) (string, error) {
	if o.Split != nil {
		sp := o.Split(im)
		if sp != Train && sp != Val && sp != Test {
			return "", fmt.Errorf("yolo: image %q: split %q is not train, val or test", im.File, sp)
		}
		return sp, nil
	}
	switch im.Split {
	case dataset.SplitTrain:
		return Train, nil
	case dataset.SplitTest, Val:
		return Val, nil
	}
	if o.ValFraction > 0 {
		h := fnv.New64a()
		h.Write([]byte(im.File))
		if float64(h.Sum64()>>11)/(1<<53) < o.ValFraction {
			return Val, nil
		}
	}
	return Train, nil
}

type dataYAML struct {
	Path  string         `yaml:"path"`
	Train string         `yaml:"train"`
	Val   string         `yaml:"val"`
	Test  string         `yaml:"test,omitempty"`
	NC    int            `yaml:"nc"`
	Names map[int]string `yaml:"names"`
}

// WriteDir validates s and writes it under dir in the YOLO layout.
func WriteDir(ctx context.Context, dir string, s *annot.Set, opts *Options) (*annot.Report, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := annot.Validate(s); err != nil {
		return nil, fmt.Errorf("yolo: %w", err)
	}
	rep := &annot.Report{}
	lists := map[string][]string{}
	for i := range s.Images {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		im := &s.Images[i]
		if ok, why := im.Trainable(); !ok {
			rep.Skipped = append(rep.Skipped, annot.Skip{File: im.File, Reason: why})
			continue
		}
		split, err := opts.split(im)
		if err != nil {
			return nil, err
		}
		imgRel := path.Join("images", split, im.File)
		lblRel := LabelPath(imgRel)
		if err := writeLabels(filepath.Join(dir, filepath.FromSlash(lblRel)), im, opts.Scores); err != nil {
			return nil, err
		}
		if opts.ImageRoot != "" {
			if err := annot.CopyImageFile(ctx, filepath.Join(dir, filepath.FromSlash(imgRel)), filepath.Join(opts.ImageRoot, filepath.FromSlash(im.File))); err != nil {
				return nil, fmt.Errorf("yolo: %w", err)
			}
		}
		lists[split] = append(lists[split], "./"+imgRel)
		rep.Written++
	}
	y := dataYAML{Path: ".", Train: "train.txt", Val: "val.txt", NC: len(s.Classes), Names: map[int]string{}}
	for i, n := range s.Classes {
		y.Names[i] = n
	}
	if len(lists[Test]) > 0 {
		y.Test = "test.txt"
	}
	for _, sp := range []string{Train, Val, Test} {
		if sp == Test && len(lists[sp]) == 0 {
			continue
		}
		// Ultralytics needs a val split; an empty list is valid.
		if err := writeFile(filepath.Join(dir, sp+".txt"), strings.Join(lists[sp], "\n")+nl(lists[sp])); err != nil {
			return nil, err
		}
	}
	b, err := yaml.Marshal(&y)
	if err != nil {
		return nil, fmt.Errorf("yolo: %w", err)
	}
	if err := writeFile(filepath.Join(dir, "data.yaml"), string(b)); err != nil {
		return nil, err
	}
	return rep, nil
}

func nl(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return "\n"
}

// LabelPath returns the label file of the image at p: the last "images"
// directory replaced by "labels" and the extension by ".txt", as
// Ultralytics maps them.
func LabelPath(p string) string {
	if i := strings.LastIndex(p, "images/"); i >= 0 && (i == 0 || p[i-1] == '/') {
		p = p[:i] + "labels/" + p[i+len("images/"):]
	}
	return strings.TrimSuffix(p, path.Ext(p)) + ".txt"
}

func writeLabels(p string, im *annot.Image, scores bool) error {
	var b strings.Builder
	for _, box := range im.Boxes {
		_, _, w, h := im.Frac(box)
		W, H := 1.0, 1.0
		if !im.Normalized() {
			W, H = float64(im.Width), float64(im.Height)
		}
		b.WriteString(strconv.Itoa(box.Class))
		for _, v := range []float64{(box.X0 + box.X1) / 2 / W, (box.Y0 + box.Y1) / 2 / H, w, h} {
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		if scores {
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(box.Score, 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	return writeFile(p, b.String())
}

func writeFile(p, content string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("yolo: %w", err)
	}
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("yolo: %w", err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(content)
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("yolo: %w", err)
	}
	return nil
}
