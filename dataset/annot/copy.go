package annot

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
)

// JPEGQuality is the quality CopyImage re-encodes JPEG photos at.
const JPEGQuality = 95

// CopyImage writes a copy of the image read from src to dst with all
// metadata dropped: the pixels are decoded and encoded again (PNG stays PNG
// and is lossless; every other format becomes JPEG at JPEGQuality), so no
// EXIF, XMP, IPTC or GPS block of the original survives. It returns the
// image size. Images over MaxPixels are refused before decoding.
func CopyImage(dst io.Writer, src io.ReadSeeker) (w, h int, err error) {
	cfg, format, err := image.DecodeConfig(src)
	if err != nil {
		return 0, 0, fmt.Errorf("annot: copy image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return 0, 0, fmt.Errorf("annot: copy image: unusable size %dx%d", cfg.Width, cfg.Height)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return 0, 0, fmt.Errorf("annot: copy image: %w", err)
	}
	img, _, err := image.Decode(src)
	if err != nil {
		return 0, 0, fmt.Errorf("annot: copy image: %w", err)
	}
	bw := bufio.NewWriter(dst)
	if format == "png" {
		err = png.Encode(bw, img)
	} else {
		err = jpeg.Encode(bw, img, &jpeg.Options{Quality: JPEGQuality})
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("annot: copy image: %w", err)
	}
	b := img.Bounds()
	return b.Dx(), b.Dy(), nil
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
