package imagemeta

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "golang.org/x/image/webp"
)

// gpsLat is a distinctive GPS latitude (degrees, minutes, seconds as
// rationals) that no stripped output may contain.
var gpsLat = []uint32{43, 1, 7, 1, 424242, 10000}

// gpsExif returns a TIFF/Exif block with a GPS IFD holding gpsLat.
func gpsExif() []byte {
	be := binary.BigEndian
	var b []byte
	b = append(b, "MM\x00\x2a"...)
	b = be.AppendUint32(b, 8)
	// IFD0: one entry, GPSInfo (0x8825) LONG -> offset of the GPS IFD.
	b = be.AppendUint16(b, 1)
	b = be.AppendUint16(b, 0x8825)
	b = be.AppendUint16(b, 4)
	b = be.AppendUint32(b, 1)
	b = be.AppendUint32(b, 26)
	b = be.AppendUint32(b, 0)
	// GPS IFD at 26: GPSLatitudeRef 'N', GPSLatitude 3 RATIONAL at 56.
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 1)
	b = be.AppendUint16(b, 2)
	b = be.AppendUint32(b, 2)
	b = append(b, 'N', 0, 0, 0)
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 5)
	b = be.AppendUint32(b, 3)
	b = be.AppendUint32(b, 56)
	b = be.AppendUint32(b, 0)
	for _, v := range gpsLat {
		b = be.AppendUint32(b, v)
	}
	return b
}

// secrets are byte strings that must not survive Strip.
func secrets() [][]byte {
	var lat []byte
	for _, v := range gpsLat {
		lat = binary.BigEndian.AppendUint32(lat, v)
	}
	return [][]byte{lat, []byte("Exif\x00\x00"), []byte("MM\x00\x2a"), []byte("x:xmpmeta"), []byte("GPSLatitude"), []byte("Photoshop 3.0"), []byte("SECRET-COMMENT")}
}

const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="43,1.7N"/></rdf:RDF></x:xmpmeta>`

func testImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 24; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 10), uint8(y * 15), 90, 255})
		}
	}
	return img
}

func jpegSegment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker}
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)+2))
	return append(b, payload...)
}

// plantedJPEG returns a JPEG with Exif GPS, XMP, IPTC and a comment, an MPF
// index and an appended second JPEG carrying GPS too.
func plantedJPEG(t testing.TB) (clean, planted []byte) {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 90}))
	clean = buf.Bytes()
	var p []byte
	p = append(p, 0xFF, 0xD8)
	p = append(p, jpegSegment(0xE1, append([]byte("Exif\x00\x00"), gpsExif()...))...)
	p = append(p, jpegSegment(0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmp...))...)
	p = append(p, jpegSegment(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00GPSLatitude"))...)
	p = append(p, jpegSegment(0xFE, []byte("SECRET-COMMENT"))...)
	p = append(p, jpegSegment(0xE2, []byte("MPF\x00MM\x00\x2a"))...)
	p = append(p, clean[2:]...)
	// An appended image (multi-picture) with its own Exif.
	p = append(p, 0xFF, 0xD8)
	p = append(p, jpegSegment(0xE1, append([]byte("Exif\x00\x00"), gpsExif()...))...)
	p = append(p, clean[2:]...)
	return clean, p
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func plantedPNG(t testing.TB) (clean, planted []byte) {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, testImage()))
	clean = buf.Bytes()
	// Insert after IHDR (8 + 25 bytes).
	ihdrEnd := 8 + 25
	var p []byte
	p = append(p, clean[:ihdrEnd]...)
	p = append(p, pngChunk("eXIf", gpsExif())...)
	p = append(p, pngChunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), xmp...))...)
	p = append(p, pngChunk("tEXt", []byte("Comment\x00SECRET-COMMENT"))...)
	p = append(p, pngChunk("zTXt", []byte("Raw profile type exif\x00\x00Exif\x00\x00MM\x00\x2a"))...)
	p = append(p, clean[ihdrEnd:]...)
	p = append(p, "trailing Exif\x00\x00"...)
	return clean, p
}

func plantedGIF(t testing.TB) (clean, planted []byte) {
	var buf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White})
	pal.SetColorIndex(3, 3, 1)
	require.NoError(t, gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{pal, pal}, Delay: []int{1, 1}, LoopCount: 2}))
	clean = buf.Bytes()
	// Insert after the header, screen descriptor and global colour table.
	i := 13
	if clean[10]&0x80 != 0 {
		i += 3 << (int(clean[10]&7) + 1)
	}
	hdr := clean[:i]
	var p []byte
	p = append(p, hdr...)
	p = append(p, 0x21, 0xFE, 14)
	p = append(p, "SECRET-COMMENT"...)
	p = append(p, 0)
	p = append(p, 0x21, 0xFF, 11)
	p = append(p, "XMP DataXMP"...)
	for rest := []byte(xmp); len(rest) > 0; {
		n := min(len(rest), 255)
		p = append(p, byte(n))
		p = append(p, rest[:n]...)
		rest = rest[n:]
	}
	p = append(p, 0)
	p = append(p, clean[i:]...)
	return clean, p
}

func riffChunk(fourcc string, data []byte) []byte {
	b := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// plantedWebP wraps a simple WebP's image chunk in an extended (VP8X) file
// with EXIF and XMP chunks and their flags set.
func plantedWebP(t testing.TB, name string) (clean, planted []byte) {
	clean, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(clean))
	require.NoError(t, err)
	vp8x := []byte{vp8xEXIF | vp8xXMP, 0, 0, 0}
	w, h := uint32(cfg.Width-1), uint32(cfg.Height-1)
	vp8x = append(vp8x, byte(w), byte(w>>8), byte(w>>16), byte(h), byte(h>>8), byte(h>>16))
	body := []byte("WEBP")
	body = append(body, riffChunk("VP8X", vp8x)...)
	body = append(body, clean[12:]...)
	body = append(body, riffChunk("EXIF", append([]byte("Exif\x00\x00"), gpsExif()...))...)
	body = append(body, riffChunk("XMP ", []byte(xmp))...)
	planted = append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return clean, append(planted, body...)
}

func assertNoSecrets(t *testing.T, out []byte) {
	t.Helper()
	for _, s := range secrets() {
		assert.False(t, bytes.Contains(out, s), "output still holds %q", s)
	}
}

func decodePixels(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return img
}

func assertSamePixels(t *testing.T, a, b image.Image) {
	t.Helper()
	require.Equal(t, a.Bounds(), b.Bounds())
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				t.Fatalf("pixel (%d,%d) differs: %v vs %v", x, y, a.At(x, y), b.At(x, y))
			}
		}
	}
}

func TestStripRemovesPlantedMetadata(t *testing.T) {
	type planter func(testing.TB) ([]byte, []byte)
	webp := func(name string) planter {
		return func(t testing.TB) ([]byte, []byte) { return plantedWebP(t, name) }
	}
	tests := []struct {
		name      string
		format    string
		plant     planter
		wantClean bool // stripped output equals the clean encoding
	}{
		{"jpeg", "jpeg", plantedJPEG, true},
		{"png", "png", plantedPNG, true},
		{"gif", "gif", plantedGIF, true},
		{"webp lossless", "webp", webp("gopher-doc.1bpp.lossless.webp"), false},
		{"webp lossy", "webp", webp("blue-purple-pink.lossy.webp"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clean, planted := tt.plant(t)
			// The planted file really carries the secrets and still decodes.
			require.True(t, bytes.Contains(planted, []byte("x:xmpmeta")))
			if tt.format != "gif" {
				require.True(t, bytes.Contains(planted, secrets()[0]), "GPS latitude planted")
			}
			require.Equal(t, tt.format, Format(planted))
			out, err := Strip(planted)
			require.NoError(t, err)
			assertNoSecrets(t, out)
			if tt.wantClean {
				assert.Equal(t, clean, out)
			}
			assertSamePixels(t, decodePixels(t, clean), decodePixels(t, out))
			again, err := Strip(out)
			require.NoError(t, err)
			assert.Equal(t, out, again, "Strip is idempotent")
		})
	}
}

func TestStripWebPFlagsAndSize(t *testing.T) {
	_, planted := plantedWebP(t, "blue-purple-pink.lossy.webp")
	out, err := Strip(planted)
	require.NoError(t, err)
	assert.Equal(t, uint32(len(out)-8), binary.LittleEndian.Uint32(out[4:8]))
	require.Equal(t, "VP8X", string(out[12:16]))
	assert.Zero(t, out[20]&(vp8xEXIF|vp8xXMP), "EXIF and XMP flags cleared")
}

func TestStripKeepsICCProfile(t *testing.T) {
	clean, _ := plantedJPEG(t)
	icc := jpegSegment(0xE2, []byte("ICC_PROFILE\x00\x01\x01profile-bytes"))
	in := append(append([]byte{0xFF, 0xD8}, icc...), clean[2:]...)
	out, err := Strip(in)
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

func TestStripRejectsBadInput(t *testing.T) {
	clean, _ := plantedJPEG(t)
	pngClean, _ := plantedPNG(t)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrUnknownFormat},
		{"text", []byte("hello, world"), ErrUnknownFormat},
		{"jpeg truncated", clean[:len(clean)/2], ErrMalformed},
		{"jpeg header only", []byte{0xFF, 0xD8, 0xFF}, ErrMalformed},
		{"jpeg bad length", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0}, ErrMalformed},
		{"png truncated", pngClean[:40], ErrMalformed},
		{"png no IEND", pngClean[:len(pngClean)-12], ErrMalformed},
		{"gif truncated", []byte("GIF89a\x01\x00"), ErrMalformed},
		{"webp huge size", []byte("RIFF\xff\xff\xff\xffWEBPVP8 "), ErrMalformed},
		{"webp chunk overrun", append([]byte("RIFF\x0c\x00\x00\x00WEBP"), "VP8 \xff\x00\x00\x00"...), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Strip(tt.in)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func BenchmarkStripJPEG(b *testing.B) {
	_, planted := plantedJPEG(b)
	b.SetBytes(int64(len(planted)))
	for b.Loop() {
		if _, err := Strip(planted); err != nil {
			b.Fatal(err)
		}
	}
}
