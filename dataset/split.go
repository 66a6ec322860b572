package dataset

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"math"
	"sort"
	"strings"

	"github.com/labelfree/labelfree"
)

// SplitStage is the TrainTestSplit stage's name.
const SplitStage = "dataset.TrainTestSplit"

// TrainTestSplit writes the Split column: a stratified, seeded split of the
// usable rows into SplitTrain and SplitTest. Within each class (Label) a
// TestFraction share of rows, rounded, goes to test (at least one when the
// class has two rows or more, and never all). Which rows depends only on
// Seed and the row IDs.
//
// Copies made by Balance (IDs "ID#k") go to the split of their original,
// so no image sits on both sides.
type TrainTestSplit struct {
	// TestFraction is the share of each class put in the test split, in
	// (0, 1); 0 means 0.2.
	TestFraction float64
	// Seed picks the rows.
	Seed uint64
}

// Info describes the stage.
func (s *TrainTestSplit) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: SplitStage, Reads: []labelfree.ColumnRef{labelfree.Label.Ref()}, Writes: []labelfree.ColumnRef{Split.Ref()}}
}

// Validate checks the parameters.
func (s *TrainTestSplit) Validate() error {
	if !(s.TestFraction >= 0 && s.TestFraction < 1) {
		return &labelfree.ParamError{Stage: SplitStage, Field: "TestFraction", Reason: "must be in [0, 1)"}
	}
	return nil
}

// groupKey is the ID of the row a copy was made from.
func groupKey(id string) string {
	k, _, _ := strings.Cut(id, "#")
	return k
}

func keyHash(seed uint64, key string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(key))
	return labelfree.NewRow(key).Seed(h.Sum64())
}

// TransformDataset writes the split.
func (s *TrainTestSplit) TransformDataset(ctx context.Context, ds *labelfree.Dataset) (*labelfree.Dataset, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	frac := s.TestFraction
	if frac == 0 {
		frac = 0.2
	}
	type group struct {
		key  string
		rows []*labelfree.Row
	}
	byClass := map[int][]*group{}
	index := map[string]*group{}
	for _, r := range ds.OK() {
		l, err := labelfree.MustGet(r, labelfree.Label)
		if err != nil {
			r.Fail(SplitStage, err)
			continue
		}
		k := groupKey(r.ID)
		g, ok := index[k]
		if !ok {
			g = &group{key: k}
			index[k] = g
			byClass[l] = append(byClass[l], g)
		}
		g.rows = append(g.rows, r)
	}
	for _, groups := range byClass {
		sort.Slice(groups, func(i, j int) bool {
			hi, hj := keyHash(s.Seed, groups[i].key), keyHash(s.Seed, groups[j].key)
			if hi != hj {
				return hi < hj
			}
			return groups[i].key < groups[j].key
		})
		n := len(groups)
		test := int(math.Round(frac * float64(n)))
		if n >= 2 {
			test = max(1, min(test, n-1))
		} else {
			test = 0
		}
		for i, g := range groups {
			split := SplitTrain
			if i < test {
				split = SplitTest
			}
			for _, r := range g.rows {
				labelfree.Set(r, Split, split)
			}
		}
	}
	return ds, ctx.Err()
}
