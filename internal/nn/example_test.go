package nn_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/labelfree/labelfree/internal/nn"
)

// Load a model, cut off its classifier and run the feature extractor.
func Example() {
	f, err := os.Open("testdata/tiny_cnn.onnx")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, err := nn.Load(f, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("input:", m.Inputs()[0].Name, m.Inputs()[0].Shape)

	// The tiny CNN ends GlobalAveragePool -> view -> Gemm; cut after the pool.
	features, err := m.Truncate("/GlobalAveragePool_output_0")
	if err != nil {
		log.Fatal(err)
	}
	img := &nn.Tensor{Shape: []int{1, 3, 32, 32}, Data: make([]float32, 3*32*32)}
	out, err := features.Run(context.Background(), img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("features:", out[0].Shape)
	// Output:
	// input: input [-1 3 32 32]
	// features: [1 24 1 1]
}

// A Session reuses its buffers: after the first call, runs on same-shaped
// inputs allocate nothing.
func ExampleSession() {
	f, err := os.Open("testdata/tiny_cnn.onnx")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, err := nn.Load(f, nil)
	if err != nil {
		log.Fatal(err)
	}
	s := m.NewSession()
	in := []*nn.Tensor{{Shape: []int{4, 3, 32, 32}, Data: make([]float32, 4*3*32*32)}}
	out := []*nn.Tensor{{}}
	for i := 0; i < 3; i++ {
		if err := s.Run(context.Background(), in, out); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(out[0].Shape)
	// Output: [4 10]
}
