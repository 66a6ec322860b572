package export

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/annot/annottest"
	"github.com/labelfree/labelfree/dataset/camtrapdp"
	"github.com/labelfree/labelfree/dataset/capture"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/lime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLIMEBoxesEveryFormat runs the snow-leopard workflow's box step on
// synthetic camera-trap photos (a spotted cat in each, GPS planted in
// their EXIF), explains an oracle classifier with LIME, and writes the
// weak boxes in every format: each reads back equal, and no output carries
// the GPS.
func TestLIMEBoxesEveryFormat(t *testing.T) {
	src := t.TempDir()
	t0 := time.Date(2024, 2, 11, 5, 3, 7, 0, time.UTC)
	var rows []*labelfree.Row
	for i := range 3 {
		sc, err := synth.Render(synth.Spec{Seed: uint64(i + 1), Animals: 1, Clutter: 4})
		require.NoError(t, err)
		file := filepath.Join(src, "cam01", "IMG_000"+string(rune('1'+i))+".JPG")
		require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
		plant := annottest.Plant{Time: t0.Add(time.Duration(i) * 3 * time.Second), GPS: true, Lat: lat, Lon: lon}
		require.NoError(t, os.WriteFile(file, annottest.EXIFJPEGOf(sc.Image, plant), 0o644))

		r := labelfree.NewRow(filepath.Base(file))
		labelfree.Set(r, labelfree.ImagePath, file)
		labelfree.Set[image.Image](r, labelfree.Image, sc.Image)
		labelfree.Set(r, labelfree.Label, synth.AnimalClass)
		sees := oracle(sc)
		ex := &lime.ImageLIME{Classifier: sees, Class: synth.AnimalClass, Samples: 300}
		require.NoError(t, ex.Transform(context.Background(), r))
		boxes, _ := labelfree.Get(r, labelfree.Boxes)
		require.NotEmpty(t, boxes, "LIME found the cat in scene %d", i)
		assert.Greater(t, boxes[0].IoU(sc.Boxes[0]), 0.3)
		rows = append(rows, r)
	}
	ds := labelfree.NewDataset(rows...)
	ds.Classes = []string{"other", "snow leopard"}
	ts := &capture.TimeStage{Root: src}
	for _, r := range ds.Rows {
		require.NoError(t, ts.Transform(context.Background(), r))
	}
	ds, err := (&capture.EventStage{Root: src}).TransformDataset(context.Background(), ds)
	require.NoError(t, err)

	out := t.TempDir()
	st := &Stage{Dir: out, Root: src, Options: Options{CamtrapDP: &camtrapdp.Options{
		Deployments:     []camtrapdp.Deployment{{ID: "cam01", Latitude: lat, Longitude: lon}},
		ScientificNames: map[string]string{"snow leopard": "Panthera uncia", "other": "Animalia"},
	}}}
	_, err = st.TransformDataset(context.Background(), ds)
	require.NoError(t, err)
	want, err := annot.FromDataset(ds, &annot.Options{Root: src})
	require.NoError(t, err)
	require.Equal(t, "cam01-0001", want.Images[2].Event, "one burst")

	got, err := ReadAll(context.Background(), out, annot.DirSize(src))
	require.NoError(t, err)
	require.Len(t, got, len(Formats))
	for _, f := range Formats {
		annottest.Equal(t, annottest.Expect(want, holds[f]), got[f], 1e-9)
	}
	assertNoGPS(t, out)
}

// oracle scores how much of the scene's cat a perturbed image still shows.
func oracle(sc *synth.Scene) lime.ClassifierFunc {
	return func(ctx context.Context, imgs []image.Image) ([][]float64, error) {
		out := make([][]float64, len(imgs))
		b := sc.Mask.Bounds()
		for i, im := range imgs {
			seen, total := 0, 0
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if sc.Mask.AlphaAt(x, y).A == 0 {
						continue
					}
					total++
					if im.At(x, y) == sc.Image.At(x, y) {
						seen++
					}
				}
			}
			p := float64(seen) / float64(max(total, 1))
			out[i] = []float64{1 - p, p}
		}
		return out, nil
	}
}
