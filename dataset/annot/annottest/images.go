package annottest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labelfree/labelfree/dataset/annot"
)

// A Plant is the metadata EXIFJPEG writes into a photo.
type Plant struct {
	// Time is written as DateTimeOriginal when set.
	Time time.Time
	// Offset, such as "+05:45", is written as OffsetTimeOriginal when set.
	Offset string
	// GPS writes GPSLatitude/GPSLongitude (degrees, minutes, seconds as
	// rationals) with their N/S, E/W refs.
	GPS      bool
	Lat, Lon float64
}

// GPSSeconds returns the seconds numerator EXIFJPEG writes for a
// coordinate (seconds scaled by 10000), the value a leak test looks for.
func GPSSeconds(deg float64) uint32 {
	deg = math.Abs(deg)
	min := (deg - math.Floor(deg)) * 60
	sec := (min - math.Floor(min)) * 60
	return uint32(math.Round(sec * 10000))
}

// EXIFJPEG returns a w×h JPEG photo with an APP1 EXIF block carrying the
// planted metadata, the way cameras write it.
func EXIFJPEG(w, h int, p Plant) []byte {
	return EXIFJPEGOf(testImage(w, h), p)
}

// EXIFJPEGOf is EXIFJPEG for a given picture.
func EXIFJPEGOf(img image.Image, p Plant) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	j := buf.Bytes()
	tiff := exifTIFF(p)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+6+len(tiff)))
	seg = append(seg, "Exif\x00\x00"...)
	seg = append(seg, tiff...)
	out := append([]byte{}, j[:2]...) // SOI
	out = append(out, seg...)
	return append(out, j[2:]...)
}

func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / max(1, w-1)), uint8(y * 255 / max(1, h-1)), uint8((x ^ y) & 0xff), 255})
		}
	}
	return img
}

// exifTIFF builds a little-endian TIFF block: IFD0 pointing to an Exif IFD
// (DateTimeOriginal) and a GPS IFD.
func exifTIFF(p Plant) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		data     []byte // value bytes; inline when ≤ 4
	}
	le := binary.LittleEndian
	u32 := func(v uint32) []byte { b := make([]byte, 4); le.PutUint32(b, v); return b }
	rat := func(vals ...[2]uint32) []byte {
		var b []byte
		for _, v := range vals {
			b = append(b, u32(v[0])...)
			b = append(b, u32(v[1])...)
		}
		return b
	}
	dms := func(deg float64) []byte {
		deg = math.Abs(deg)
		d := math.Floor(deg)
		m := math.Floor((deg - d) * 60)
		return rat([2]uint32{uint32(d), 1}, [2]uint32{uint32(m), 1}, [2]uint32{GPSSeconds(deg), 10000})
	}
	var exifIFD, gpsIFD []entry
	if !p.Time.IsZero() {
		exifIFD = append(exifIFD, entry{0x9003, 2, 20, append([]byte(p.Time.Format("2006:01:02 15:04:05")), 0)})
		if p.Offset != "" {
			exifIFD = append(exifIFD, entry{0x9011, 2, uint32(len(p.Offset) + 1), append([]byte(p.Offset), 0)})
		}
	}
	if p.GPS {
		ns, ew := "N", "E"
		if p.Lat < 0 {
			ns = "S"
		}
		if p.Lon < 0 {
			ew = "W"
		}
		gpsIFD = []entry{
			{0x0000, 1, 4, []byte{2, 3, 0, 0}},
			{0x0001, 2, 2, []byte(ns + "\x00")},
			{0x0002, 5, 3, dms(p.Lat)},
			{0x0003, 2, 2, []byte(ew + "\x00")},
			{0x0004, 5, 3, dms(p.Lon)},
		}
	}
	// Layout: header(8) | IFD0 | ExifIFD | GPSIFD | data.
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	ifd0 := []entry{{0x0112, 3, 1, []byte{1, 0, 0, 0}}} // Orientation
	if len(exifIFD) > 0 {
		ifd0 = append(ifd0, entry{0x8769, 4, 1, nil})
	}
	if len(gpsIFD) > 0 {
		ifd0 = append(ifd0, entry{0x8825, 4, 1, nil})
	}
	off0 := 8
	offExif := off0 + ifdSize(len(ifd0))
	offGPS := offExif
	if len(exifIFD) > 0 {
		offGPS += ifdSize(len(exifIFD))
	}
	dataOff := offGPS
	if len(gpsIFD) > 0 {
		dataOff += ifdSize(len(gpsIFD))
	}
	for i := range ifd0 {
		switch ifd0[i].tag {
		case 0x8769:
			ifd0[i].data = u32(uint32(offExif))
		case 0x8825:
			ifd0[i].data = u32(uint32(offGPS))
		}
	}
	var data []byte
	writeIFD := func(es []entry) []byte {
		b := make([]byte, 2)
		le.PutUint16(b, uint16(len(es)))
		for _, e := range es {
			ent := make([]byte, 12)
			le.PutUint16(ent, e.tag)
			le.PutUint16(ent[2:], e.typ)
			le.PutUint32(ent[4:], e.count)
			if len(e.data) <= 4 {
				copy(ent[8:], e.data)
			} else {
				le.PutUint32(ent[8:], uint32(dataOff+len(data)))
				data = append(data, e.data...)
				if len(data)%2 == 1 {
					data = append(data, 0)
				}
			}
			b = append(b, ent...)
		}
		return append(b, 0, 0, 0, 0) // no next IFD
	}
	out := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	out = append(out, writeIFD(ifd0)...)
	if len(exifIFD) > 0 {
		out = append(out, writeIFD(exifIFD)...)
	}
	if len(gpsIFD) > 0 {
		out = append(out, writeIFD(gpsIFD)...)
	}
	return append(out, data...)
}

// WriteImages writes a photo for every image of s that did not fail under
// dir, at the image's size (JPEG, or PNG for .png names), each with EXIF
// carrying its capture time and, when gps is true, the planted location.
// A failed image gets a truncated file.
func WriteImages(t testing.TB, dir string, s *annot.Set, gps bool, lat, lon float64) {
	t.Helper()
	for _, im := range s.Images {
		p := filepath.Join(dir, filepath.FromSlash(im.File))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var data []byte
		switch {
		case im.Failure != "":
			data = EXIFJPEG(8, 8, Plant{GPS: gps, Lat: lat, Lon: lon})[:200]
		case strings.EqualFold(filepath.Ext(im.File), ".png"):
			var buf bytes.Buffer
			if err := png.Encode(&buf, testImage(im.Width, im.Height)); err != nil {
				t.Fatal(err)
			}
			data = buf.Bytes()
		default:
			data = EXIFJPEG(im.Width, im.Height, Plant{Time: im.Time, GPS: gps, Lat: lat, Lon: lon})
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
