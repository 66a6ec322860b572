package annot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"

	"github.com/labelfree/labelfree/internal/imagemeta"
)

// JPEGQuality is the quality CopyImage re-encodes photos at when it cannot
// strip their format losslessly.
const JPEGQuality = 95

// MaxFileBytes bounds the size of a photo CopyImage copies.
const MaxFileBytes = 512 << 20

// CopyImage writes a copy of the image read from src to dst with all
// metadata dropped, so no EXIF, XMP, IPTC or GPS block of the original
// survives. JPEG, PNG, GIF and WebP photos are stripped losslessly
// (internal/imagemeta: pixels, colour profile and animation kept byte for
// byte); any other format the program can decode is re-encoded as JPEG at
// JPEGQuality. It returns the image size. Images over MaxPixels are refused
// before decoding.
func CopyImage(dst io.Writer, src io.Reader) (w, h int, err error) {
	data, err := io.ReadAll(io.LimitReader(src, MaxFileBytes+1))
	if err != nil {
		return 0, 0, fmt.Errorf("annot: copy image: %w", err)
	}
	if len(data) > MaxFileBytes {
		return 0, 0, fmt.Errorf("annot: copy image: larger than %d bytes", MaxFileBytes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, fmt.Errorf("annot: copy image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return 0, 0, fmt.Errorf("annot: copy image: unusable size %dx%d", cfg.Width, cfg.Height)
	}
	out, err := imagemeta.Strip(data)
	if errors.Is(err, imagemeta.ErrUnknownFormat) {
		img, _, derr := image.Decode(bytes.NewReader(data))
		if derr != nil {
			return 0, 0, fmt.Errorf("annot: copy image: %w", derr)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			return 0, 0, fmt.Errorf("annot: copy image: %w", err)
		}
		out, err = buf.Bytes(), nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("annot: copy image: %w", err)
	}
	if _, err := dst.Write(out); err != nil {
		return 0, 0, fmt.Errorf("annot: copy image: %w", err)
	}
	return cfg.Width, cfg.Height, nil
}

// CopyImageFile is CopyImage between files: it creates dstPath (and its
// directory) and removes it again on failure.
func CopyImageFile(ctx context.Context, dstPath, srcPath string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	in, err := os.Open(srcPath)
	if err != nil {
		return fmt.Errorf("annot: copy image: %w", err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dstPath), 0o755); err != nil {
		return fmt.Errorf("annot: copy image: %w", err)
	}
	out, err := os.Create(dstPath)
	if err != nil {
		return fmt.Errorf("annot: copy image: %w", err)
	}
	_, _, err = CopyImage(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dstPath)
		return fmt.Errorf("%w (source %s)", err, srcPath)
	}
	return nil
}
