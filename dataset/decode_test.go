package dataset

import (
	"bytes"
	"context"
	"image"
	"image/gif"
	"os"
	"path/filepath"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func webpFixture(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("..", "internal", "imagemeta", "testdata", "blue-purple-pink.lossy.webp"))
	require.NoError(t, err)
	return b
}

func testGIF(t testing.TB) []byte {
	var buf bytes.Buffer
	require.NoError(t, gif.Encode(&buf, gradient(5, 4, 9), nil))
	return buf.Bytes()
}

func TestDecodeFormats(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		format string
	}{
		{"jpeg", testJPEG(t, 33, 17, 1), "jpeg"},
		{"png", testPNG(t, 20, 10, 2), "png"},
		{"gif", testGIF(t), "gif"},
		{"webp", webpFixture(t), "webp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, format, err := DecodeConfig(tt.data, 0)
			require.NoError(t, err)
			assert.Equal(t, tt.format, format)
			img, format, err := Decode(tt.data, 0)
			require.NoError(t, err)
			assert.Equal(t, tt.format, format)
			assert.Equal(t, image.Pt(cfg.Width, cfg.Height), img.Bounds().Size())
			_, _, err = Decode(tt.data, cfg.Width*cfg.Height-1)
			require.ErrorIs(t, err, ErrTooManyPixels)
			_, _, err = Decode(tt.data, cfg.Width*cfg.Height)
			require.NoError(t, err)
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	jpg := testJPEG(t, 16, 16, 0)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotImage},
		{"html", []byte("<html><body>hi</body></html>"), ErrNotImage},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), ErrNotImage},
		{"bmp", append([]byte("BM"), make([]byte, 60)...), ErrNotImage},
		{"truncated jpeg", jpg[:len(jpg)/2], ErrNotImage},
		{"jpeg header only", jpg[:4], ErrNotImage},
		{"png bomb", pngBomb(100000, 100000), ErrTooManyPixels},
		{"png overflowing dims", pngBomb(1<<31-1, 1<<31-1), ErrNotImage},
		{"png zero width", pngBomb(0, 10), ErrNotImage},
		{"png without data", pngBomb(10, 10), ErrNotImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.data, 1<<20)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestDecoderStage(t *testing.T) {
	ok := labelfree.NewRow("ok")
	labelfree.Set(ok, labelfree.ImageBytes, testPNG(t, 7, 5, 0))
	bad := labelfree.NewRow("bad")
	labelfree.Set(bad, labelfree.ImageBytes, []byte("nope"))
	missing := labelfree.NewRow("missing")
	ds, err := (&labelfree.Executor{}).Transform(context.Background(), &Decoder{}, labelfree.NewDataset(ok, bad, missing))
	require.NoError(t, err)
	require.Nil(t, ok.Err)
	img, _ := labelfree.Get(ok, labelfree.Image)
	assert.Equal(t, image.Pt(7, 5), img.Bounds().Size())
	f, _ := labelfree.Get(ok, Format)
	assert.Equal(t, "png", f)
	require.NotNil(t, bad.Err)
	assert.ErrorIs(t, bad.Err, ErrNotImage)
	require.NotNil(t, missing.Err)
	assert.Len(t, ds.Rows, 3)
	var pe *labelfree.ParamError
	_, err = (&labelfree.Executor{}).Transform(context.Background(), &Decoder{MaxPixels: -1}, ds)
	require.ErrorAs(t, err, &pe)
}

// FuzzDecode feeds hostile bytes to the decoding path: it must never
// panic, never exceed the pixel limit, and agree with DecodeConfig.
func FuzzDecode(f *testing.F) {
	f.Add(testJPEG(f, 16, 12, 1))
	f.Add(testPNG(f, 9, 9, 2))
	f.Add(testGIF(f))
	f.Add(webpFixture(f))
	f.Add(pngBomb(3000, 3000))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8X"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxPixels = 1 << 16
		cfg, format, err := DecodeConfig(data, maxPixels)
		img, format2, err2 := Decode(data, maxPixels)
		if err != nil {
			if err2 == nil {
				t.Fatalf("Decode accepted what DecodeConfig refused: %v", err)
			}
			return
		}
		if err2 != nil {
			return
		}
		if format != format2 {
			t.Fatalf("formats differ: %s vs %s", format, format2)
		}
		if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height || b.Dx()*b.Dy() > maxPixels {
			t.Fatalf("decoded %v, config %dx%d", b, cfg.Width, cfg.Height)
		}
	})
}

func BenchmarkDecodeConfig(b *testing.B) {
	data := encodeJPEG(b, scene(b, 1), 85)
	for b.Loop() {
		if _, _, err := DecodeConfig(data, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeJPEG(b *testing.B) {
	data := encodeJPEG(b, scene(b, 1), 85)
	for b.Loop() {
		if _, _, err := Decode(data, 0); err != nil {
			b.Fatal(err)
		}
	}
}
