package serve

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJPEGSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  image.Image
	}{
		{"rgb", scene(37, 19, image.Rect(1, 1, 5, 5))},
		{"gray", image.NewGray(image.Rect(0, 0, 640, 480))},
		{"cmyk", image.NewCMYK(image.Rect(0, 0, 3, 1000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := jpegBytes(t, tc.img)
			want, err := jpeg.DecodeConfig(bytes.NewReader(data))
			require.NoError(t, err)
			w, h, ok := jpegSize(data)
			require.True(t, ok)
			assert.Equal(t, []int{want.Width, want.Height}, []int{w, h})
			for n := range len(data) { // a truncation is refused or agrees
				if w, h, ok := jpegSize(data[:n]); ok {
					assert.Equal(t, []int{want.Width, want.Height}, []int{w, h})
				}
			}
		})
	}
	for _, bad := range [][]byte{nil, {0xff}, {0xff, 0xd8}, {0xff, 0xd8, 0xff, 0xc0, 0, 1},
		{0xff, 0xd8, 0xff, 0xda, 0, 4, 0, 0}, {0xff, 0xd8, 0xff, 0xc3, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0}, pngHeader(4, 4)} {
		_, _, ok := jpegSize(bad)
		assert.False(t, ok, "%x", bad)
	}
}

// FuzzJPEGSize checks the fast header reader against image/jpeg: whenever
// both read a size, it is the same.
func FuzzJPEGSize(f *testing.F) {
	f.Add(jpegBytes(f, scene(9, 7, image.Rect(1, 1, 4, 4))))
	f.Add(jpegBytes(f, image.NewGray(image.Rect(0, 0, 3, 2))))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		w, h, ok := jpegSize(data)
		if !ok {
			return
		}
		if w <= 0 || h <= 0 {
			t.Fatalf("accepted %dx%d", w, h)
		}
		want, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err == nil && (want.Width != w || want.Height != h) {
			t.Fatalf("jpegSize %dx%d, image/jpeg %dx%d", w, h, want.Width, want.Height)
		}
	})
}
