package annot

import (
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG for DecodeConfig
	_ "image/png"  // register PNG for DecodeConfig
	"io/fs"
	"os"
	"path/filepath"
)

// A SizeFunc returns the pixel size of the image at file, a path as the
// format names it (relative to the dataset root, forward slashes).
type SizeFunc func(file string) (w, h int, err error)

// MaxPixels bounds the image size that size lookups and image copies accept,
// so a hostile header cannot make a reader allocate without limit.
const MaxPixels = 1 << 28

// FSSize returns a SizeFunc that reads the header of each image in fsys
// (JPEG and PNG, plus any format the program registers with package image).
func FSSize(fsys fs.FS) SizeFunc {
	return func(file string) (int, int, error) {
		f, err := fsys.Open(file)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		cfg, _, err := image.DecodeConfig(f)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", file, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
			return 0, 0, fmt.Errorf("%s: unusable image size %dx%d", file, cfg.Width, cfg.Height)
		}
		return cfg.Width, cfg.Height, nil
	}
}

// DirSize is FSSize over the directory root; file paths that are absolute
// are read as they are.
func DirSize(root string) SizeFunc {
	rel := FSSize(os.DirFS(root))
	abs := FSSize(os.DirFS("/"))
	return func(file string) (int, int, error) {
		if filepath.IsAbs(file) {
			return abs(filepath.ToSlash(file)[1:])
		}
		return rel(file)
	}
}

// MapSize returns a SizeFunc that looks sizes up in m (file -> width,
// height as image.Point), for callers that already know them.
func MapSize(m map[string]image.Point) SizeFunc {
	return func(file string) (int, int, error) {
		p, ok := m[file]
		if !ok {
			return 0, 0, fmt.Errorf("no size known for %q", file)
		}
		return p.X, p.Y, nil
	}
}

// Sizes returns the sizes of the set's images with known size, keyed by
// File, for MapSize.
func (s *Set) Sizes() map[string]image.Point {
	m := make(map[string]image.Point, len(s.Images))
	for _, im := range s.Images {
		if !im.Normalized() {
			m[im.File] = image.Point{X: im.Width, Y: im.Height}
		}
	}
	return m
}

// Resolve scales every image of unknown size that has boxes, or every
// image of unknown size at all when all is true, to pixels using size.
// A nil size does nothing.
func (s *Set) Resolve(size SizeFunc, all bool) error {
	if size == nil {
		return nil
	}
	for i := range s.Images {
		im := &s.Images[i]
		if !im.Normalized() || im.Failure != "" || (!all && len(im.Boxes) == 0) {
			continue
		}
		w, h, err := size(im.File)
		if err != nil {
			return fmt.Errorf("annot: size of image %q: %w", im.File, err)
		}
		if err := im.Scale(w, h); err != nil {
			return err
		}
	}
	return nil
}
