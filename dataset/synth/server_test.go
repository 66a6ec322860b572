package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/search"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func TestServerSearchAndImages(t *testing.T) {
	s := newServer(t, ServerConfig{PositiveResults: 30, NegativeResults: 7})
	p := s.Provider()
	ctx := context.Background()
	assert.Equal(t, "synth", p.Name())

	var all []search.Result
	for page := 0; ; page++ {
		pg, err := p.Search(ctx, search.Query{Text: "Snow Leopard", Page: page, PageSize: 8})
		require.NoError(t, err)
		assert.Equal(t, 30, pg.Total)
		all = append(all, pg.Results...)
		if !pg.More {
			break
		}
	}
	require.Len(t, all, 30)
	for i, r := range all {
		assert.Equal(t, i, r.Rank)
		assert.Equal(t, "Snow Leopard", r.Query)
		assert.Equal(t, "jpeg", r.Format)
	}
	// Positive results show animals, with boxes matching the served image.
	for _, r := range all[:5] {
		boxes, ok := s.Truth(r.ImageURL)
		require.True(t, ok)
		require.NotEmpty(t, boxes)
		code, body := get(t, r.ImageURL)
		require.Equal(t, http.StatusOK, code)
		img, err := jpeg.Decode(bytes.NewReader(body))
		require.NoError(t, err)
		assert.Equal(t, image.Rect(0, 0, 320, 240), img.Bounds())
		for _, b := range boxes {
			require.NoError(t, b.Validate(320, 240))
		}
	}
	neg, err := p.Search(ctx, search.Query{Text: "teapot"})
	require.NoError(t, err)
	require.Len(t, neg.Results, 7)
	assert.False(t, neg.More)
	for _, r := range neg.Results {
		boxes, ok := s.Truth(r.ImageURL)
		require.True(t, ok)
		assert.Empty(t, boxes)
	}
	// Same query, same results; other server seed, other results.
	again, err := p.Search(ctx, search.Query{Text: "teapot"})
	require.NoError(t, err)
	assert.Equal(t, neg, again)
	other := newServer(t, ServerConfig{Seed: 1, NegativeResults: 7})
	o, err := other.Provider().Search(ctx, search.Query{Text: "teapot"})
	require.NoError(t, err)
	assert.NotEqual(t, neg.Results[0].ID, o.Results[0].ID)

	beyond, err := p.Search(ctx, search.Query{Text: "teapot", Page: 5})
	require.NoError(t, err)
	assert.Empty(t, beyond.Results)
	assert.False(t, beyond.More)
}

func TestServerFaults(t *testing.T) {
	s := newServer(t, ServerConfig{PositiveResults: 200, Duplicates: 0.15, NearDuplicates: 0.15, Broken: 0.1, LabelNoise: 0.2})
	pg, err := s.Provider().Search(context.Background(), search.Query{Text: "snow leopard", PageSize: 100, Page: 1})
	require.NoError(t, err)
	var broken, dups, near, empty int
	hashes := map[[32]byte]bool{}
	for _, r := range pg.Results {
		code, body := get(t, r.ImageURL)
		if code == http.StatusNotFound {
			broken++
			_, ok := s.Truth(r.ImageURL)
			assert.False(t, ok)
			continue
		}
		require.Equal(t, http.StatusOK, code)
		h := sha256.Sum256(body)
		if hashes[h] {
			dups++
		}
		hashes[h] = true
		id, ok := s.idFromURL(r.ImageURL)
		require.True(t, ok)
		if id.variant == "q" {
			near++
		}
		if boxes, _ := s.Truth(r.ImageURL); len(boxes) == 0 {
			empty++
		}
	}
	assert.Positive(t, broken)
	assert.Positive(t, dups)
	assert.Positive(t, near)
	assert.Positive(t, empty, "label noise gives positive results without animals")
	assert.Less(t, empty, 50)
}

func TestServerBadRequests(t *testing.T) {
	s := newServer(t, ServerConfig{})
	for _, path := range []string{"/search", "/search?q=x&page=-1", "/search?q=x&count=0", "/search?q=x&page=abc"} {
		code, body := get(t, s.URL()+path)
		assert.Equal(t, http.StatusBadRequest, code, path)
		assert.Contains(t, string(body), `"error"`)
	}
	for _, path := range []string{"/images/zzz.jpg", "/images/p123.jpg", "/images/p00000000000000zz.jpg", "/images/p0000000000000001-z1.jpg"} {
		code, _ := get(t, s.URL()+path)
		assert.Equal(t, http.StatusNotFound, code, path)
	}
	_, err := s.Provider().Search(context.Background(), search.Query{Text: ""})
	require.ErrorContains(t, err, "missing query")
	_, ok := s.Truth("http://example.com/images/p0000000000000001.jpg#x")
	assert.True(t, ok, "truth follows the image name")
	_, ok = s.Truth("::bad")
	assert.False(t, ok)
}

func TestServerCancelled(t *testing.T) {
	s := newServer(t, ServerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Provider().Search(ctx, search.Query{Text: "snow leopard"})
	require.ErrorIs(t, err, context.Canceled)
}

func TestServerConfigValidate(t *testing.T) {
	tests := []struct {
		cfg   ServerConfig
		field string
	}{
		{ServerConfig{Width: 8}, "Width"},
		{ServerConfig{Quality: 101}, "Quality"},
		{ServerConfig{MaxAnimals: 99}, "MaxAnimals"},
		{ServerConfig{LabelNoise: 1.5}, "LabelNoise"},
		{ServerConfig{Broken: -0.1}, "Broken"},
		{ServerConfig{Duplicates: 0.6, NearDuplicates: 0.6}, "Duplicates"},
		{ServerConfig{PositiveResults: -1}, "PositiveResults"},
	}
	for _, tt := range tests {
		_, err := NewServer(tt.cfg)
		var pe *labelfree.ParamError
		require.ErrorAs(t, err, &pe, "%+v", tt.cfg)
		assert.Equal(t, tt.field, pe.Field)
	}
}

func FuzzParseSearch(f *testing.F) {
	f.Add([]byte(`{"query":"q","page":0,"total":2,"more":true,"results":[{"id":"a","url":"http://x/a.jpg","width":3}]}`))
	f.Add([]byte(`{"results":[{"url":""}]}`))
	f.Add([]byte(`{"total":-1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := parseSearch(body, "q", 10)
		if err != nil {
			return
		}
		for i, r := range page.Results {
			if r.ImageURL == "" || r.Rank != 10+i || r.Provider != "synth" {
				t.Fatalf("bad result %+v", r)
			}
		}
	})
}
