package annot

import (
	"errors"
	"fmt"
	"image"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
)

// Columns this package declares for what the formats carry beyond the
// well-known labelfree columns and the dataset package's Size and Split.
var (
	// CaptureTime is when the photo was taken (EXIF DateTimeOriginal
	// corrected for the camera's clock offset).
	CaptureTime = labelfree.NewColumn[time.Time]("capture.time", "photo capture time")
	// Deployment identifies the camera placement that took the photo.
	Deployment = labelfree.NewColumn[string]("capture.deployment", "camera deployment id")
	// Event identifies the burst or sequence of photos the row belongs to.
	Event = labelfree.NewColumn[string]("capture.event", "event (sequence) id")
)

// FailureStage is the stage name that ToDataset gives a failed image whose
// Failure does not name one.
const FailureStage = "annot"

// Options controls FromDataset.
type Options struct {
	// Root, when set, is the directory that image paths are made relative
	// to; a path outside Root is an error. When empty, labelfree.ImagePath
	// values are used as they are (with forward slashes).
	Root string
	// Size looks up the size of an image whose row has neither a Size nor
	// an Image value. Nil means such rows must have no boxes.
	Size SizeFunc
}

// FromDataset converts a labelfree dataset into a Set. Each row needs a
// labelfree.ImagePath. Its boxes come from labelfree.Boxes, its image-level
// label from labelfree.Label, its size from dataset.Size, the decoded
// labelfree.Image, or opts.Size, in that order, its split from
// dataset.Split; capture time, deployment and event from the columns of
// those names. A failed row (Row.Err) becomes an
// image with Failure set to the error's text and nothing else. The classes
// are ds.Classes. The result is validated.
func FromDataset(ds *labelfree.Dataset, opts *Options) (*Set, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &Set{Classes: append([]string(nil), ds.Classes...), Images: make([]Image, 0, len(ds.Rows))}
	for _, r := range ds.Rows {
		im, err := imageFromRow(r, opts)
		if err != nil {
			return nil, fmt.Errorf("annot: row %q: %w", r.ID, err)
		}
		s.Images = append(s.Images, im)
	}
	if err := Validate(s); err != nil {
		return nil, err
	}
	return s, nil
}

func imageFromRow(r *labelfree.Row, opts *Options) (Image, error) {
	p, ok := labelfree.Get(r, labelfree.ImagePath)
	if !ok || p == "" {
		return Image{}, fmt.Errorf("no value in column %q", labelfree.ImagePath.Name())
	}
	file := filepath.ToSlash(p)
	if opts.Root != "" {
		rel, err := filepath.Rel(opts.Root, p)
		if err != nil || rel == ".." || strings.HasPrefix(filepath.ToSlash(rel), "../") {
			return Image{}, fmt.Errorf("image path %q is outside root %q", p, opts.Root)
		}
		file = filepath.ToSlash(rel)
	}
	im := Image{File: file}
	im.Time, _ = labelfree.Get(r, CaptureTime)
	im.Deployment, _ = labelfree.Get(r, Deployment)
	im.Event, _ = labelfree.Get(r, Event)
	im.Split, _ = labelfree.Get(r, dataset.Split)
	if r.Err != nil {
		im.Failure = r.Err.Error()
		return im, nil
	}
	if sz, ok := labelfree.Get(r, dataset.Size); ok {
		im.Width, im.Height = sz.X, sz.Y
	} else if img, ok := labelfree.Get(r, labelfree.Image); ok && img != nil {
		im.Width, im.Height = img.Bounds().Dx(), img.Bounds().Dy()
	} else if opts.Size != nil {
		w, h, err := opts.Size(p)
		if err != nil {
			return Image{}, fmt.Errorf("image size: %w", err)
		}
		im.Width, im.Height = w, h
	}
	boxes, _ := labelfree.Get(r, labelfree.Boxes)
	if len(boxes) > 0 && im.Normalized() {
		return Image{}, errors.New("has boxes but no known image size (set dataset.Size or labelfree.Image, or pass Options.Size)")
	}
	im.Boxes = append([]labelfree.Box(nil), boxes...)
	if l, ok := labelfree.Get(r, labelfree.Label); ok {
		im.Labels = []int{l}
	}
	return im, nil
}

// ToDataset converts a Set into a labelfree dataset: one row per image, in
// order, with ID and labelfree.ImagePath set to the image's File (joined to
// root when root is not empty), labelfree.Boxes (empty for an image without
// objects), labelfree.Label (the first image-level label), dataset.Size
// when known, dataset.Split and the capture columns when set. An image with a Failure becomes a failed
// row; when the Failure has the "stage: reason" form that labelfree's row
// errors print, the row error's stage and reason are split back out (so its
// text equals the Failure), otherwise the stage is FailureStage.
func ToDataset(s *Set, root string) *labelfree.Dataset {
	ds := &labelfree.Dataset{Classes: append([]string(nil), s.Classes...), Rows: make([]*labelfree.Row, 0, len(s.Images))}
	for i := range s.Images {
		im := &s.Images[i]
		r := labelfree.NewRow(im.File)
		p := im.File
		if root != "" {
			p = filepath.Join(root, filepath.FromSlash(path.Clean(im.File)))
		}
		labelfree.Set(r, labelfree.ImagePath, p)
		if !im.Time.IsZero() {
			labelfree.Set(r, CaptureTime, im.Time)
		}
		if im.Deployment != "" {
			labelfree.Set(r, Deployment, im.Deployment)
		}
		if im.Event != "" {
			labelfree.Set(r, Event, im.Event)
		}
		if im.Split != "" {
			labelfree.Set(r, dataset.Split, im.Split)
		}
		if im.Failure != "" {
			stage, msg, ok := strings.Cut(im.Failure, ": ")
			if !ok || stage == "" || strings.ContainsAny(stage, " \t") {
				stage, msg = FailureStage, im.Failure
			}
			r.Err = &labelfree.RowError{Stage: stage, Err: errors.New(msg)}
			ds.Rows = append(ds.Rows, r)
			continue
		}
		if !im.Normalized() {
			labelfree.Set(r, dataset.Size, image.Point{X: im.Width, Y: im.Height})
		}
		labelfree.Set(r, labelfree.Boxes, append([]labelfree.Box{}, im.Boxes...))
		if len(im.Labels) > 0 {
			labelfree.Set(r, labelfree.Label, im.Labels[0])
		}
		ds.Rows = append(ds.Rows, r)
	}
	return ds
}
