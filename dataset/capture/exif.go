package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
)

// ErrNoTime is returned when a photo has no usable DateTimeOriginal.
var ErrNoTime = errors.New("capture: no EXIF DateTimeOriginal")

// HeadBytes is how much of a file ReadTime reads: EXIF sits in the first
// APP1 segment, which JPEG limits to 64 KiB, after at most a few other
// segments.
const HeadBytes = 1 << 20

// exifLayout is EXIF's date and time format.
const exifLayout = "2006:01:02 15:04:05"

// ReadTime returns the photo's DateTimeOriginal. When the photo records
// OffsetTimeOriginal the time carries that offset; otherwise it is read as
// wall-clock time in loc (UTC when loc is nil). Errors wrap ErrNoTime when
// the photo simply has no such tag.
func ReadTime(r io.Reader, loc *time.Location) (t time.Time, err error) {
	head, err := io.ReadAll(io.LimitReader(r, HeadBytes))
	if err != nil {
		return time.Time{}, fmt.Errorf("capture: %w", err)
	}
	defer func() {
		// go-exif reports some malformed data by panicking internally;
		// never let that cross into the caller.
		if p := recover(); p != nil {
			t, err = time.Time{}, fmt.Errorf("capture: malformed EXIF: %v", p)
		}
	}()
	raw, err := exif.SearchAndExtractExif(head)
	if err != nil {
		if errors.Is(err, exif.ErrNoExif) {
			return time.Time{}, ErrNoTime
		}
		return time.Time{}, fmt.Errorf("capture: %w", err)
	}
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return time.Time{}, fmt.Errorf("capture: %w", err)
	}
	_, index, err := exif.Collect(im, exif.NewTagIndex(), raw)
	if err != nil {
		return time.Time{}, fmt.Errorf("capture: malformed EXIF: %w", err)
	}
	ifd, err := index.RootIfd.ChildWithIfdPath(exifcommon.IfdExifStandardIfdIdentity)
	if err != nil {
		return time.Time{}, ErrNoTime
	}
	v, err := tagString(ifd, "DateTimeOriginal")
	if err != nil || v == "" {
		return time.Time{}, ErrNoTime
	}
	off, _ := tagString(ifd, "OffsetTimeOriginal")
	return ParseTime(v, off, loc)
}

func tagString(ifd *exif.Ifd, name string) (string, error) {
	res, err := ifd.FindTagWithName(name)
	if err != nil || len(res) == 0 {
		return "", ErrNoTime
	}
	v, err := res[0].Value()
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("capture: %s is not text", name)
	}
	return strings.TrimRight(strings.TrimSpace(s), "\x00"), nil
}

// ParseTime parses an EXIF date and time ("2006:01:02 15:04:05") with an
// optional EXIF offset ("+05:45"); without one the time is taken in loc
// (UTC when nil). Cameras that were never set write all zeros or blanks,
// which are ErrNoTime.
func ParseTime(v, offset string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.Trim(v, "0: ") == "" {
		return time.Time{}, ErrNoTime
	}
	if loc == nil {
		loc = time.UTC
	}
	if off := strings.TrimSpace(offset); off != "" && off != "   :  " {
		if t, err := time.Parse(exifLayout+"-07:00", v+off); err == nil {
			return t, nil
		}
	}
	t, err := time.ParseInLocation(exifLayout, v, loc)
	if err != nil {
		// Some cameras write dashes in the date part.
		if t2, err2 := time.ParseInLocation("2006-01-02 15:04:05", v, loc); err2 == nil {
			return t2, nil
		}
		return time.Time{}, fmt.Errorf("%w: %q is not an EXIF date and time", ErrNoTime, v)
	}
	return t, nil
}

// ReadTimeBytes is ReadTime over an in-memory photo.
func ReadTimeBytes(b []byte, loc *time.Location) (time.Time, error) {
	return ReadTime(bytes.NewReader(b), loc)
}
