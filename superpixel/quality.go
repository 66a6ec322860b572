package superpixel

import (
	"fmt"
	"slices"
)

// Quality measures of a segmentation against a ground-truth labelling of the
// same image, as used in the superpixel literature (Stutz et al., "Superpixels:
// an evaluation of the state-of-the-art", CVIU 2018). Both take label maps
// in the Labels layout (row-major, width×height) with non-negative labels.

// BoundaryRecall returns the fraction of ground-truth boundary pixels that
// have a segment boundary pixel within tol pixels (in both axes: the
// (2·tol+1)² square around them). Boundary pixels are those whose right or
// lower neighbour has another label, as Segmentation.Boundaries marks them.
// Higher is better; a truth without boundaries gives 1.
func BoundaryRecall(got, truth []int32, width, height, tol int) (float64, error) {
	if err := checkMaps(got, truth, width, height); err != nil {
		return 0, err
	}
	if tol < 0 {
		return 0, fmt.Errorf("superpixel: negative boundary tolerance %d", tol)
	}
	gb := boundaryMap(got, width, height)
	tb := boundaryMap(truth, width, height)
	// near[i]: a got-boundary pixel lies within tol columns of i in its row;
	// then the same over rows.
	rowNear := dilateRows(gb, width, height, tol)
	var total, hit int
	for y := range height {
		for x := range width {
			if !tb[y*width+x] {
				continue
			}
			total++
			for yy := max(0, y-tol); yy <= min(height-1, y+tol); yy++ {
				if rowNear[yy*width+x] {
					hit++
					break
				}
			}
		}
	}
	if total == 0 {
		return 1, nil
	}
	return float64(hit) / float64(total), nil
}

func dilateRows(b []bool, w, h, r int) []bool {
	out := make([]bool, len(b))
	for y := range h {
		row := b[y*w : (y+1)*w]
		o := out[y*w : (y+1)*w]
		last := -1 << 30 // last boundary column seen at or left of x+r
		for x := 0; x < w+r; x++ {
			if x < w && row[x] {
				last = x
			}
			if c := x - r; c >= 0 && c < w {
				// Boundary within [c-r, c+r]: the last one up to c+r, if
				// it is at least c-r.
				o[c] = last >= c-r
			}
		}
	}
	return out
}

// UndersegmentationError returns the corrected undersegmentation error of
// van den Bergh et al. (SEEDS, ECCV 2012): the share of pixels that lie
// outside the ground-truth segment their superpixel overlaps most,
//
//	CUE = Σ_S |S − argmax_G |S ∩ G|| / N.
//
// Lower is better; 0 means every superpixel lies within one truth segment.
func UndersegmentationError(got, truth []int32, width, height int) (float64, error) {
	if err := checkMaps(got, truth, width, height); err != nil {
		return 0, err
	}
	// Overlap counts per (superpixel, truth) pair, by sorting the pairs.
	pairs := make([]uint64, len(got))
	for i := range got {
		pairs[i] = uint64(got[i])<<32 | uint64(truth[i])
	}
	slices.Sort(pairs)
	outside := 0
	for i := 0; i < len(pairs); {
		s := pairs[i] >> 32
		size, best := 0, 0
		for i < len(pairs) && pairs[i]>>32 == s {
			j := i
			for j < len(pairs) && pairs[j] == pairs[i] {
				j++
			}
			size += j - i
			best = max(best, j-i)
			i = j
		}
		outside += size - best
	}
	return float64(outside) / float64(len(got)), nil
}

func checkMaps(got, truth []int32, w, h int) error {
	if w <= 0 || h <= 0 || len(got) != w*h || len(truth) != w*h {
		return fmt.Errorf("superpixel: label maps of %d and %d values for %d×%d pixels", len(got), len(truth), w, h)
	}
	for _, m := range [][]int32{got, truth} {
		for i, v := range m {
			if v < 0 {
				return fmt.Errorf("superpixel: negative label %d at pixel %d", v, i)
			}
		}
	}
	return nil
}
