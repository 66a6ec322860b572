package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/serve"
)

// darkOrLight is a stand-in for a fitted classifier: class 1 when the
// image's top-left pixel is light.
type darkOrLight struct{}

func (*darkOrLight) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "dark-or-light", Reads: []labelfree.ColumnRef{labelfree.Image.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref()}}
}

func (*darkOrLight) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	g := color.GrayModel.Convert(img.At(img.Bounds().Min.X, img.Bounds().Min.Y)).(color.Gray)
	p := float64(g.Y) / 255
	labelfree.Set(r, labelfree.Probabilities, []float64{1 - p, p})
	labelfree.Set(r, labelfree.Prediction, map[bool]int{false: 0, true: 1}[p > 0.5])
	return nil
}

// A Server's Handler can be mounted anywhere; here on a test server.
func ExampleServer_Handler() {
	model := &labelfree.PipelineModel{Stages: []labelfree.Stage{&darkOrLight{}}}
	srv := &serve.Server{Model: model, Classes: []string{"dark", "light"}, ModelVersion: "example"}
	h, err := srv.Handler()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(h)
	defer ts.Close()

	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.SetGray(0, 0, color.Gray{Y: 204})
	var body bytes.Buffer
	png.Encode(&body, img)
	resp, err := http.Post(ts.URL+"/v1/predict", "image/png", &body)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var reply serve.Response
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, reply.APIVersion, reply.Model.Version)
	fmt.Printf("%s (%.1f)\n", reply.Prediction.Name, *reply.Prediction.Probability)
	// Output:
	// 200 OK v1 example
	// light (0.8)
}

// In production: load the model file, listen until SIGTERM, then drain.
func ExampleServer_ListenAndServe() {
	path := "snowleopard.lfp"
	model, err := labelfree.LoadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	version, err := serve.FileVersion(path)
	if err != nil {
		log.Fatal(err)
	}
	srv := &serve.Server{
		Model:        model,
		Classes:      []string{"other", "snow leopard"},
		ModelName:    "snowleopard",
		ModelVersion: version,
		Addr:         ":8080", // every interface; the default is loopback only
		Token:        os.Getenv("LABELFREE_TOKEN"),
		DrainDelay:   5 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := srv.ListenAndServe(ctx); err != nil {
		log.Fatal(err)
	}
}
