package detect

import (
	"cmp"
	"slices"

	"github.com/labelfree/labelfree"
)

// NMS performs greedy non-maximum suppression: it visits the boxes in
// decreasing order of score (ties keep their input order) and keeps a box
// unless it overlaps an already kept box of the same class with an IoU
// strictly above iou. With classAgnostic set, boxes of different classes
// suppress each other too. maxBoxes > 0 stops after that many kept boxes.
// The input slice is not modified; the result is sorted by decreasing score.
func NMS(boxes []labelfree.Box, iou float64, classAgnostic bool, maxBoxes int) []labelfree.Box {
	order := make([]int, len(boxes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(boxes[b].Score, boxes[a].Score) })
	var kept []labelfree.Box
	for _, i := range order {
		b := boxes[i]
		ok := true
		for _, k := range kept {
			if (classAgnostic || k.Class == b.Class) && k.IoU(b) > iou {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		kept = append(kept, b)
		if maxBoxes > 0 && len(kept) == maxBoxes {
			break
		}
	}
	return kept
}
