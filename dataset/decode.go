package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"

	"golang.org/x/image/webp"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/internal/imagemeta"
)

// Errors wrapped by row errors of images that cannot be used.
var (
	// ErrNotImage: the bytes are not a JPEG, PNG, GIF or WebP image.
	ErrNotImage = errors.New("not a JPEG, PNG, GIF or WebP image")
	// ErrTooManyPixels: the image header declares more pixels than allowed.
	ErrTooManyPixels = errors.New("image has too many pixels")
	// ErrTooLarge: the encoded image has more bytes than allowed.
	ErrTooLarge = errors.New("image exceeds the byte limit")
)

// DefaultMaxPixels is the pixel limit used when none is set: 40
// megapixels, 160 MB as RGBA.
const DefaultMaxPixels = 40_000_000

var sniffed = map[string]string{"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}

// Sniff returns the format of encoded image bytes, "jpeg", "png", "gif" or
// "webp", judged by the bytes alone (never a Content-Type header): the
// magic number must name a supported format and net/http's content
// sniffing must agree.
func Sniff(b []byte) (string, error) {
	f := imagemeta.Format(b)
	ct := http.DetectContentType(b)
	if f == "" || sniffed[f] != ct {
		return "", fmt.Errorf("%w (content sniffs as %s)", ErrNotImage, ct)
	}
	return f, nil
}

// DecodeConfig sniffs the format and reads only the image header, refusing
// images with more than maxPixels pixels (0 means DefaultMaxPixels). Call
// it before Decode to refuse decompression bombs before any pixel memory is
// allocated; Decode does so itself.
func DecodeConfig(b []byte, maxPixels int) (cfg image.Config, format string, err error) {
	defer recoverDecode(&err)
	format, err = Sniff(b)
	if err != nil {
		return cfg, "", err
	}
	r := bytes.NewReader(b)
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(r)
	case "png":
		cfg, err = png.DecodeConfig(r)
	case "gif":
		cfg, err = gif.DecodeConfig(r)
	case "webp":
		cfg, err = webp.DecodeConfig(r)
	}
	if err != nil {
		return cfg, format, fmt.Errorf("%w: %s header: %v", ErrNotImage, format, err)
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, format, fmt.Errorf("%w: %s declares %dx%d pixels", ErrNotImage, format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return cfg, format, fmt.Errorf("%w: %dx%d exceeds %d", ErrTooManyPixels, cfg.Width, cfg.Height, maxPixels)
	}
	return cfg, format, nil
}

// Decode decodes a JPEG, PNG, GIF (first frame) or WebP image after
// checking its header with DecodeConfig.
func Decode(b []byte, maxPixels int) (img image.Image, format string, err error) {
	cfg, format, err := DecodeConfig(b, maxPixels)
	if err != nil {
		return nil, format, err
	}
	defer recoverDecode(&err)
	r := bytes.NewReader(b)
	switch format {
	case "jpeg":
		img, err = jpeg.Decode(r)
	case "png":
		img, err = png.Decode(r)
	case "gif":
		img, err = gif.Decode(r)
	case "webp":
		img, err = webp.Decode(r)
	}
	if err != nil {
		return nil, format, fmt.Errorf("%w: decode %s: %v", ErrNotImage, format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, format, fmt.Errorf("%w: %s decoded to %v, header said %dx%d", ErrNotImage, format, b, cfg.Width, cfg.Height)
	}
	return img, format, nil
}

// recoverDecode turns a decoder panic on hostile input into an error.
func recoverDecode(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w: decoder panic: %v", ErrNotImage, p)
	}
}

// DecoderStage is the Decoder's stage name.
const DecoderStage = "dataset.Decoder"

// A Decoder decodes ImageBytes into Image, recording Format and Size. A
// row whose bytes are not a supported image, or declare more than
// MaxPixels pixels, fails with an error wrapping ErrNotImage or
// ErrTooManyPixels.
type Decoder struct {
	// MaxPixels bounds width×height; 0 means DefaultMaxPixels.
	MaxPixels int
}

// Info describes the stage.
func (d *Decoder) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   DecoderStage,
		Reads:  []labelfree.ColumnRef{labelfree.ImageBytes.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Image.Ref(), Format.Ref(), Size.Ref()},
	}
}

// Validate checks the parameters.
func (d *Decoder) Validate() error {
	if d.MaxPixels < 0 {
		return &labelfree.ParamError{Stage: DecoderStage, Field: "MaxPixels", Reason: "must not be negative"}
	}
	return nil
}

// Transform decodes one row.
func (d *Decoder) Transform(ctx context.Context, r *labelfree.Row) error {
	b, err := labelfree.MustGet(r, labelfree.ImageBytes)
	if err != nil {
		return err
	}
	img, format, err := Decode(b, d.MaxPixels)
	if err != nil {
		return err
	}
	labelfree.Set(r, labelfree.Image, img)
	labelfree.Set(r, Format, format)
	labelfree.Set(r, Size, img.Bounds().Size())
	return nil
}
