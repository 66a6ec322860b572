package synth_test

import (
	"context"
	"fmt"
	"log"

	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/search"
)

func ExampleRender() {
	scene, err := synth.Render(synth.Spec{Seed: 42, Animals: 1, Clutter: 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(scene.Image.Bounds(), len(scene.Boxes), "animal")
	// Output: (0,0)-(320,240) 1 animal
}

func ExampleNewServer() {
	srv, err := synth.NewServer(synth.ServerConfig{PositiveResults: 40})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// The server's provider is a search.Provider like any real one.
	var p search.Provider = srv.Provider()
	page, err := p.Search(context.Background(), search.Query{Text: "snow leopard", PageSize: 10})
	if err != nil {
		log.Fatal(err)
	}
	boxes, _ := srv.Truth(page.Results[0].ImageURL)
	fmt.Println(len(page.Results), "results of", page.Total, "more:", page.More)
	fmt.Println("first result shows", len(boxes), "animal(s)")

	page, _ = p.Search(context.Background(), search.Query{Text: "bicycle", PageSize: 10})
	boxes, _ = srv.Truth(page.Results[0].ImageURL)
	fmt.Println("a random-word result shows", len(boxes), "animal(s)")
	// Output:
	// 10 results of 40 more: true
	// first result shows 1 animal(s)
	// a random-word result shows 0 animal(s)
}
