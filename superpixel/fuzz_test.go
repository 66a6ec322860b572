package superpixel

import (
	"context"
	"image"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzSLIC segments small random images with random parameters: no panic,
// no error, labels in range, statistics and adjacency right, and every
// segment connected when enforcement is on.
func FuzzSLIC(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0})
	f.Add([]byte{7, 5, 3, 80, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 0, 17})
	f.Add([]byte{23, 1, 63, 1, 1, 11, 0xff, 0, 0xff, 0})
	f.Add([]byte{16, 16, 9, 255, 6, 3, 10, 200, 30, 40, 50, 60})
	f.Add([]byte{3, 20, 2, 4, 0x1c, 0, 9, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		at := func(i int) byte {
			if i < len(data) {
				return data[i]
			}
			return 0
		}
		w, h := 1+int(at(0))%24, 1+int(at(1))%24
		flags := at(4)
		s := SLIC{
			Segments:       int(at(2)) % 64,
			NoConnectivity: flags&1 != 0,
			GridSeeds:      flags&2 != 0,
			Iterations:     int(at(5)) % 12,
		}
		if c := at(3); c != 0 {
			s.Compactness = float64(c) / 8
		}
		if flags&4 != 0 {
			s.Sigma = 1
		}
		px := data[min(len(data), 6):]
		pix := func(i int) uint8 {
			if len(px) == 0 {
				return 0
			}
			return px[i%len(px)]
		}
		var img image.Image
		r := image.Rect(0, 0, w, h)
		switch (flags >> 3) & 3 {
		case 0:
			m := image.NewRGBA(r)
			for i := range m.Pix {
				m.Pix[i] = pix(i)
			}
			img = m
		case 1:
			m := image.NewGray(r)
			for i := range m.Pix {
				m.Pix[i] = pix(i)
			}
			img = m
		case 2:
			m := image.NewNRGBA(r)
			for i := range m.Pix {
				m.Pix[i] = pix(i)
			}
			img = m
		case 3:
			m := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
			for i := range m.Y {
				m.Y[i] = pix(i)
			}
			for i := range m.Cb {
				m.Cb[i], m.Cr[i] = pix(i+7), pix(i+13)
			}
			img = m
		}
		seg, err := s.Segment(context.Background(), img)
		require.NoError(t, err)
		checkSegmentation(t, seg, img, !s.NoConnectivity)
	})
}
