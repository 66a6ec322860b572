package dataset

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scene(t testing.TB, seed uint64) *image.RGBA {
	sc, err := synth.Render(synth.Spec{Seed: seed, Animals: int(seed % 2), Clutter: 2})
	require.NoError(t, err)
	return sc.Image
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}))
	return buf.Bytes()
}

func TestPerceptualHashes(t *testing.T) {
	// Edits that keep an image's identity move its hash a few bits;
	// distinct scenes lie far apart.
	for _, h := range []struct {
		name string
		f    func(image.Image) uint64
		near int
	}{{"phash", PHash, 6}, {"dhash", DHash, 10}} {
		t.Run(h.name, func(t *testing.T) {
			var far []int
			for seed := range uint64(12) {
				img := scene(t, seed)
				base := h.f(img)
				recompressed, _, err := Decode(encodeJPEG(t, img, 50), 0)
				require.NoError(t, err)
				edits := map[string]image.Image{
					"recompressed": recompressed,
					"half size":    imaging.Resize(img, 160, 0, imaging.Linear),
					"brighter":     imaging.AdjustBrightness(img, 8),
					"double size":  imaging.Resize(img, 640, 0, imaging.Linear),
				}
				for name, e := range edits {
					assert.LessOrEqual(t, Hamming(base, h.f(e)), h.near, "seed %d %s", seed, name)
				}
				for other := seed + 1; other < 12; other++ {
					far = append(far, Hamming(base, h.f(scene(t, other))))
				}
			}
			small := 0
			for _, d := range far {
				if d <= h.near {
					small++
				}
			}
			assert.LessOrEqual(t, small, len(far)/50, "distinct scenes rarely collide (%d of %d)", small, len(far))
		})
	}
	assert.Equal(t, 0, Hamming(7, 7))
	assert.Equal(t, 64, Hamming(0, ^uint64(0)))
	// Tiny and empty images do not panic.
	PHash(image.NewRGBA(image.Rect(0, 0, 1, 1)))
	DHash(image.NewRGBA(image.Rect(0, 0, 3, 2)))
	PHash(image.NewRGBA(image.Rect(0, 0, 0, 0)))
}

func TestDedupe(t *testing.T) {
	a, b, c := scene(t, 1), scene(t, 2), scene(t, 3)
	mk := func(id string, label int, data []byte) *labelfree.Row {
		r := labelfree.NewRow(id)
		labelfree.Set(r, labelfree.Label, label)
		labelfree.Set(r, labelfree.ImageBytes, data)
		return r
	}
	aq90 := encodeJPEG(t, a, 90)
	rows := []*labelfree.Row{
		mk("a", 0, aq90),
		mk("a-copy", 1, aq90),                // same bytes, positive: kept instead of "a"
		mk("a-q50", 0, encodeJPEG(t, a, 50)), // near duplicate
		mk("b", 0, encodeJPEG(t, b, 90)),     // distinct
		mk("b-small", 0, encodeJPEG(t, imaging.Resize(b, 100, 0, imaging.Lanczos), 80)),
		mk("c", 1, encodeJPEG(t, c, 90)),      // distinct
		mk("junk", 1, []byte("not an image")), // fails, kept
	}
	failed := labelfree.NewRow("failed-before")
	failed.Fail("earlier", assert.AnError)
	rows = append(rows, failed)
	ds := run(t, &Dedupe{}, labelfree.NewDataset(rows...))
	require.Len(t, ds.Rows, 8, "no row is dropped")

	status := map[string]string{}
	for _, r := range ds.Rows {
		switch {
		case r.Err == nil:
			status[r.ID] = "kept"
		default:
			of, _ := labelfree.Get(r, DuplicateOf)
			status[r.ID] = "dup of " + of
		}
	}
	assert.Equal(t, "kept", status["a-copy"])
	assert.Equal(t, "dup of a-copy", status["a"])
	assert.Equal(t, "dup of a-copy", status["a-q50"])
	assert.Equal(t, "kept", status["b"])
	assert.Equal(t, "dup of b", status["b-small"])
	assert.Equal(t, "kept", status["c"])
	require.NotNil(t, rows[6].Err)
	assert.ErrorIs(t, rows[6].Err, ErrNotImage, "undecodable rows fail, and stay")
	assert.Equal(t, "earlier", failed.Err.Stage, "earlier failures untouched")

	var de *DuplicateError
	require.ErrorAs(t, rows[0].Err, &de)
	assert.True(t, de.Exact)
	require.ErrorAs(t, rows[2].Err, &de)
	assert.False(t, de.Exact)
	assert.ErrorIs(t, rows[2].Err, ErrDuplicate)

	dups := Duplicates(ds)
	require.Len(t, dups, 3)
	assert.Equal(t, "a", dups[0].ID)
	assert.Contains(t, dups[0].Reason, "identical bytes")
	assert.Contains(t, dups[1].Reason, "near duplicate")

	// Exact-only mode keeps the near duplicates.
	for _, r := range rows {
		r.Err = nil
		labelfree.Delete(r, DuplicateOf)
	}
	ds = run(t, &Dedupe{MaxDistance: -1}, labelfree.NewDataset(rows[:6]...))
	assert.Len(t, ds.OK(), 5)
}

func TestDedupeCancelled(t *testing.T) {
	r := labelfree.NewRow("x")
	labelfree.Set(r, labelfree.ImageBytes, encodeJPEG(t, scene(t, 1), 80))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&labelfree.Executor{}).Transform(ctx, &Dedupe{}, labelfree.NewDataset(r))
	require.ErrorIs(t, err, context.Canceled)
}

func BenchmarkPHash(b *testing.B) {
	img := scene(b, 1)
	for b.Loop() {
		PHash(img)
	}
}

// TestDedupeKeepsDistinctScenes checks that distinct synthetic scenes are
// not taken for near duplicates, though some pairs have PHash values
// within the threshold (of the first 400 scenes, seeds 162 and 219, 113 and
// 348, 348 and 385; DHash distances 23, 13 and 14): the DHash
// confirmation keeps them apart. The seeds depend on the renderer; when
// it changes, find new pairs by hashing a few hundred scenes.
func TestDedupeKeepsDistinctScenes(t *testing.T) {
	var ds labelfree.Dataset
	close := 0
	var hashes []uint64
	for _, seed := range []uint64{162, 219, 113, 348, 385, 1, 2, 3, 4, 5, 6, 7, 8} {
		img := scene(t, seed)
		r := labelfree.NewRow(fmt.Sprint(seed))
		labelfree.Set(r, labelfree.Image, image.Image(img))
		ds.Rows = append(ds.Rows, r)
		h := PHash(img)
		for _, o := range hashes {
			if Hamming(h, o) <= DefaultMaxDistance {
				close++
			}
		}
		hashes = append(hashes, h)
	}
	require.Positive(t, close, "the test needs PHash-close distinct scenes")
	out := run(t, &Dedupe{}, &ds)
	assert.Empty(t, out.Failed())
	out = run(t, &Dedupe{MaxDHashDistance: -1}, &ds)
	assert.NotEmpty(t, out.Failed(), "without the confirmation they would be dropped")
}

func BenchmarkDHash(b *testing.B) {
	img := scene(b, 1)
	for b.Loop() {
		DHash(img)
	}
}
