package synth

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRenderDump writes a contact sheet of scenes, boxes drawn in red, for
// looking at: SYNTH_DUMP=sheet.png go test -run TestRenderDump.
func TestRenderDump(t *testing.T) {
	out := os.Getenv("SYNTH_DUMP")
	if out == "" {
		t.Skip("set SYNTH_DUMP=file.png to write a contact sheet")
	}
	const cols, rows = 6, 5
	sheet := image.NewRGBA(image.Rect(0, 0, 320*cols, 240*rows))
	for i := range cols * rows {
		animals := 0
		if i%2 == 0 {
			animals = 1 + i%4/3
		}
		sc, err := Render(Spec{Seed: uint64(i), Animals: animals, Clutter: i % 4})
		require.NoError(t, err)
		off := image.Pt(i%cols*320, i/cols*240)
		draw.Draw(sheet, sc.Image.Bounds().Add(off), sc.Image, image.Point{}, draw.Src)
		red := color.RGBA{255, 0, 0, 255}
		for _, b := range sc.Boxes {
			for x := int(b.X0); x < int(b.X1); x++ {
				sheet.Set(off.X+x, off.Y+int(b.Y0), red)
				sheet.Set(off.X+x, off.Y+int(b.Y1)-1, red)
			}
			for y := int(b.Y0); y < int(b.Y1); y++ {
				sheet.Set(off.X+int(b.X0), off.Y+y, red)
				sheet.Set(off.X+int(b.X1)-1, off.Y+y, red)
			}
		}
	}
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, png.Encode(f, sheet))
}

func BenchmarkRender(b *testing.B) {
	for _, animals := range []int{0, 1} {
		b.Run(map[int]string{0: "negative", 1: "positive"}[animals], func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := Render(Spec{Seed: uint64(i), Animals: animals, Clutter: 3}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestRenderDeterministic(t *testing.T) {
	a, err := Render(Spec{Seed: 7, Animals: 2, Clutter: 3})
	require.NoError(t, err)
	b, err := Render(Spec{Seed: 7, Animals: 2, Clutter: 3})
	require.NoError(t, err)
	require.Equal(t, a.Image.Pix, b.Image.Pix)
	require.Equal(t, a.Boxes, b.Boxes)
	require.Equal(t, a.Mask.Pix, b.Mask.Pix)
	c, err := Render(Spec{Seed: 8, Animals: 2, Clutter: 3})
	require.NoError(t, err)
	require.NotEqual(t, a.Image.Pix, c.Image.Pix)
}

func TestRenderTruth(t *testing.T) {
	for seed := range uint64(60) {
		animals := int(seed % 3)
		sc, err := Render(Spec{Seed: seed, Width: 160 + int(seed), Height: 120, Animals: animals, Clutter: int(seed % 5)})
		require.NoError(t, err)
		r := sc.Image.Bounds()
		require.Equal(t, r, sc.Mask.Bounds())
		if animals == 0 {
			require.Empty(t, sc.Boxes)
			for _, v := range sc.Mask.Pix {
				require.Zero(t, v, "seed %d: negative scene has animal pixels", seed)
			}
			continue
		}
		require.NotEmpty(t, sc.Boxes, "seed %d", seed)
		require.LessOrEqual(t, len(sc.Boxes), animals)
		for _, b := range sc.Boxes {
			require.NoError(t, b.Validate(r.Dx(), r.Dy()))
			assert.Equal(t, AnimalClass, b.Class)
		}
		// Every visible animal pixel lies in a box, and most boxes hold
		// visible pixels.
		visible := 0
		for y := range r.Dy() {
			for x := range r.Dx() {
				if sc.Mask.AlphaAt(x, y).A == 0 {
					continue
				}
				visible++
				in := false
				for _, b := range sc.Boxes {
					in = in || float64(x) >= b.X0 && float64(x) < b.X1 && float64(y) >= b.Y0 && float64(y) < b.Y1
				}
				require.True(t, in, "seed %d: animal pixel (%d,%d) outside every box", seed, x, y)
			}
		}
		require.Positive(t, visible, "seed %d", seed)
	}
}

func TestRenderAnimalsLookSpotted(t *testing.T) {
	// Inside the mask there are dark rosette pixels and light fur pixels.
	sc, err := Render(Spec{Seed: 3, Animals: 1})
	require.NoError(t, err)
	var dark, light int
	for i, a := range sc.Mask.Pix {
		if a == 0 {
			continue
		}
		p := sc.Image.Pix[4*i : 4*i+3]
		l := (int(p[0]) + int(p[1]) + int(p[2])) / 3
		if l < 90 {
			dark++
		} else if l > 120 {
			light++
		}
	}
	assert.Greater(t, dark, 50)
	assert.Greater(t, light, 4*dark/3)
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		spec  Spec
		field string
	}{
		{Spec{Width: 10}, "Width"},
		{Spec{Width: MaxSide + 1}, "Width"},
		{Spec{Height: -1}, "Height"},
		{Spec{Height: 1 << 30}, "Height"},
		{Spec{Animals: -1}, "Animals"},
		{Spec{Animals: MaxAnimals + 1}, "Animals"},
		{Spec{Clutter: MaxClutter + 1}, "Clutter"},
	}
	for _, tt := range tests {
		_, err := Render(tt.spec)
		var pe *labelfree.ParamError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, tt.field, pe.Field)
	}
	require.NoError(t, Spec{}.Validate())
}
