package annot

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// A BoxError reports a bad box: which image, which box (its index in
// Image.Boxes) and why.
type BoxError struct {
	// File is the image's path.
	File string
	// Index is the box's index in Image.Boxes.
	Index int
	// Box is the box as labelfree.Box.String formats it.
	Box string
	// Err is the reason.
	Err error
}

// Error describes the problem and where it is.
func (e *BoxError) Error() string {
	return fmt.Sprintf("image %q box %d %s: %v", e.File, e.Index, e.Box, e.Err)
}

// Unwrap returns the reason.
func (e *BoxError) Unwrap() error { return e.Err }

// An ImageError reports a problem with an image as a whole.
type ImageError struct {
	// File is the image's path.
	File string
	// Err is the reason.
	Err error
}

// Error describes the problem and where it is.
func (e *ImageError) Error() string { return fmt.Sprintf("image %q: %v", e.File, e.Err) }

// Unwrap returns the reason.
func (e *ImageError) Unwrap() error { return e.Err }

// ErrUnknownClass is wrapped by errors about a class index that Set.Classes
// does not name.
var ErrUnknownClass = errors.New("unknown class")

// Validate checks a set before it is written. It returns the first problem
// found, as an *ImageError or a *BoxError naming the image (and box):
//
//   - every image has a File that is a clean relative slash path (no "..",
//     no leading "/", no backslash), unique within the set;
//   - the size is positive, or 0×0 for an image whose boxes are fractions;
//   - every box is finite, has positive width and height, lies inside the
//     image (inside [0, 1] for fractions), has a score in [0, 1] and a class
//     that Classes names;
//   - every label names a class;
//   - a failed image has no boxes and no labels;
//   - class names are non-empty and unique.
func Validate(s *Set) error {
	seenClass := map[string]bool{}
	for i, c := range s.Classes {
		if strings.TrimSpace(c) == "" {
			return fmt.Errorf("annot: class %d has a blank name", i)
		}
		if seenClass[c] {
			return fmt.Errorf("annot: class name %q appears twice", c)
		}
		seenClass[c] = true
	}
	seen := make(map[string]bool, len(s.Images))
	for i := range s.Images {
		if err := validateImage(s, &s.Images[i]); err != nil {
			return fmt.Errorf("annot: %w", err)
		}
		f := s.Images[i].File
		if seen[f] {
			return fmt.Errorf("annot: %w", &ImageError{File: f, Err: errors.New("appears twice")})
		}
		seen[f] = true
	}
	return nil
}

// ValidPath reports whether p is a clean relative slash path that is safe to
// join under an output directory.
func ValidPath(p string) bool {
	return p != "" && p != "." && fs.ValidPath(p) && !strings.Contains(p, `\`)
}

func validateImage(s *Set, im *Image) error {
	bad := func(format string, args ...any) error {
		return &ImageError{File: im.File, Err: fmt.Errorf(format, args...)}
	}
	if !ValidPath(im.File) {
		return bad("file name must be a relative slash path without '..'")
	}
	if im.Width < 0 || im.Height < 0 || (im.Width == 0) != (im.Height == 0) {
		return bad("size %dx%d is not positive", im.Width, im.Height)
	}
	if im.Failure != "" && (len(im.Boxes) > 0 || len(im.Labels) > 0) {
		return bad("failed image (%s) has boxes or labels", im.Failure)
	}
	for _, l := range im.Labels {
		if l < 0 || l >= len(s.Classes) {
			return bad("label %d: %w (the set has %d classes)", l, ErrUnknownClass, len(s.Classes))
		}
	}
	for j, b := range im.Boxes {
		var err error
		if im.Normalized() {
			if err = b.Validate(1, 1); err != nil {
				err = fmt.Errorf("as fractions of an image of unknown size: %w", err)
			}
		} else {
			err = b.Validate(im.Width, im.Height)
		}
		if err == nil && b.Class >= len(s.Classes) {
			err = fmt.Errorf("class %d: %w (the set has %d classes)", b.Class, ErrUnknownClass, len(s.Classes))
		}
		if err != nil {
			return &BoxError{File: im.File, Index: j, Box: b.String(), Err: err}
		}
	}
	return nil
}
