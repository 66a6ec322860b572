package detect

import (
	"fmt"
	"image"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/stretchr/testify/require"
)

// scenes renders n synthetic camera-trap scenes (every third one without
// an animal, some with two) with their true boxes in labelfree.TrueBoxes.
func scenes(t testing.TB, seed uint64, n, w, h int) *labelfree.Dataset {
	t.Helper()
	ds := labelfree.NewDataset()
	ds.Classes = []string{"other", "snow leopard"}
	for i := range n {
		animals := 1
		if i%3 == 2 {
			animals = 0
		} else if i%7 == 0 {
			animals = 2
		}
		sc, err := synth.Render(synth.Spec{Seed: seed*1_000_003 + uint64(i), Width: w, Height: h, Animals: animals, Clutter: 3})
		require.NoError(t, err)
		r := labelfree.NewRow(fmt.Sprintf("scene-%d-%d", seed, i))
		labelfree.Set(r, labelfree.Image, image.Image(sc.Image))
		labelfree.Set(r, labelfree.TrueBoxes, sc.Boxes)
		ds.Rows = append(ds.Rows, r)
	}
	return ds
}

// boxesOf returns the column's boxes of every row (nil where absent).
func boxesOf(ds *labelfree.Dataset, c labelfree.Column[[]labelfree.Box]) [][]labelfree.Box {
	out := make([][]labelfree.Box, len(ds.Rows))
	for i, r := range ds.Rows {
		out[i], _ = labelfree.Get(r, c)
	}
	return out
}
