// Package annot is the neutral model that the annotation format packages
// under dataset/ (megadetector, coco, yolo, voc, camtrapdp) write from and
// read into, so that every format shares one set of rules and a dataset
// written in one format and read back can be compared with the original.
//
// A Set is a list of class names plus one Image per photo. An Image carries
// its file path (relative, slash-separated), its pixel size, its boxes in
// pixels (labelfree.Box, top-left origin, X1/Y1 exclusive), its image-level
// labels (class indices with no box, as web search gives them), and the
// camera-trap facts the formats need: capture time, deployment and event.
// An image that could not be processed carries its reason in Failure.
//
// FromDataset and ToDataset convert between a Set and a labelfree.Dataset
// using the well-known columns labelfree.ImagePath, labelfree.Boxes and
// labelfree.Label plus the columns declared here (Size, CaptureTime,
// Deployment, Event). A failed row becomes an Image with Failure set and
// back; no row is dropped.
//
// Formats whose files do not record the image size (MegaDetector, YOLO,
// Camtrap DP) store boxes as fractions of the image. Their readers take a
// SizeFunc to turn fractions back into pixels; without one the Image has
// Width and Height 0 and its boxes stay in fractions (see Image.Normalized).
//
// Validate checks a Set before any writer emits a byte: every box must lie
// inside its image, have positive width and height, a finite score in [0, 1]
// and a known class; errors name the image and the box.
package annot
