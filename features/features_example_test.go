package features_test

import (
	"context"
	"fmt"
	"image"
	"log"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/features"
)

// embeddingRows returns rows with two-dimensional "embeddings": class 1
// lies up and to the right of class 0.
func embeddingRows() *labelfree.Dataset {
	points := [][]float32{{0, 0}, {1, 0}, {0, 1}, {1, 1.5}, {2, 2}, {3, 2}, {2, 3}, {0.5, 2.5}}
	labels := []int{0, 0, 0, 0, 1, 1, 1, 1}
	ds := &labelfree.Dataset{Classes: []string{"other", "snow leopard"}}
	for i, p := range points {
		r := labelfree.NewRow(fmt.Sprint(i))
		labelfree.Set(r, labelfree.Embedding, p)
		labelfree.Set(r, labelfree.Label, labels[i])
		ds.Rows = append(ds.Rows, r)
	}
	return ds
}

func ExampleLogisticRegression() {
	ds := embeddingRows()
	lr := &features.LogisticRegression{C: 10}
	m, err := lr.FitDataset(context.Background(), ds)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stopped:", m.Result.Status, "converged:", m.Result.Converged)
	p, err := m.PredictProba([]float32{2.5, 2.5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("P(snow leopard | (2.5, 2.5)) = %.2f\n", p[1])
	// Output:
	// stopped: GradientThreshold converged: true
	// P(snow leopard | (2.5, 2.5)) = 0.98
}

func ExampleEvaluate() {
	ds := embeddingRows()
	p, err := labelfree.NewPipeline(&features.LogisticRegression{})
	if err != nil {
		log.Fatal(err)
	}
	var ex labelfree.Executor
	_, scored, err := ex.Fit(context.Background(), p, ds)
	if err != nil {
		log.Fatal(err)
	}
	m, err := features.Evaluate(scored)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("accuracy %.2f, ROC AUC %.2f\n", m.Accuracy, m.ROCAUC)
	fmt.Print(m.ConfusionString(ds.Classes))
	// Output:
	// accuracy 1.00, ROC AUC 1.00
	//     true\pred         other  snow leopard
	//         other             4             0
	//  snow leopard             0             4
}

func ExampleBaggedLogisticRegression() {
	ds := embeddingRows()
	bag := &features.BaggedLogisticRegression{Members: 3, Balance: true, Seed: 1}
	t, err := bag.Fit(context.Background(), ds)
	if err != nil {
		log.Fatal(err)
	}
	ens := t.(*features.Ensemble)
	p, err := ens.PredictProba([]float32{0, 0})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d heads; P(snow leopard | origin) = %.2f\n", len(ens.Members), p[1])
	// Output:
	// 3 heads; P(snow leopard | origin) = 0.07
}

func ExampleImageFeaturizer() {
	// A plain grey 640×480 picture stands in for a photo.
	img := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	r := labelfree.NewRow("photo")
	labelfree.Set(r, labelfree.Image, image.Image(img))

	f := &features.ImageFeaturizer{} // the embedded MobileNetV2
	if err := f.Transform(context.Background(), r); err != nil {
		log.Fatal(err)
	}
	e, _ := labelfree.Get(r, labelfree.Embedding)
	fmt.Println(len(e), "values")
	// Output: 1280 values
}
