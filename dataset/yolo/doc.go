// Package yolo writes and reads object-detection datasets in the
// Ultralytics YOLO layout (docs.ultralytics.com/datasets/detect):
//
//	data.yaml              path, train/val/test, nc and names
//	train.txt, val.txt     the images of each split, one path per line
//	images/<split>/<file>  the photos (when Options.ImageRoot is set)
//	labels/<split>/<file>.txt
//
// Each label file has one line per box, "class x_center y_center width
// height", all but the class as fractions of the image size, and is found
// from its image's path by replacing the images/ directory with labels/ and
// the extension with .txt, as Ultralytics does. An image without boxes has
// an empty label file (a background image). With Options.Scores a sixth
// column carries the box confidence, the layout Ultralytics uses for saved
// predictions; training expects five columns, so it is off by default.
//
// Image copies are stripped of metadata (annot.CopyImageFile), so no EXIF,
// XMP or GPS block of the originals reaches the export.
//
// Failed images and images with a label but no box are left out and listed
// in the Report: YOLO reads a missing box as "nothing here". The format
// holds no capture time, deployment, event or image-level label.
package yolo
