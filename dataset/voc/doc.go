// Package voc writes and reads Pascal VOC object annotations: one XML file
// per image under Annotations/ (annotation, folder, filename, size, and an
// object with name, pose, truncated, difficult and bndbox per box), the
// photos under JPEGImages/ when Options.ImageRoot is set (stripped, so no
// EXIF, XMP or GPS survives), the image ids of each split under
// ImageSets/Main/<split>.txt (from each image's Split: train or test), and
// the class names, one per line, in
// classes.txt (VOC itself fixes its twenty classes; other tools read such a
// list).
//
// VOC pixel coordinates are 1-based and inclusive: a box covering 0-based
// pixels X0 ≤ x < X1 has xmin = X0+1 and xmax = X1. Fractional boxes are
// written with fractions (Detectron2, MMDetection and Ultralytics' converter
// parse them as floats) unless Options.Round widens them to whole pixels.
// An object is marked truncated when it touches the image border.
//
// Failed images and images with a label but no box are left out and listed
// in the Report. The format holds no score, capture time, deployment, event
// or image-level label.
package voc
