package superpixel

import (
	"context"
	"image"
	"image/draw"
	_ "image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// darknetDir holds the photos Debian's darknet package ships
// (apt-get install darknet).
const darknetDir = "/usr/share/darknet/data"

var darknetPhotos = []string{"dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg", "kite.jpg", "person.jpg", "scream.jpg"}

func loadPhoto(tb testing.TB, name string) *image.RGBA {
	tb.Helper()
	f, err := os.Open(filepath.Join(darknetDir, name))
	if err != nil {
		tb.Skipf("darknet photos not installed (apt-get install darknet): %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	m := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(m, m.Rect, img, img.Bounds().Min, draw.Src)
	return m
}

// BenchmarkSLIC segments each darknet photo into 200 superpixels with
// scikit-image's other defaults; the MP/s metric is megapixels per second.
func BenchmarkSLIC(b *testing.B) {
	for _, name := range darknetPhotos {
		img := loadPhoto(b, name)
		b.Run(name, func(b *testing.B) {
			s := SLIC{Segments: 200}
			ctx := context.Background()
			for b.Loop() {
				if _, err := s.Segment(ctx, img); err != nil {
					b.Fatal(err)
				}
			}
			mp := float64(img.Rect.Dx()*img.Rect.Dy()) / 1e6
			b.ReportMetric(mp*float64(b.N)/b.Elapsed().Seconds(), "MP/s")
		})
	}
}
