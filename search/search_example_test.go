package search_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/time/rate"

	"github.com/labelfree/labelfree/search"
)

// fakeOpenverse stands in for api.openverse.org so the examples run
// offline: every query returns two pages of two images.
func fakeOpenverse() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var results []map[string]any
		for i := range 2 {
			id := fmt.Sprintf("%s-%d-%d", q, page, i)
			results = append(results, map[string]any{
				"id": id, "title": id, "url": "https://img.example/" + id + ".jpg",
				"foreign_landing_url": "https://example.org/" + id, "license": "by", "license_version": "4.0",
				"creator": "Photographer", "filetype": "jpg", "width": 640, "height": 480,
			})
		}
		json.NewEncoder(w).Encode(map[string]any{
			"result_count": 4, "page_count": 2, "page_size": 2, "page": page, "results": results,
		})
	}))
}

func ExampleOpenverse() {
	srv := fakeOpenverse() // in real use, leave Endpoint empty
	defer srv.Close()

	ov := &search.Openverse{Endpoint: srv.URL}
	page, err := ov.Search(context.Background(), search.Query{Text: "snow leopard"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range page.Results {
		fmt.Println(r.Title, r.ImageURL, r.License, r.Width, r.Height)
	}
	fmt.Println("more:", page.More)
	// Output:
	// snow leopard-1-0 https://img.example/snow leopard-1-0.jpg CC BY 4.0 640 480
	// snow leopard-1-1 https://img.example/snow leopard-1-1.jpg CC BY 4.0 640 480
	// more: true
}

// Collect a weakly labelled set: two pages of the positive query, and the
// first images of random-word queries as negatives.
func ExampleCollect() {
	srv := fakeOpenverse()
	defer srv.Close()
	// The test server needs no politeness; against the real API keep the
	// default of one request a second.
	ov := &search.Openverse{Endpoint: srv.URL, HTTP: search.HTTPConfig{RateLimit: rate.Inf}}

	words := search.NegativeWords(nil, 3, 1, "snow leopard")
	spec := search.Spec{
		Queries:     append([]search.QuerySpec{search.Positive("snow leopard", 2)}, search.Negatives(words, 1)...),
		Concurrency: 4,
	}
	c, err := search.Collect(context.Background(), ov, spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, q := range c.Queries {
		fmt.Printf("%-8s pages=%d results=%d stop=%q\n", q.Class, q.Pages, q.Results, q.Stop)
	}
	fmt.Println(len(c.Results), "results,", c.Failed, "failed queries")
	// Output:
	// snow leopard pages=2 results=4 stop="no more results"
	// negative pages=1 results=1 stop="result limit"
	// negative pages=1 results=1 stop="result limit"
	// negative pages=1 results=1 stop="result limit"
	// 7 results, 0 failed queries
}

func ExampleNegativeWords() {
	// Seeded: the same seed always draws the same words. Words related to
	// the positive query ("snowman", "leopards") are never drawn.
	fmt.Println(len(search.NegativeWords(nil, 5, 42, "snow leopard")))
	a := search.NegativeWords(nil, 5, 42, "snow leopard")
	b := search.NegativeWords(nil, 5, 42, "snow leopard")
	fmt.Println(fmt.Sprint(a) == fmt.Sprint(b))
	fmt.Println(search.NegativeWords([]string{"snowman", "kettle", "leopards"}, 5, 1, "snow leopard"))
	// Output:
	// 5
	// true
	// [kettle]
}

func ExampleINaturalist() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The real API: GET /v1/observations?taxon_name=...&photos=true&...
		b, _ := os.ReadFile("testdata/inaturalist_page1.json")
		w.Write(b)
	}))
	defer srv.Close()

	inat := &search.INaturalist{Endpoint: srv.URL, Size: "medium", FirstPhotoOnly: true}
	page, err := inat.Search(context.Background(), search.Query{Text: "Panthera uncia"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range page.Results {
		fmt.Println(r.ImageURL)
		fmt.Println(" ", r.Width, "x", r.Height, r.License, "|", r.Attribution)
	}
	// Output:
	// https://inaturalist-open-data.s3.amazonaws.com/photos/260000001/medium.jpg
	//   500 x 375 CC BY-NC 4.0 | (c) Cam Trapper, some rights reserved (CC BY-NC)
	// https://static.inaturalist.org/photos/259999999/medium.png
	//   500 x 375 CC0 1.0 | no rights reserved
}

func ExampleWikimedia() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := os.ReadFile("testdata/wikimedia_page1.json")
		w.Write(b)
	}))
	defer srv.Close()

	wm := &search.Wikimedia{
		Endpoint: srv.URL,
		// Wikimedia's policy: say who you are and how to reach you.
		HTTP: search.HTTPConfig{UserAgent: "snowcam/1.0 (https://example.org/snowcam; ops@example.org) labelfree"},
	}
	page, err := wm.Search(context.Background(), search.Query{Text: "snow leopard"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := page.Results[0]
	fmt.Println(r.Title, r.Format, r.License, r.Attribution)
	// Output:
	// Uncia uncia.gif gif CC BY 4.0 Someone
}

func ExampleAPIError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		b, _ := os.ReadFile("testdata/brave_error_401.json")
		w.Write(b)
	}))
	defer srv.Close()

	brave := &search.Brave{Key: "not-a-real-key", Endpoint: srv.URL}
	_, err := brave.Search(context.Background(), search.Query{Text: "snow leopard"})
	var ae *search.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.Status, ae.Code, errors.Is(err, search.ErrUnauthorized))
	}
	fmt.Println(err)
	// Output:
	// 401 SUBSCRIPTION_TOKEN_INVALID true
	// search: brave: HTTP 401 Unauthorized: SUBSCRIPTION_TOKEN_INVALID: The provided subscription token is invalid.
}

func ExampleLocalDir() {
	root, _ := os.MkdirTemp("", "labelfree-example")
	defer os.RemoveAll(root)
	for _, name := range []string{"snow_leopard/cam1-0001.png", "snow_leopard/cam2-0007.png", "empty/cam1-0002.png"} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, _ := os.Create(p)
		png.Encode(f, image.NewGray(image.Rect(0, 0, 64, 48)))
		f.Close()
	}

	dir := &search.LocalDir{Root: root}
	page, err := dir.Search(context.Background(), search.Query{Text: "snow leopard"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range page.Results {
		fmt.Println(r.ID, r.Format, r.Width, r.Height)
	}
	// Output:
	// snow_leopard/cam1-0001.png png 64 48
	// snow_leopard/cam2-0007.png png 64 48
}
