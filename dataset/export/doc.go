// Package export writes one annotated set in every format labelfree
// supports, side by side in one directory, for users who want their weak
// boxes in the tools they already run:
//
//	megadetector.json      MegaDetector batch output 1.6 (Timelapse, AddaxAI)
//	coco.json              plain COCO (detector training)
//	coco-camera-traps.json COCO Camera Traps (LILA)
//	yolo/                  Ultralytics YOLO
//	voc/                   Pascal VOC
//	camtrap-dp/            Camtrap DP 1.0.2 (GBIF, Wildlife Insights)
//
// and reads each back (ReadAll), so a caller can check that what was
// written is what it meant. Photos copied into yolo/, voc/ and camtrap-dp/
// are stripped of all metadata, and no writer takes a coordinate from a
// photo, so no output carries the photos' GPS.
package export
