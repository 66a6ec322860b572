package detect

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func box(x0, y0, x1, y1, score float64, class int) labelfree.Box {
	return labelfree.Box{X0: x0, Y0: y0, X1: x1, Y1: y1, Score: score, Class: class}
}

func TestEvaluateKnownAnswers(t *testing.T) {
	gt := box(0, 0, 10, 10, 1, 1)
	tests := []struct {
		name           string
		dets, truths   [][]labelfree.Box
		ap, ap50, ap75 float64
		p, r           float64
	}{
		{"perfect", [][]labelfree.Box{{box(0, 0, 10, 10, 0.9, 1)}}, [][]labelfree.Box{{gt}}, 1, 1, 1, 1, 1},
		{"no detections", [][]labelfree.Box{{}}, [][]labelfree.Box{{gt}}, 0, 0, 0, math.NaN(), 0},
		// The false positive ranks first: precision 1/2 at recall 1.
		{"FP above TP", [][]labelfree.Box{{box(50, 50, 60, 60, 0.95, 1), box(0, 0, 10, 10, 0.9, 1)}}, [][]labelfree.Box{{gt}}, 0.5, 0.5, 0.5, 0.5, 1},
		// Recall stops at 1/2: 51 of 101 recall points have precision 1.
		{"half recall", [][]labelfree.Box{{box(0, 0, 10, 10, 0.9, 1)}, {}}, [][]labelfree.Box{{gt}, {gt}}, 51.0 / 101, 51.0 / 101, 51.0 / 101, 1, 0.5},
		// IoU exactly 0.5 matches at 0.5 only: AP@[.5:.95] = 1/10.
		{"IoU 0.5", [][]labelfree.Box{{box(0, 0, 10, 5, 0.9, 1)}}, [][]labelfree.Box{{gt}}, 0.1, 1, 0, 1, 1},
		// IoU 0.8 (10x8 inside 10x10) matches up to 0.8: 7 thresholds.
		{"IoU 0.8", [][]labelfree.Box{{box(0, 0, 10, 8, 0.9, 1)}}, [][]labelfree.Box{{gt}}, 0.7, 1, 1, 1, 1},
		{"wrong class", [][]labelfree.Box{{box(0, 0, 10, 10, 0.9, 0)}}, [][]labelfree.Box{{gt}}, 0, 0, 0, 0, 0},
		// A duplicate after the match is a false positive at recall 1.
		{"duplicate", [][]labelfree.Box{{box(0, 0, 10, 10, 0.9, 1), box(0, 0, 10, 10, 0.8, 1)}}, [][]labelfree.Box{{gt}}, 1, 1, 1, 0.5, 1},
		// Detections on an image without truth are false positives.
		{"negative image", [][]labelfree.Box{{box(0, 0, 10, 10, 0.9, 1)}, {box(0, 0, 10, 10, 0.95, 1)}}, [][]labelfree.Box{{gt}, {}}, 0.5, 0.5, 0.5, 0.5, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Evaluate(tc.dets, tc.truths, nil)
			require.NoError(t, err)
			assert.InDelta(t, tc.ap, ev.AP, 1e-12, "AP")
			assert.InDelta(t, tc.ap50, ev.AP50, 1e-12, "AP50")
			assert.InDelta(t, tc.ap75, ev.AP75, 1e-12, "AP75")
			if math.IsNaN(tc.p) {
				assert.True(t, math.IsNaN(ev.Precision))
			} else {
				assert.InDelta(t, tc.p, ev.Precision, 1e-12, "precision")
			}
			assert.InDelta(t, tc.r, ev.Recall, 1e-12, "recall")
			assert.Equal(t, ev.Truths, ev.TP+ev.FN)
		})
	}
}

func TestEvaluateOperatingPointAndCurve(t *testing.T) {
	gt := [][]labelfree.Box{{box(0, 0, 10, 10, 1, 0), box(20, 20, 30, 30, 1, 0)}}
	dets := [][]labelfree.Box{{box(0, 0, 10, 10, 0.9, 0), box(50, 50, 60, 60, 0.7, 0), box(20, 20, 30, 30, 0.4, 0)}}
	ev, err := Evaluate(dets, gt, &EvalConfig{ScoreThreshold: 0.5, IoUThresholds: []float64{0.5}})
	require.NoError(t, err)
	assert.Equal(t, 1, ev.TP)
	assert.Equal(t, 1, ev.FP)
	assert.Equal(t, 1, ev.FN)
	assert.Equal(t, []CurvePoint{{0.9, 1, 0.5}, {0.7, 0.5, 0.5}, {0.4, 2.0 / 3, 1}}, ev.Curve)
	assert.InDelta(t, 2.0/3, PrecisionAtRecall(ev.Curve, 1), 1e-12)
	assert.InDelta(t, 1, PrecisionAtRecall(ev.Curve, 0.5), 1e-12)
	assert.Equal(t, 0.0, PrecisionAtRecall(ev.Curve, 1.01))
	// 51 points at precision 1, 50 at the envelope 2/3.
	assert.InDelta(t, (51+50*2.0/3)/101, ev.AP, 1e-12)
	assert.True(t, math.IsNaN(ev.AP75))
}

func TestEvaluateMaxDetections(t *testing.T) {
	gt := [][]labelfree.Box{{box(0, 0, 10, 10, 1, 0)}}
	dets := [][]labelfree.Box{{box(50, 50, 60, 60, 0.9, 0), box(0, 0, 10, 10, 0.5, 0)}}
	ev, err := Evaluate(dets, gt, &EvalConfig{MaxDetections: 1})
	require.NoError(t, err)
	assert.Equal(t, 0.0, ev.AP)
	assert.Equal(t, 1, ev.Detections)
	ev, err = Evaluate(dets, gt, &EvalConfig{MaxDetections: -1})
	require.NoError(t, err)
	assert.InDelta(t, 0.5, ev.AP, 1e-12)
}

func TestEvaluateErrors(t *testing.T) {
	ok := [][]labelfree.Box{{box(0, 0, 1, 1, 1, 0)}}
	_, err := Evaluate(ok, nil, nil)
	assert.ErrorContains(t, err, "1 images of detections but 0")
	_, err = Evaluate([][]labelfree.Box{{box(0, 0, math.NaN(), 1, 1, 0)}}, ok, nil)
	assert.ErrorContains(t, err, "non-finite")
	_, err = Evaluate(ok, [][]labelfree.Box{{box(0, 0, 1, 1, math.Inf(1), 0)}}, nil)
	assert.ErrorContains(t, err, "non-finite")
	_, err = Evaluate(ok, ok, &EvalConfig{IoUThresholds: []float64{0.5, 1.5}})
	var pe *labelfree.ParamError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "IoUThresholds", pe.Field)
	ev, err := Evaluate(nil, nil, nil)
	require.NoError(t, err)
	assert.True(t, math.IsNaN(ev.AP))
}

func TestMatch(t *testing.T) {
	truths := []labelfree.Box{box(0, 0, 10, 10, 1, 0), box(8, 0, 18, 10, 1, 0), box(0, 0, 10, 10, 1, 1)}
	tests := []struct {
		name string
		dets []labelfree.Box
		iou  float64
		want []int
	}{
		{"best overlap", []labelfree.Box{box(7, 0, 17, 10, 0.9, 0)}, 0.5, []int{1}},
		{"higher score first", []labelfree.Box{box(1, 0, 11, 10, 0.5, 0), box(0, 0, 10, 10, 0.9, 0)}, 0.5, []int{-1, 0}},
		{"class respected", []labelfree.Box{box(0, 0, 10, 10, 0.9, 1)}, 0.5, []int{2}},
		{"below threshold", []labelfree.Box{box(0, 0, 10, 4, 0.9, 0)}, 0.5, []int{-1}},
		{"falls back to second", []labelfree.Box{box(0, 0, 10, 10, 0.9, 0), box(0, 0, 12, 10, 0.8, 0)}, 0.1, []int{0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Match(tc.dets, truths, tc.iou))
		})
	}
}

// TestEvaluateMatchesReference compares against testdata/eval_ref.json,
// produced by a numpy transcription of pycocotools (gen_eval_ref.py).
func TestEvaluateMatchesReference(t *testing.T) {
	raw, err := os.ReadFile("testdata/eval_ref.json")
	require.NoError(t, err)
	var ref struct {
		Cases []struct {
			Images []struct {
				Truths, Dets [][6]float64
			}
			APPerClass map[string][]float64 `json:"ap_per_class"`
			AP         *float64
			AP50       *float64
			AP75       *float64
		}
	}
	require.NoError(t, json.Unmarshal(raw, &ref))
	require.Len(t, ref.Cases, 40)
	conv := func(bs [][6]float64) []labelfree.Box {
		out := make([]labelfree.Box, len(bs))
		for i, b := range bs {
			out[i] = box(b[0], b[1], b[2], b[3], b[4], int(b[5]))
		}
		return out
	}
	for i, c := range ref.Cases {
		var dets, truths [][]labelfree.Box
		for _, im := range c.Images {
			dets = append(dets, conv(im.Dets))
			truths = append(truths, conv(im.Truths))
		}
		ev, err := Evaluate(dets, truths, nil)
		require.NoError(t, err)
		if c.AP == nil {
			assert.True(t, math.IsNaN(ev.AP), "case %d", i)
			continue
		}
		assert.InDelta(t, *c.AP, ev.AP, 1e-9, "case %d AP", i)
		assert.InDelta(t, *c.AP50, ev.AP50, 1e-9, "case %d AP50", i)
		assert.InDelta(t, *c.AP75, ev.AP75, 1e-9, "case %d AP75", i)
		for _, ce := range ev.PerClass {
			want := c.APPerClass[strconv.Itoa(ce.Class)]
			require.Len(t, want, 10)
			for k := range want {
				if want[k] < 0 {
					assert.True(t, math.IsNaN(ce.AP[k]))
				} else {
					assert.InDelta(t, want[k], ce.AP[k], 1e-9, "case %d class %d thr %d", i, ce.Class, k)
				}
			}
		}
	}
}

func TestNMS(t *testing.T) {
	a := box(0, 0, 10, 10, 0.9, 0)
	b := box(1, 0, 11, 10, 0.8, 0) // IoU with a: 9/11
	c := box(1, 0, 11, 10, 0.7, 1) // b's twin in another class
	d := box(20, 20, 30, 30, 0.95, 0)
	e := box(5, 0, 15, 10, 0.85, 0) // IoU with a: 1/3
	tests := []struct {
		name     string
		in       []labelfree.Box
		iou      float64
		agnostic bool
		max      int
		want     []labelfree.Box
	}{
		{"empty", nil, 0.5, false, 0, nil},
		{"suppress overlap", []labelfree.Box{b, a}, 0.5, false, 0, []labelfree.Box{a}},
		{"keep other class", []labelfree.Box{a, b, c}, 0.5, false, 0, []labelfree.Box{a, c}},
		{"class agnostic", []labelfree.Box{a, b, c}, 0.5, true, 0, []labelfree.Box{a}},
		{"below threshold kept", []labelfree.Box{a, e}, 0.5, false, 0, []labelfree.Box{a, e}},
		{"threshold is strict", []labelfree.Box{a, e}, 1.0 / 3, false, 0, []labelfree.Box{a, e}},
		{"tighter threshold", []labelfree.Box{a, e}, 0.3, false, 0, []labelfree.Box{a}},
		{"sorted and capped", []labelfree.Box{a, e, d}, 0.5, false, 2, []labelfree.Box{d, a}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]labelfree.Box(nil), tc.in...)
			assert.Equal(t, tc.want, NMS(tc.in, tc.iou, tc.agnostic, tc.max))
			assert.Equal(t, in, tc.in, "input modified")
		})
	}
}

func TestEvaluateColumnsAndClasses(t *testing.T) {
	a, b := labelfree.NewRow("a"), labelfree.NewRow("b")
	labelfree.Set(a, labelfree.TrueBoxes, []labelfree.Box{box(0, 0, 10, 10, 1, 1)})
	labelfree.Set(a, labelfree.Boxes, []labelfree.Box{box(0, 0, 10, 10, 0.9, 1), box(20, 20, 30, 30, 0.95, 0)})
	labelfree.Set(b, labelfree.TrueBoxes, []labelfree.Box{})
	ds := labelfree.NewDataset(a, b)
	ev, err := EvaluateColumns(ds, labelfree.Boxes, labelfree.TrueBoxes, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, ev.Images)
	assert.Equal(t, 1, ev.FP, "the class-0 box counts against precision")
	assert.Len(t, ev.PerClass, 2)
	ev, err = EvaluateColumns(ds, labelfree.Boxes, labelfree.TrueBoxes, &EvalConfig{Classes: []int{1}})
	require.NoError(t, err)
	assert.Equal(t, 0, ev.FP)
	assert.Equal(t, 1.0, ev.AP)
	require.Len(t, ev.PerClass, 1)

	c := labelfree.NewRow("c")
	ds.Rows = append(ds.Rows, c)
	_, err = EvaluateColumns(ds, labelfree.Boxes, labelfree.TrueBoxes, nil)
	assert.ErrorContains(t, err, `row "c"`)
	c.Fail("test", assert.AnError)
	_, err = EvaluateColumns(ds, labelfree.Boxes, labelfree.TrueBoxes, nil)
	assert.NoError(t, err, "failed rows are not scored")
}
