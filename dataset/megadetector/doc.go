// Package megadetector writes and reads MegaDetector batch output files,
// format_version "1.6", the JSON that Timelapse, AddaxAI and the
// MegaDetector postprocessing tools read (agentmorris/MegaDetector,
// megadetector-output-format.md, also at
// https://lila.science/megadetector-output-format).
//
// A file holds an info object (format_version as a string, detector name,
// completion time, detector_metadata with the typical and conservative
// confidence thresholds that Timelapse offers as defaults),
// detection_categories mapping non-negative string-formatted integer ids to
// names, and one images[] entry per photo with its file, its detections
// ({category, conf, bbox}), and a failure string for a photo that could not
// be processed. Boxes are [x_min, y_min, width, height] as fractions of the
// image size from the top-left corner; conf is always written as a JSON
// float (0.0 and 1.0, never 0 or 1), as the reference validator demands.
//
// Two category layouts are written. By default each class gets its own
// detection category, ids "1", "2", ... (never "0", which the format
// reserves informally for "empty"). With Options.Classifications every box
// is an "animal" detection (category "1") carrying a [class, conf]
// classification, the layout species classifiers such as SpeciesNet use.
//
// The format keeps boxes, scores and failures. It holds no image size,
// image-level label, capture time, deployment or event; images with no
// detections are written with "detections": [].
package megadetector
