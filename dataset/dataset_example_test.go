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

// searchAll collects every page of a query.
func searchAll(ctx context.Context, p search.Provider, text string) []search.Result {
	var out []search.Result
	for page := 0; ; page++ {
		pg, err := p.Search(ctx, search.Query{Text: text, Page: page, PageSize: 50})
		if err != nil {
			log.Fatal(err)
		}
		out = append(out, pg.Results...)
		if !pg.More {
			return out
		}
	}
}

// Example builds a snow-leopard dataset offline: the synthetic search
// server stands in for a real image search, with broken links and
// duplicates as the web has them.
func Example() {
	ctx := context.Background()
	srv, err := synth.NewServer(synth.ServerConfig{PositiveResults: 60, NegativeResults: 10, Duplicates: 0.1, Broken: 0.05})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	p := srv.Provider()

	pos := searchAll(ctx, p, "snow leopard")
	var neg []search.Result
	for _, word := range []string{"bicycle", "teapot", "harbour", "violin", "lantern", "meadow"} {
		neg = append(neg, searchAll(ctx, p, word)...)
	}
	ds, rep, err := dataset.Stitch([]string{"other", "snow leopard"}, [][]search.Result{neg, pos}, &dataset.StitchOptions{Truth: srv.ResultTruth})
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
	// usable: 96 set aside: 24
	// of which duplicates: 17
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
