// Package imagemeta removes metadata that can reveal where and when a photo
// was taken (EXIF, including GPS coordinates, XMP, IPTC, comments and text
// chunks) from encoded JPEG, PNG, GIF and WebP images without re-encoding
// them: pixel data is copied byte for byte, only metadata segments are
// dropped.
//
// Camera-trap photographs carry the GPS position of rare animals; anything
// labelfree writes to disk goes through Strip unless the user opts in to
// keeping metadata.
//
// EXIF orientation goes with the rest of EXIF. Go's image decoders ignore
// it, so a stripped file displays as labelfree decoded it and boxes drawn
// on the decoded pixels line up with it in any viewer.
//
// Strip is strict: an input it cannot parse fully is an error, never passed
// through, so a caller can not write metadata by accident.
package imagemeta
