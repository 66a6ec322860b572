package superpixel

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type skimageRef struct {
	Skimage   string `json:"skimage"`
	Tolerance int    `json:"tolerance"`
	Scenes    []struct {
		Name    string  `json:"name"`
		SHA256  string  `json:"sha256"`
		GridBR  float64 `json:"grid_br"`
		GridCUE float64 `json:"grid_cue"`
		SLIC    []struct {
			NSegments   int     `json:"n_segments"`
			Compactness float64 `json:"compactness"`
			Segments    int     `json:"segments"`
			BR          float64 `json:"br"`
			CUE         float64 `json:"cue"`
		} `json:"slic"`
	} `json:"scenes"`
}

func loadSkimageRef(t *testing.T) skimageRef {
	t.Helper()
	b, err := os.ReadFile("testdata/skimage_quality.json")
	require.NoError(t, err)
	var ref skimageRef
	require.NoError(t, json.Unmarshal(b, &ref))
	require.NotEmpty(t, ref.Scenes)
	return ref
}

func gridLabels(w, h, cell int) []int32 {
	out := make([]int32, w*h)
	nx := (w + cell - 1) / cell
	for i := range out {
		out[i] = int32((i/w/cell)*nx + (i%w)/cell)
	}
	return out
}

// TestQualityMeasuresMatchPython checks that BoundaryRecall and
// UndersegmentationError agree with the independent numpy versions in
// testdata/gen_skimage_ref.py, on the same scenes, for a block grid.
func TestQualityMeasuresMatchPython(t *testing.T) {
	ref := loadSkimageRef(t)
	scenes := qualityScenes()
	require.Len(t, scenes, len(ref.Scenes))
	for i, s := range scenes {
		r := ref.Scenes[i]
		require.Equal(t, r.Name, s.name)
		require.Equal(t, r.SHA256, s.hash(), "scene %s differs from the one the reference was made on", s.name)
		w, h := s.img.Rect.Dx(), s.img.Rect.Dy()
		g := gridLabels(w, h, 16)
		br, err := BoundaryRecall(g, s.truth, w, h, ref.Tolerance)
		require.NoError(t, err)
		cue, err := UndersegmentationError(g, s.truth, w, h)
		require.NoError(t, err)
		assert.InDelta(t, r.GridBR, br, 1e-12, s.name)
		assert.InDelta(t, r.GridCUE, cue, 1e-12, s.name)
	}
}

// TestQualityVsSkimage: on scenes with known regions, labelfree's SLIC
// must score at least as well as scikit-image's slic with the same
// parameters (boundary recall at least as high, corrected
// undersegmentation error at most as high, averaged over the scenes),
// without producing more segments than asked for to get there.
func TestQualityVsSkimage(t *testing.T) {
	ref := loadSkimageRef(t)
	scenes := qualityScenes()
	ctx := context.Background()
	for p := range ref.Scenes[0].SLIC {
		var ourBR, ourCUE, skBR, skCUE float64
		var ourN, skN int
		par := ref.Scenes[0].SLIC[p]
		for i, s := range scenes {
			r := ref.Scenes[i].SLIC[p]
			require.Equal(t, par.NSegments, r.NSegments)
			w, h := s.img.Rect.Dx(), s.img.Rect.Dy()
			seg, err := SLIC{Segments: r.NSegments, Compactness: r.Compactness}.Segment(ctx, s.img)
			require.NoError(t, err)
			br, err := BoundaryRecall(seg.Labels, s.truth, w, h, ref.Tolerance)
			require.NoError(t, err)
			cue, err := UndersegmentationError(seg.Labels, s.truth, w, h)
			require.NoError(t, err)
			t.Logf("%s n=%d m=%g: labelfree %3d segs BR %.3f CUE %.4f | skimage %3d segs BR %.3f CUE %.4f",
				s.name, r.NSegments, r.Compactness, seg.N, br, cue, r.Segments, r.BR, r.CUE)
			ourBR += br / float64(len(scenes))
			ourCUE += cue / float64(len(scenes))
			skBR += r.BR / float64(len(scenes))
			skCUE += r.CUE / float64(len(scenes))
			ourN += seg.N
			skN += r.Segments
		}
		t.Logf("mean n=%d m=%g: labelfree %d segs BR %.3f CUE %.4f | skimage %d segs BR %.3f CUE %.4f",
			par.NSegments, par.Compactness, ourN, ourBR, ourCUE, skN, skBR, skCUE)
		assert.GreaterOrEqual(t, ourBR, skBR, "boundary recall, n_segments=%d compactness=%g", par.NSegments, par.Compactness)
		assert.LessOrEqual(t, ourCUE, skCUE, "undersegmentation error, n_segments=%d compactness=%g", par.NSegments, par.Compactness)
		// More segments than asked for would buy recall unfairly.
		assert.LessOrEqual(t, float64(ourN), 1.1*float64(par.NSegments*len(scenes)), "segment count, n_segments=%d compactness=%g", par.NSegments, par.Compactness)
	}
}
