package detect_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/detect"
)

func ExampleEvaluate() {
	truth := [][]labelfree.Box{
		{{X0: 10, Y0: 10, X1: 50, Y1: 40, Class: 1}},
		{}, // a negative image
	}
	dets := [][]labelfree.Box{
		{{X0: 12, Y0: 10, X1: 52, Y1: 42, Score: 0.9, Class: 1}},
		{{X0: 0, Y0: 0, X1: 20, Y1: 20, Score: 0.3, Class: 1}}, // a rock
	}
	ev, err := detect.Evaluate(dets, truth, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("AP@0.5 %.2f, AP@[.5:.95] %.2f, precision %.2f, recall %.2f\n", ev.AP50, ev.AP, ev.Precision, ev.Recall)
	// Output:
	// AP@0.5 1.00, AP@[.5:.95] 0.80, precision 0.50, recall 1.00
}

func ExampleNMS() {
	boxes := []labelfree.Box{
		{X0: 0, Y0: 0, X1: 10, Y1: 10, Score: 0.9},
		{X0: 1, Y0: 1, X1: 11, Y1: 11, Score: 0.8},
		{X0: 30, Y0: 30, X1: 40, Y1: 40, Score: 0.7},
	}
	fmt.Println(detect.NMS(boxes, 0.5, false, 0))
	// Output:
	// [[0.0,0.0 10.0,10.0] [30.0,30.0 40.0,40.0]]
}

// ExampleTrainer trains a detector on LIME's boxes (in labelfree.Boxes)
// and saves it for serving.
func ExampleTrainer() {
	var ds *labelfree.Dataset // images with LIME boxes, e.g. from lime.ImageLIME
	tr := &detect.Trainer{
		Classes:        []int{1},         // learn the "snow leopard" boxes only
		Output:         "boxes.detector", // keep LIME's boxes next to the detector's
		Seed:           1,
		CheckpointPath: "detector.ckpt", // resume after a crash
		Progress:       labelfree.NewProgressBar(os.Stderr),
	}
	d, err := tr.Fit(context.Background(), ds)
	if err != nil {
		log.Fatal(err)
	}
	if err := labelfree.SaveFile("detector.lfm", &labelfree.PipelineModel{Stages: []labelfree.Stage{d}}); err != nil {
		log.Fatal(err)
	}
}
