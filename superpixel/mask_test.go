package superpixel

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func segmentScene(t testing.TB, w, h, n int) (*image.RGBA, *Segmentation) {
	t.Helper()
	img := makeScene(5, w, h).img
	seg, err := SLIC{Segments: n}.Segment(context.Background(), img)
	require.NoError(t, err)
	return img, seg
}

func randomOn(rng *rand.Rand, n int) []bool {
	on := make([]bool, n)
	for i := range on {
		on[i] = rng.IntN(2) == 1
	}
	return on
}

func TestMaskFills(t *testing.T) {
	img, seg := segmentScene(t, 97, 61, 40)
	w, h := seg.Width, seg.Height
	blur := make([]uint8, 4*w*h)
	blurRGBA(blur, img.Pix, w, h, 2)
	grey := color.RGBA{128, 128, 128, 255}
	fills := map[string]struct {
		fill Fill
		want func(x, y int) color.RGBA
	}{
		"mean":  {Fill{}, func(x, y int) color.RGBA { return seg.Segments[seg.At(x, y)].Mean }},
		"solid": {Fill{Kind: FillSolid, Color: grey}, func(int, int) color.RGBA { return grey }},
		"blur": {Fill{Kind: FillBlur, Sigma: 2}, func(x, y int) color.RGBA {
			i := 4 * (y*w + x)
			return color.RGBA{blur[i], blur[i+1], blur[i+2], blur[i+3]}
		}},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for name, f := range fills {
		m, err := seg.NewMasker(img, f.fill)
		require.NoError(t, err, name)
		// A destination with its own origin and a wider stride.
		big := image.NewRGBA(image.Rect(-3, 2, w+5, h+9))
		dst := big.SubImage(image.Rect(-1, 4, w-1, h+4)).(*image.RGBA)
		for trial := range 4 {
			on := randomOn(rng, seg.N)
			if trial == 0 {
				for i := range on {
					on[i] = true
				}
			}
			require.NoError(t, m.Mask(dst, on))
			for y := range h {
				for x := range w {
					got := dst.RGBAAt(dst.Rect.Min.X+x, dst.Rect.Min.Y+y)
					want := img.RGBAAt(x, y)
					if !on[seg.At(x, y)] {
						want = f.want(x, y)
					}
					require.Equal(t, want, got, "%s trial %d pixel (%d,%d)", name, trial, x, y)
				}
			}
		}
		// Nothing outside dst was touched.
		for y := big.Rect.Min.Y; y < big.Rect.Max.Y; y++ {
			for x := big.Rect.Min.X; x < big.Rect.Max.X; x++ {
				if !(image.Point{x, y}).In(dst.Rect) {
					require.Equal(t, color.RGBA{}, big.RGBAAt(x, y))
				}
			}
		}
		// The one-off form agrees.
		on := randomOn(rng, seg.N)
		a, b := m.NewImage(), m.NewImage()
		require.NoError(t, m.Mask(a, on))
		require.NoError(t, seg.Mask(b, img, on, f.fill))
		require.Equal(t, a.Pix, b.Pix)
		require.Same(t, seg, m.Segmentation())
	}
}

// TestBlurMatchesDirectConvolution compares the separable blur with a
// direct 2-D convolution in float64 (reflected borders).
func TestBlurMatchesDirectConvolution(t *testing.T) {
	w, h := 23, 17
	src := noiseImage(9, w, h).Pix
	got := make([]uint8, len(src))
	sigma := 1.7
	blurRGBA(got, src, w, h, sigma)
	k := gaussianKernel(sigma)
	r := len(k) / 2
	for y := range h {
		for x := range w {
			for c := range 4 {
				var s float64
				for j := -r; j <= r; j++ {
					for i := -r; i <= r; i++ {
						s += float64(k[j+r]) * float64(k[i+r]) * float64(src[4*(reflect(y+j, h)*w+reflect(x+i, w))+c])
					}
				}
				require.InDelta(t, math.Round(s), float64(got[4*(y*w+x)+c]), 1, "(%d,%d) channel %d", x, y, c)
			}
		}
	}
	// A flat image stays flat.
	flat := make([]uint8, 4*w*h)
	for i := range flat {
		flat[i] = 77
	}
	blurRGBA(got, flat, w, h, 3)
	for _, v := range got {
		require.Equal(t, uint8(77), v)
	}
}

func TestMaskAllocationFree(t *testing.T) {
	img, seg := segmentScene(t, 160, 120, 100)
	for _, f := range []Fill{{}, {Kind: FillSolid}, {Kind: FillBlur}} {
		m, err := seg.NewMasker(img, f)
		require.NoError(t, err)
		dst := m.NewImage()
		on := randomOn(rand.New(rand.NewPCG(2, 2)), seg.N)
		allocs := testing.AllocsPerRun(20, func() {
			if err := m.Mask(dst, on); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, f.Kind.String())
	}
}

func TestMaskErrors(t *testing.T) {
	img, seg := segmentScene(t, 40, 30, 10)
	_, err := seg.NewMasker(nil, Fill{})
	require.ErrorIs(t, err, ErrEmpty)
	_, err = seg.NewMasker(image.NewRGBA(image.Rect(0, 0, 41, 30)), Fill{})
	require.ErrorContains(t, err, "41×30")
	_, err = seg.NewMasker(img, Fill{Kind: 9})
	require.ErrorContains(t, err, "FillKind(9)")
	_, err = seg.NewMasker(img, Fill{Kind: FillBlur, Sigma: -1})
	require.ErrorContains(t, err, "sigma")
	_, err = seg.NewMasker(img, Fill{Kind: FillBlur, Sigma: math.NaN()})
	require.ErrorContains(t, err, "sigma")
	m, err := seg.NewMasker(img, Fill{})
	require.NoError(t, err)
	require.ErrorContains(t, m.Mask(image.NewRGBA(image.Rect(0, 0, 40, 29)), make([]bool, seg.N)), "40×30")
	require.ErrorContains(t, m.Mask(nil, make([]bool, seg.N)), "40×30")
	require.ErrorContains(t, m.Mask(m.NewImage(), make([]bool, seg.N+1)), "switches")
}

// BenchmarkMask renders one LIME perturbation of a darknet photo cut into
// 200 superpixels; the per-image setup (NewMasker) is outside the loop.
func BenchmarkMask(b *testing.B) {
	img := loadPhoto(b, "dog.jpg")
	seg, err := SLIC{Segments: 200}.Segment(context.Background(), img)
	require.NoError(b, err)
	for _, f := range []Fill{{}, {Kind: FillBlur}} {
		b.Run(f.Kind.String(), func(b *testing.B) {
			m, err := seg.NewMasker(img, f)
			require.NoError(b, err)
			dst := m.NewImage()
			rng := rand.New(rand.NewPCG(3, 3))
			ons := make([][]bool, 64)
			for i := range ons {
				ons[i] = randomOn(rng, seg.N)
			}
			i := 0
			for b.Loop() {
				if err := m.Mask(dst, ons[i%len(ons)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
