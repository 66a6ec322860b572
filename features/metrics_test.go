package features

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

type sklearnMetricCase struct {
	Name             string      `json:"name"`
	Labels           []int       `json:"labels"`
	Proba            [][]float64 `json:"proba"`
	Accuracy         float64     `json:"accuracy"`
	ROCAUC           float64     `json:"roc_auc"`
	AveragePrecision float64     `json:"average_precision"`
	LogLoss          float64     `json:"log_loss"`
	Confusion        [][]int     `json:"confusion"`
	ROCFPR           []float64   `json:"roc_fpr"`
	ROCTPR           []float64   `json:"roc_tpr"`
	ROCThresholds    []float64   `json:"roc_thresholds"`
	PRPrecision      []float64   `json:"pr_precision"`
	PRRecall         []float64   `json:"pr_recall"`
}

// TestMetricsMatchSklearn compares Evaluate and the curves with
// scikit-learn's values from testdata/gen_sklearn.py, including scores with
// many ties and a rare positive class.
func TestMetricsMatchSklearn(t *testing.T) {
	var ref struct {
		Cases []sklearnMetricCase `json:"cases"`
	}
	loadJSON(t, "testdata/sklearn_metrics.json", &ref)
	require.Len(t, ref.Cases, 4)
	for _, c := range ref.Cases {
		t.Run(c.Name, func(t *testing.T) {
			ds := &labelfree.Dataset{}
			for i, l := range c.Labels {
				r := labelfree.NewRow(fmt.Sprint(i))
				labelfree.Set(r, labelfree.Label, l)
				labelfree.Set(r, labelfree.Probabilities, c.Proba[i])
				ds.Rows = append(ds.Rows, r)
			}
			failed := labelfree.NewRow("failed")
			failed.Fail("x", assert.AnError)
			ds.Rows = append(ds.Rows, failed)

			m, err := Evaluate(ds)
			require.NoError(t, err)
			assert.Equal(t, len(c.Labels), m.Rows)
			assert.Equal(t, 1, m.Failed)
			assert.InDelta(t, c.Accuracy, m.Accuracy, 1e-12)
			assert.InDelta(t, c.ROCAUC, m.ROCAUC, 1e-12)
			assert.InDelta(t, c.AveragePrecision, m.AveragePrecision, 1e-12)
			assert.InDelta(t, c.LogLoss, m.LogLoss, 1e-12)
			assert.Equal(t, c.Confusion, m.Confusion)
			if c.ROCFPR == nil {
				return
			}
			pts, err := ROCCurveOf(ds, 1)
			require.NoError(t, err)
			require.Len(t, pts, len(c.ROCFPR))
			assert.True(t, math.IsInf(pts[0].Threshold, 1))
			for i, p := range pts {
				assert.InDelta(t, c.ROCFPR[i], p.FPR, 1e-12)
				assert.InDelta(t, c.ROCTPR[i], p.TPR, 1e-12)
				if i > 0 {
					assert.Equal(t, c.ROCThresholds[i-1], p.Threshold)
				}
			}
			score := make([]float64, len(c.Labels))
			pos := make([]bool, len(c.Labels))
			for i := range score {
				score[i], pos[i] = c.Proba[i][1], c.Labels[i] == 1
			}
			pr := PRCurve(score, pos)
			slices.Reverse(pr)
			require.Len(t, pr, len(c.PRPrecision))
			for i, p := range pr {
				assert.InDelta(t, c.PRPrecision[i], p.Precision, 1e-12, "point %d", i)
				assert.InDelta(t, c.PRRecall[i], p.Recall, 1e-12, "point %d", i)
			}
		})
	}
}

func TestMetricsKnownAnswers(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		score   []float64
		pos     []bool
		auc, ap float64
	}{
		{"perfect", []float64{0.9, 0.8, 0.2, 0.1}, []bool{true, true, false, false}, 1, 1},
		{"inverted", []float64{0.1, 0.2, 0.8, 0.9}, []bool{true, true, false, false}, 0, 0.5/3 + 0.5*0.5},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, true, false}, 0.5, 0.5},
		// Positive at 0.7 beats both negatives; the one at 0.4 ties one and
		// beats one: (2 + 1.5) / 4.
		{"one tie", []float64{0.7, 0.4, 0.4, 0.1}, []bool{true, true, false, false}, 0.875, 0.5 + 0.5*2.0/3},
		{"no negatives", []float64{0.7, 0.4}, []bool{true, true}, nan, 1},
		{"no positives", []float64{0.7, 0.4}, []bool{false, false}, nan, nan},
		{"empty", nil, nil, nan, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auc, ap := ROCAUC(tt.score, tt.pos), AveragePrecision(tt.score, tt.pos)
			if math.IsNaN(tt.auc) {
				assert.True(t, math.IsNaN(auc), "auc %v", auc)
			} else {
				assert.InDelta(t, tt.auc, auc, 1e-12)
			}
			if math.IsNaN(tt.ap) {
				assert.True(t, math.IsNaN(ap), "ap %v", ap)
			} else {
				assert.InDelta(t, tt.ap, ap, 1e-12)
			}
		})
	}
}

func TestEvaluateErrors(t *testing.T) {
	row := func(id string, label int, p []float64) *labelfree.Row {
		r := labelfree.NewRow(id)
		if label >= 0 {
			labelfree.Set(r, labelfree.Label, label)
		}
		if p != nil {
			labelfree.Set(r, labelfree.Probabilities, p)
		}
		return r
	}
	ok := row("ok", 0, []float64{0.6, 0.4})
	tests := []struct {
		name string
		ds   *labelfree.Dataset
		msg  string
	}{
		{"no label", labelfree.NewDataset(ok, row("nolabel", -1, []float64{0.5, 0.5})), `"nolabel"`},
		{"no probabilities", labelfree.NewDataset(ok, row("noprob", 1, nil)), `"noprob"`},
		{"short", labelfree.NewDataset(ok, row("short", 1, []float64{1})), `"short" has 1 probabilities`},
		{"label range", &labelfree.Dataset{Classes: []string{"a", "b"}, Rows: []*labelfree.Row{row("big", 2, []float64{0.5, 0.5})}}, `"big" has label 2`},
		{"NaN", labelfree.NewDataset(row("nan", 0, []float64{math.NaN(), 0.5})), `"nan" has probability NaN`},
		{"empty", labelfree.NewDataset(), "no scored rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(tt.ds)
			require.ErrorContains(t, err, tt.msg)
		})
	}
	_, err := ROCCurveOf(labelfree.NewDataset(ok), 1)
	require.ErrorContains(t, err, "both positive and negative")
	_, err = ROCCurveOf(labelfree.NewDataset(ok), 7)
	require.ErrorContains(t, err, "class 7")

	m, err := EvaluateProbs([][]float64{{0.9, 0.1}, {0.2, 0.8}, {0.3, 0.7}}, []int{0, 1, 0}, 0)
	require.NoError(t, err)
	assert.Equal(t, [][]int{{1, 1}, {0, 1}}, m.Confusion)
	assert.Contains(t, m.ConfusionString([]string{"cat", "dog"}), "cat")
	assert.Contains(t, m.String(), "accuracy 0.6667")
}
