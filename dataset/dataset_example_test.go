package dataset_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/search"
)

// Example builds a snow-leopard dataset offline: the synthetic search
// server stands in for a real image search (with broken links and
// duplicates, as the web has them), and the same search, download and
// decode code runs as against a real provider.
func Example() {
	ctx := context.Background()
	srv, err := synth.NewServer(synth.ServerConfig{Duplicates: 0.1, Broken: 0.05})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// Positives: the first two pages of the query. Negatives: the first
	// ten results of random-word queries.
	queries := []search.QuerySpec{{Text: "snow leopard", Class: "snow leopard", Pages: 2, PageSize: 30}}
	queries = append(queries, search.Negatives(search.NegativeWords(nil, 6, 1, "snow leopard"), 10)...)
	coll, err := search.Collect(ctx, srv.Provider(), search.Spec{Queries: queries})
	if err != nil {
		log.Fatal(err)
	}
	classes := []string{"other", "snow leopard"}
	ds, rep, err := dataset.Stitch(classes, coll.ByClass(search.NegativeClass, "snow leopard"), &dataset.StitchOptions{Truth: srv.ResultTruth})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows per class:", rep.PerClass)

	pipe, err := labelfree.NewPipeline(
		// The synthetic server listens on loopback, which the guard
		// refuses unless told otherwise.
		&dataset.Downloader{Guard: dataset.Guard{AllowLoopback: true}},
		&dataset.Decoder{},
		&dataset.Dedupe{},
		&dataset.TrainTestSplit{Seed: 1},
	)
	if err != nil {
		log.Fatal(err)
	}
	var ex labelfree.Executor
	_, ds, err = ex.Fit(ctx, pipe, ds)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("usable:", len(ds.OK()), "set aside:", len(ds.Failed()))
	fmt.Println("of which duplicates:", len(dataset.Duplicates(ds)))

	dir, err := os.MkdirTemp("", "snowleopards")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := dataset.Write(ctx, dir, ds, nil); err != nil {
		log.Fatal(err)
	}
	back, err := dataset.Read(ctx, dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("manifest rows:", back.Len(), "classes:", back.Classes)
	// Output:
	// rows per class: [60 60]
	// usable: 97 set aside: 23
	// of which duplicates: 18
	// manifest rows: 120 classes: [other snow leopard]
}

func ExampleNormalizeURL() {
	u, _ := dataset.NormalizeURL("HTTPS://Images.Example.org:443/a/./b/../leopard.jpg?utm_source=x&size=l#top")
	fmt.Println(u)
	// Output: https://images.example.org/a/leopard.jpg?size=l
}

func ExampleGuard() {
	var g dataset.Guard // the zero value allows public addresses only
	for _, addr := range []string{"93.184.216.34:80", "127.0.0.1:80", "169.254.169.254:80", "[fd00::1]:443"} {
		fmt.Println(addr, g.Control("tcp", addr, nil) == nil)
	}
	// Output:
	// 93.184.216.34:80 true
	// 127.0.0.1:80 false
	// 169.254.169.254:80 false
	// [fd00::1]:443 false
}
