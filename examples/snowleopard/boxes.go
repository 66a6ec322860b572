package main

import (
	"math"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/lime"
)

// seedRule is the seed workflow's box rule: one rectangle around the
// superpixels carrying the top 80% of the positive importance.
var seedRule = lime.BoxOptions{Share: 0.8, SingleBox: true}

// limeScores compares LIME's boxes with the truth on images with animals.
type limeScores struct {
	Explained   int // rows explained
	WithTruth   int // of those, with true boxes
	Animals     int // true boxes over those rows
	LowFidelity int
	MeanR2      float64
	// The seed's single box against the box around all animals.
	SeedMeanIoU float64
	SeedRecall  float64 // animals matched at IoU ≥ 0.5 by the seed box
	// labelfree's default multi-box rule: each animal's best IoU.
	MultiMeanIoU float64
	MultiRecall  float64
	// Boxes per image from the default rule.
	BoxesPerImage float64
	PerImage      float64 // seconds per explanation, wall clock
}

func evaluateBoxes(ds *labelfree.Dataset) limeScores {
	var s limeScores
	var r2, seedIoU, multiIoU float64
	var seedHits, multiHits, boxes int
	for _, r := range ds.OK() {
		ex, ok := labelfree.Get(r, lime.Explanations)
		if !ok {
			continue
		}
		s.Explained++
		r2 += ex.R2
		if ex.LowFidelity {
			s.LowFidelity++
		}
		pred, _ := labelfree.Get(r, labelfree.Boxes)
		boxes += len(pred)
		truth, _ := labelfree.Get(r, labelfree.TrueBoxes)
		if len(truth) == 0 {
			continue
		}
		s.WithTruth++
		s.Animals += len(truth)
		seed := ex.Boxes(seedRule)
		if len(seed) > 0 {
			seedIoU += seed[0].IoU(enclosing(truth))
		}
		for _, t := range truth {
			if len(seed) > 0 && seed[0].IoU(t) >= 0.5 {
				seedHits++
			}
			best := 0.0
			for _, p := range pred {
				best = math.Max(best, p.IoU(t))
			}
			multiIoU += best
			if best >= 0.5 {
				multiHits++
			}
		}
	}
	if s.Explained > 0 {
		s.MeanR2 = r2 / float64(s.Explained)
		s.BoxesPerImage = float64(boxes) / float64(s.Explained)
	}
	if s.WithTruth > 0 {
		s.SeedMeanIoU = seedIoU / float64(s.WithTruth)
	}
	if s.Animals > 0 {
		s.SeedRecall = float64(seedHits) / float64(s.Animals)
		s.MultiMeanIoU = multiIoU / float64(s.Animals)
		s.MultiRecall = float64(multiHits) / float64(s.Animals)
	}
	return s
}

// enclosing returns the smallest box holding all of boxes.
func enclosing(boxes []labelfree.Box) labelfree.Box {
	e := boxes[0]
	for _, b := range boxes[1:] {
		e.X0, e.Y0 = math.Min(e.X0, b.X0), math.Min(e.Y0, b.Y0)
		e.X1, e.Y1 = math.Max(e.X1, b.X1), math.Max(e.Y1, b.Y1)
	}
	return e
}
