package annot

import (
	"fmt"
	"time"

	"github.com/labelfree/labelfree"
)

// A Set is an annotated image collection: the class names and one Image per
// photo, in order.
type Set struct {
	// Classes names the class indices used by boxes and labels: Classes[i]
	// is class i.
	Classes []string
	// Images holds one entry per photo.
	Images []Image
}

// An Image is one photo and what is known about it.
type Image struct {
	// File is the image's path relative to the dataset root, with forward
	// slashes.
	File string
	// Width and Height are the image size in pixels. Both are 0 when the
	// size is unknown; boxes are then fractions of the image size.
	Width, Height int
	// Boxes are object boxes in pixels (or fractions, see Normalized).
	Boxes []labelfree.Box
	// Labels are image-level class indices with no box, such as the weak
	// label a web search gave the photo.
	Labels []int
	// Time is the capture time (from EXIF DateTimeOriginal, corrected for
	// the camera's clock offset); the zero Time when unknown.
	Time time.Time
	// Deployment identifies the camera placement that took the photo
	// (Camtrap DP deploymentID, COCO Camera Traps location).
	Deployment string
	// Event identifies the burst or sequence the photo belongs to (COCO
	// Camera Traps seq_id, Camtrap DP eventID); empty when not grouped.
	Event string
	// Split is the partition the photo belongs to, dataset.SplitTrain or
	// dataset.SplitTest; empty when not split.
	Split string
	// Failure says why the image could not be processed; empty for a good
	// image. A failed image has no boxes or labels.
	Failure string
}

// Normalized reports whether the image's size is unknown, in which case its
// boxes are fractions of the image width and height.
func (im *Image) Normalized() bool { return im.Width == 0 && im.Height == 0 }

// Scale converts the boxes of an image with unknown size (fractions) into
// pixels of a w×h image and records the size.
func (im *Image) Scale(w, h int) error {
	if !im.Normalized() {
		return fmt.Errorf("annot: image %q already has size %dx%d", im.File, im.Width, im.Height)
	}
	if w <= 0 || h <= 0 {
		return fmt.Errorf("annot: image %q: size %dx%d is not positive", im.File, w, h)
	}
	for i := range im.Boxes {
		b := &im.Boxes[i]
		b.X0 *= float64(w)
		b.X1 *= float64(w)
		b.Y0 *= float64(h)
		b.Y1 *= float64(h)
	}
	im.Width, im.Height = w, h
	return nil
}

// Frac returns box b of an image as fractions of the image size: x, y of
// the top-left corner and width, height. For a normalized image the box is
// returned as it is.
func (im *Image) Frac(b labelfree.Box) (x, y, w, h float64) {
	if im.Normalized() {
		return b.X0, b.Y0, b.X1 - b.X0, b.Y1 - b.Y0
	}
	W, H := float64(im.Width), float64(im.Height)
	return b.X0 / W, b.Y0 / H, (b.X1 - b.X0) / W, (b.Y1 - b.Y0) / H
}

// FromFrac returns the box with top-left corner (x, y) and size w×h given as
// fractions of the image size, in the image's units (pixels, or fractions
// for a normalized image).
func (im *Image) FromFrac(x, y, w, h, score float64, class int) labelfree.Box {
	W, H := 1.0, 1.0
	if !im.Normalized() {
		W, H = float64(im.Width), float64(im.Height)
	}
	return labelfree.Box{X0: x * W, Y0: y * H, X1: (x + w) * W, Y1: (y + h) * H, Score: score, Class: class}
}

// ClassIndex returns the index of the named class, or -1.
func (s *Set) ClassIndex(name string) int {
	for i, c := range s.Classes {
		if c == name {
			return i
		}
	}
	return -1
}

// Events groups the indices of images by Event, in image order; images
// without an event are left out.
func (s *Set) Events() map[string][]int {
	ev := map[string][]int{}
	for i := range s.Images {
		if e := s.Images[i].Event; e != "" {
			ev[e] = append(ev[e], i)
		}
	}
	return ev
}

// A Report says what a writer did with each image of a set: formats made
// for detector training leave out images they cannot represent faithfully
// (failed images, images with a label but no box), and say so here rather
// than dropping them silently.
type Report struct {
	// Written counts the images written.
	Written int
	// Skipped lists the images left out, in set order.
	Skipped []Skip
}

// A Skip names an image a writer left out, and why.
type Skip struct {
	// File is the image's path.
	File string
	// Reason says why it was left out.
	Reason string
}

// Skip reasons shared by the writers.
const (
	SkipFailed     = "image failed"
	SkipUnboxed    = "image has a label but no box (writing it would teach a detector that the image is empty)"
	SkipNormalized = "image size unknown"
)

// Trainable reports whether a detector-training format should write the
// image, and the skip reason when not.
func (im *Image) Trainable() (bool, string) {
	switch {
	case im.Failure != "":
		return false, SkipFailed
	case len(im.Boxes) == 0 && len(im.Labels) > 0:
		return false, SkipUnboxed
	}
	return true, ""
}
