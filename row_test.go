package labelfree_test

import (
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRowSetGetDelete(t *testing.T) {
	r := labelfree.NewRow("a")
	_, ok := labelfree.Get(r, colX)
	assert.False(t, ok)
	_, err := labelfree.MustGet(r, colX)
	require.ErrorContains(t, err, `"test.x"`)

	labelfree.Set(r, colX, 1.5)
	labelfree.Set(r, colX, 2.5)
	x, ok := labelfree.Get(r, colX)
	require.True(t, ok)
	assert.Equal(t, 2.5, x)
	assert.Equal(t, []string{"test.x"}, r.ColumnNames())

	// A clashing declaration reads nothing rather than a wrongly typed value.
	_, ok = labelfree.Get(r, colXWrong)
	assert.False(t, ok)

	labelfree.Delete(r, colX)
	assert.False(t, r.Has("test.x"))
}

func TestRowCloneIsIndependent(t *testing.T) {
	r := labelfree.NewRow("a")
	labelfree.Set(r, colX, 1.0)
	c := r.Clone()
	labelfree.Set(c, colX, 2.0)
	x, _ := labelfree.Get(r, colX)
	assert.Equal(t, 1.0, x)
}

func TestRowSeedDependsOnIDAndStageSeedOnly(t *testing.T) {
	a, b := labelfree.NewRow("a"), labelfree.NewRow("b")
	assert.Equal(t, a.Seed(1), labelfree.NewRow("a").Seed(1))
	assert.NotEqual(t, a.Seed(1), a.Seed(2))
	assert.NotEqual(t, a.Seed(1), b.Seed(1))
}

func TestRowMarshalRoundTrip(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.NRGBA{10, 20, 30, 255})
	r := labelfree.NewRow("row-1")
	labelfree.Set(r, colX, 3.25)
	labelfree.Set[image.Image](r, labelfree.Image, img)
	labelfree.Set(r, labelfree.Boxes, []labelfree.Box{{X0: 1, Y0: 2, X1: 3, Y1: 4, Score: 0.5, Class: 1}})
	labelfree.Set(r, labelfree.Embedding, []float32{1, 2, 3})
	labelfree.Set(r, labelfree.ImageBytes, []byte{})
	r.Fail("Stage", errors.New("boom"))

	b, err := r.MarshalBinary()
	require.NoError(t, err)
	var got labelfree.Row
	require.NoError(t, got.UnmarshalBinary(b))
	assert.Equal(t, "row-1", got.ID)
	require.NotNil(t, got.Err)
	assert.Equal(t, "Stage: boom", got.Err.Error())
	x, _ := labelfree.Get(&got, colX)
	assert.Equal(t, 3.25, x)
	boxes, _ := labelfree.Get(&got, labelfree.Boxes)
	assert.Equal(t, []labelfree.Box{{X0: 1, Y0: 2, X1: 3, Y1: 4, Score: 0.5, Class: 1}}, boxes)
	emb, _ := labelfree.Get(&got, labelfree.Embedding)
	assert.Equal(t, []float32{1, 2, 3}, emb)
	gotImg, ok := labelfree.Get(&got, labelfree.Image)
	require.True(t, ok)
	assert.Equal(t, img.Bounds(), gotImg.Bounds())
	assert.Equal(t, color.NRGBAModel.Convert(img.At(1, 1)), color.NRGBAModel.Convert(gotImg.At(1, 1)))
}

func TestRowUnmarshalRejectsBadInput(t *testing.T) {
	good := labelfree.NewRow("x")
	labelfree.Set(good, colX, 1.0)
	b, err := good.MarshalBinary()
	require.NoError(t, err)

	for name, data := range map[string][]byte{
		"empty":     nil,
		"magic":     []byte("nope"),
		"truncated": b[:len(b)-3],
		"huge len":  append([]byte("LFR1"), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		t.Run(name, func(t *testing.T) {
			var r labelfree.Row
			assert.Error(t, r.UnmarshalBinary(data))
		})
	}

	unknown := labelfree.NewRow("u")
	labelfree.Set(unknown, labelfree.NewColumn[int]("test.declared-late", ""), 1)
	b, err = unknown.MarshalBinary()
	require.NoError(t, err)
	var r labelfree.Row
	require.NoError(t, r.UnmarshalBinary(b), "a column declared in this program decodes")
}

func FuzzRowUnmarshal(f *testing.F) {
	r := labelfree.NewRow("seed")
	labelfree.Set(r, colX, 2.0)
	labelfree.Set(r, labelfree.Label, 1)
	b, _ := r.MarshalBinary()
	f.Add(b)
	f.Add([]byte("LFR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r labelfree.Row
		_ = r.UnmarshalBinary(data) // must not panic
	})
}

func TestBoxGeometry(t *testing.T) {
	a := labelfree.Box{X0: 0, Y0: 0, X1: 10, Y1: 10}
	b := labelfree.Box{X0: 5, Y0: 5, X1: 15, Y1: 15}
	assert.InDelta(t, 25.0/175.0, a.IoU(b), 1e-12)
	assert.Equal(t, 1.0, a.IoU(a))
	assert.Equal(t, 0.0, a.IoU(labelfree.Box{X0: 20, Y0: 20, X1: 30, Y1: 30}))
	assert.Equal(t, 0.0, labelfree.Box{}.IoU(labelfree.Box{}))

	tests := []struct {
		name string
		box  labelfree.Box
		ok   bool
	}{
		{"inside", labelfree.Box{X0: 1, Y0: 1, X1: 9, Y1: 9, Score: 1}, true},
		{"outside", labelfree.Box{X0: 1, Y0: 1, X1: 11, Y1: 9}, false},
		{"inverted", labelfree.Box{X0: 5, Y0: 1, X1: 4, Y1: 9}, false},
		{"score", labelfree.Box{X0: 1, Y0: 1, X1: 2, Y1: 2, Score: 1.5}, false},
		{"class", labelfree.Box{X0: 1, Y0: 1, X1: 2, Y1: 2, Class: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.box.Validate(10, 10)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}
