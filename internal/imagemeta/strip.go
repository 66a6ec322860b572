package imagemeta

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrUnknownFormat is returned for data that is not a JPEG, PNG, GIF or WebP
// image.
var ErrUnknownFormat = errors.New("imagemeta: unknown image format")

// ErrMalformed is wrapped by errors about images whose structure is broken.
var ErrMalformed = errors.New("imagemeta: malformed image")

func malformed(format, msg string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, format, fmt.Sprintf(msg, args...))
}

// Format reports the image format from the data's magic number: "jpeg",
// "png", "gif", "webp", or "" when it is none of them.
func Format(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(data, pngSig):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// Strip returns a copy of the encoded image without EXIF, XMP, IPTC,
// comments or text metadata. Image data, colour profiles and animation
// control are kept byte for byte; bytes after the image's end marker are
// dropped. data is not modified.
//
//   - JPEG: APP1 (Exif, XMP, extended XMP), APP2 MPF, APP12, APP13
//     (Photoshop IRB / IPTC) and COM segments.
//   - PNG: eXIf, tEXt, zTXt and iTXt chunks.
//   - GIF: comment extensions and application extensions other than
//     animation looping (NETSCAPE2.0, ANIMEXTS1.0), which hold XMP.
//   - WebP: EXIF and XMP chunks, with the VP8X flags fixed to match.
func Strip(data []byte) ([]byte, error) {
	switch Format(data) {
	case "jpeg":
		return stripJPEG(data)
	case "png":
		return stripPNG(data)
	case "gif":
		return stripGIF(data)
	case "webp":
		return stripWebP(data)
	}
	return nil, ErrUnknownFormat
}
