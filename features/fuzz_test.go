package features

import (
	"context"
	"encoding/json"
	"testing"
)

// FuzzLogisticModelJSON feeds arbitrary saved models through the path
// labelfree.Load takes (JSON, then Validate) and predicts with the ones
// that validate: none may panic.
func FuzzLogisticModelJSON(f *testing.F) {
	x, y := blobs(4, 30, 3, 3, 2)
	m, err := (&LogisticRegression{}).FitXY(context.Background(), x, y, 4)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := json.Marshal(m)
	f.Add(b)
	f.Add([]byte(`{"NumClasses":2,"Classes":[0,1],"Weights":[[1,2]],"Intercepts":[0],"Dim":2}`))
	f.Add([]byte(`{"NumClasses":1,"Classes":[0,5],"Weights":[[1]],"Intercepts":[0],"Dim":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m LogisticModel
		if json.Unmarshal(data, &m) != nil || m.Validate() != nil {
			return
		}
		p, err := m.PredictProba(make([]float32, m.Dim))
		if err != nil {
			return
		}
		if len(p) != m.NumClasses {
			t.Fatalf("%d probabilities for %d classes", len(p), m.NumClasses)
		}
	})
}

// FuzzImageFeaturizerUnmarshal feeds arbitrary bytes to the decoder of
// saved featurizers.
func FuzzImageFeaturizerUnmarshal(f *testing.F) {
	b, err := (&ImageFeaturizer{Batch: 3}).MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(featurizerMagic + "\x05{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var g ImageFeaturizer
		_ = g.UnmarshalBinary(data)
	})
}
