// Package camtrapdp writes and reads Camera Trap Data Packages, Camtrap DP
// 1.0.2 (camtrap-dp.tdwg.org; github.com/tdwg/camtrap-dp), the TDWG
// standard that GBIF, Wildlife Insights, Agouti and Trapper exchange
// camera-trap data in:
//
//	datapackage.json   profile, created, contributors, project, spatial,
//	                   temporal, taxonomic, coordinatePrecision, resources
//	deployments.csv    one row per camera placement
//	media.csv          one row per photo
//	observations.csv   what was seen, per photo and per event
//
// Every CSV has all the columns of its 1.0.2 table schema, in schema order,
// with the schema's types: datetimes as ISO 8601 with a time zone,
// booleans as true/false, bboxes as fractions of the image.
//
// Each photo gets media-level observations: one per box (observationType
// "animal", or "human"/"vehicle" for classes mapped so, scientificName from
// Options.ScientificNames, bboxX/bboxY/bboxWidth/bboxHeight,
// classificationMethod "machine", classifiedBy, classificationProbability
// the box score), one without a bbox per image-level label, "blank" for a
// photo with nothing in it, and "unclassified" with the reason in
// observationComments for a photo that could not be processed. Photos that
// share an Event also get event-level observations (eventStart/eventEnd
// span the event, count is the most boxes of the class in one photo).
//
// Location privacy: deployment coordinates are rounded to
// Options.CoordinatePrecision degrees (0.01° by default, about 1 km) and the
// package's coordinatePrecision and each deployment's coordinateUncertainty
// say so; exact coordinates need Options.ExactCoordinates. No coordinate is
// ever taken from photo EXIF, and media.exifData carries only the pixel
// size. Photos copied into the package (Options.ImageRoot) are stripped of
// all metadata (annot.CopyImage).
package camtrapdp
