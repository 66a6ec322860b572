package search

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeProvider serves pages of synthetic results.
type fakeProvider struct {
	pages          int              // pages per query
	perPage        int              // results per page
	fail           map[string]error // query text -> error on every page
	failPage       map[string]int   // query text -> page that fails (others succeed)
	delay          time.Duration    // per call
	dup            bool             // repeat the previous page's last URL
	inFlight, peak atomic.Int32
	calls          atomic.Int32
}

func (f *fakeProvider) Name() string { return "fake" }

func (f *fakeProvider) Search(ctx context.Context, q Query) (Page, error) {
	f.calls.Add(1)
	cur := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		p := f.peak.Load()
		if cur <= p || f.peak.CompareAndSwap(p, cur) {
			break
		}
	}
	if f.delay > 0 {
		select {
		case <-ctx.Done():
			return Page{}, ctx.Err()
		case <-time.After(f.delay):
		}
	}
	if err := f.fail[q.Text]; err != nil {
		return Page{}, err
	}
	if fp, ok := f.failPage[q.Text]; ok && fp == q.Page {
		return Page{}, errors.New("page failed")
	}
	if q.Page >= f.pages {
		return Page{}, nil
	}
	n := f.perPage
	if q.PageSize > 0 && q.PageSize < n {
		n = q.PageSize
	}
	var pg Page
	for i := range n {
		u := fmt.Sprintf("https://img.example/%s/%d/%d.jpg", strings.ReplaceAll(q.Text, " ", "_"), q.Page, i)
		if f.dup && q.Page > 0 && i == 0 {
			u = fmt.Sprintf("https://img.example/%s/%d/%d.jpg", strings.ReplaceAll(q.Text, " ", "_"), q.Page-1, n-1)
		}
		pg.Results = append(pg.Results, Result{ImageURL: u, Rank: i})
	}
	pg.More = q.Page+1 < f.pages
	pg.Total = f.pages * f.perPage
	return pg, nil
}

func TestCollectPositiveAndNegatives(t *testing.T) {
	f := &fakeProvider{pages: 3, perPage: 5}
	words := NegativeWords(nil, 8, 1, "snow leopard")
	spec := Spec{Queries: append([]QuerySpec{Positive("snow leopard", 2)}, Negatives(words, 0)...), Concurrency: 3}
	c, err := Collect(context.Background(), f, spec)
	require.NoError(t, err)
	require.Len(t, c.Queries, 9)
	pos := c.Queries[0]
	assert.Equal(t, 2, pos.Pages)
	assert.Equal(t, 10, pos.Results)
	assert.Equal(t, StopPages, pos.Stop)
	assert.Equal(t, 15, pos.Total)
	for _, q := range c.Queries[1:] {
		assert.Equal(t, NegativeClass, q.Class)
		assert.Equal(t, 5, q.Results, "k=10 asked, the fake page has 5, one page only")
		assert.Equal(t, StopPages, q.Stop)
	}
	require.Len(t, c.Results, 10+8*5)
	for i, r := range c.Results[:10] {
		assert.Equal(t, i, r.Rank, "ranked over all pages of the query")
		assert.Equal(t, "snow leopard", r.Class)
		assert.Equal(t, "fake", r.Provider)
	}
	assert.Equal(t, words[0], c.Results[10].Query, "results follow spec order")
	assert.Equal(t, 0, c.Results[10].Rank)
	assert.NoError(t, c.Err())
}

func TestCollectLimitAndNoMore(t *testing.T) {
	f := &fakeProvider{pages: 2, perPage: 4}
	c, err := Collect(context.Background(), f, Spec{Queries: []QuerySpec{
		{Text: "a", Pages: 10, Limit: 6},
		{Text: "b", Pages: 10},
		{Text: "c", Pages: 10, PageSize: 1, Limit: 1},
	}})
	require.NoError(t, err)
	assert.Equal(t, StopLimit, c.Queries[0].Stop)
	assert.Equal(t, 6, c.Queries[0].Results)
	assert.Equal(t, StopNoMore, c.Queries[1].Stop)
	assert.Equal(t, 8, c.Queries[1].Results)
	assert.Equal(t, StopLimit, c.Queries[2].Stop)
	assert.Equal(t, 1, c.Queries[2].Results)
	assert.Equal(t, int32(2+2+1), f.calls.Load(), "no page past the last, none past the limit")
}

func TestCollectDeduplicatesWithinAQuery(t *testing.T) {
	f := &fakeProvider{pages: 3, perPage: 3, dup: true}
	c, err := Collect(context.Background(), f, Spec{Queries: []QuerySpec{{Text: "a", Pages: 3}}})
	require.NoError(t, err)
	assert.Equal(t, 2, c.Queries[0].Duplicates)
	assert.Equal(t, 7, c.Queries[0].Results)
	seen := map[string]bool{}
	for i, r := range c.Results {
		assert.False(t, seen[r.ImageURL])
		seen[r.ImageURL] = true
		assert.Equal(t, i, r.Rank)
	}
}

func TestCollectRecordsFailedQueries(t *testing.T) {
	boom := &APIError{Provider: "fake", Status: 500, Message: "boom"}
	f := &fakeProvider{pages: 2, perPage: 2, fail: map[string]error{"bad": boom}, failPage: map[string]int{"half": 1}}
	c, err := Collect(context.Background(), f, Spec{Queries: []QuerySpec{
		{Text: "good", Pages: 2}, {Text: "bad", Pages: 2}, {Text: "half", Pages: 2},
	}})
	require.NoError(t, err, "one failed query is not fatal")
	assert.Equal(t, 2, c.Failed)
	assert.Equal(t, StopError, c.Queries[1].Stop)
	assert.ErrorIs(t, c.Queries[1].Err, boom)
	assert.Equal(t, StopError, c.Queries[2].Stop)
	assert.Equal(t, 2, c.Queries[2].Results, "pages before the failure are kept")
	assert.Equal(t, 1, c.Queries[2].Pages)
	assert.Len(t, c.Results, 4+2)
	assert.ErrorContains(t, c.Err(), `query "bad"`)
	assert.ErrorContains(t, c.Err(), `query "half"`)
}

func TestCollectAllFailed(t *testing.T) {
	f := &fakeProvider{pages: 1, perPage: 1, fail: map[string]error{"a": ErrNoKey, "b": ErrNoKey}}
	c, err := Collect(context.Background(), f, Spec{Queries: []QuerySpec{{Text: "a"}, {Text: "b"}}})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoKey)
	require.NotNil(t, c)
	assert.Equal(t, 2, c.Failed)
}

func TestCollectBoundsConcurrency(t *testing.T) {
	f := &fakeProvider{pages: 1, perPage: 1, delay: 20 * time.Millisecond}
	qs := make([]QuerySpec, 24)
	for i := range qs {
		qs[i] = QuerySpec{Text: fmt.Sprint(i)}
	}
	var calls []int
	var inProgress atomic.Int32
	progress := func(done int, r QueryReport) {
		assert.Equal(t, int32(1), inProgress.Add(1), "Progress calls never overlap")
		calls = append(calls, done)
		assert.Equal(t, 1, r.Results)
		inProgress.Add(-1)
	}
	c, err := Collect(context.Background(), f, Spec{Queries: qs, Concurrency: 3, Progress: progress})
	require.NoError(t, err)
	assert.Len(t, c.Results, 24)
	assert.Equal(t, int32(3), f.peak.Load())
	require.Len(t, calls, 24)
	for i, d := range calls {
		assert.Equal(t, i+1, d)
	}
}

func TestCollectDeterministicOrder(t *testing.T) {
	var prev []Result
	for run := range 5 {
		f := &fakeProvider{pages: 2, perPage: 3, delay: time.Duration(run) * time.Millisecond}
		qs := Negatives(NegativeWords(nil, 12, 7, "zebra"), 4)
		c, err := Collect(context.Background(), f, Spec{Queries: qs, Concurrency: 1 + run*2})
		require.NoError(t, err)
		if prev != nil {
			assert.Equal(t, prev, c.Results)
		}
		prev = c.Results
	}
}

func TestCollectCancellation(t *testing.T) {
	f := &fakeProvider{pages: 5, perPage: 2, delay: 50 * time.Millisecond}
	qs := make([]QuerySpec, 20)
	for i := range qs {
		qs[i] = QuerySpec{Text: fmt.Sprint(i), Pages: 5}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	start := time.Now()
	c, err := Collect(ctx, f, Spec{Queries: qs, Concurrency: 2})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	require.NotNil(t, c)
	require.Len(t, c.Queries, 20)
	cancelled := 0
	for _, q := range c.Queries {
		if q.Stop == StopCancelled {
			cancelled++
		}
		assert.NotEmpty(t, q.Stop, "every query says why it stopped")
	}
	assert.GreaterOrEqual(t, cancelled, 18)
}

func TestCollectRejectsBadInput(t *testing.T) {
	_, err := Collect(context.Background(), nil, Spec{Queries: []QuerySpec{{Text: "x"}}})
	assert.Error(t, err)
	_, err = Collect(context.Background(), &fakeProvider{}, Spec{})
	assert.Error(t, err)
	_, err = Collect(context.Background(), &LocalDir{}, Spec{Queries: []QuerySpec{{Text: "x"}}})
	assert.ErrorContains(t, err, "Root", "the provider is validated first")
}

func TestWordsList(t *testing.T) {
	w := Words()
	assert.GreaterOrEqual(t, len(w), 400)
	seen := map[string]bool{}
	for _, x := range w {
		assert.Equal(t, strings.ToLower(strings.TrimSpace(x)), x)
		assert.False(t, seen[x], "duplicate %q", x)
		assert.NotContains(t, x, "#")
		seen[x] = true
	}
	w[0] = "mutated"
	assert.NotEqual(t, "mutated", Words()[0], "Words returns a copy")
}

func TestNegativeWords(t *testing.T) {
	a := NegativeWords(nil, 50, 42, "snow leopard")
	b := NegativeWords(nil, 50, 42, "snow leopard")
	c := NegativeWords(nil, 50, 43, "snow leopard")
	assert.Equal(t, a, b, "seeded")
	assert.NotEqual(t, a, c)
	assert.Len(t, a, 50)
	seen := map[string]bool{}
	for _, w := range a {
		assert.False(t, seen[w])
		seen[w] = true
	}
	all := NegativeWords(nil, 100000, 1, "snow leopard", "cats", "boxes")
	for _, w := range all {
		assert.NotContains(t, w, "snow")
		assert.NotContains(t, w, "leopard")
		assert.NotEqual(t, "cat", w)
		assert.NotEqual(t, "box", w)
	}
	assert.Contains(t, Words(), "snowflake")
	assert.Contains(t, Words(), "cat")
	assert.NotContains(t, all, "snowflake", "contains a query word of 4+ letters")
	assert.Less(t, len(all), len(Words()))

	custom := NegativeWords([]string{"Dog", "dogs", "hot dog", "tree", "tree", " "}, 10, 1, "dog")
	assert.Equal(t, []string{"tree"}, custom)
	assert.Nil(t, NegativeWords(nil, 0, 1, "x"))
}

func TestSingular(t *testing.T) {
	for in, want := range map[string]string{"boxes": "box", "cats": "cat", "berries": "berry", "glass": "glass", "bus": "bus", "benches": "bench", "dishes": "dish"} {
		assert.Equal(t, want, singular(in), in)
	}
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, image.NewGray(image.Rect(0, 0, w, h))))
	require.NoError(t, f.Close())
}

func TestLocalDir(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "snow_leopard", "0001.png"), 4, 3)
	writePNG(t, filepath.Join(root, "snow_leopard", "0002.png"), 5, 6)
	writePNG(t, filepath.Join(root, "cams", "Snow-Leopards-3.PNG"), 7, 8)
	writePNG(t, filepath.Join(root, "cams", "snowman.png"), 2, 2)
	writePNG(t, filepath.Join(root, ".hidden", "snow leopard.png"), 2, 2)
	require.NoError(t, os.WriteFile(filepath.Join(root, "snow_leopard", "broken.jpg"), []byte("not a jpeg"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "snow_leopard", "notes.txt"), []byte("x"), 0o644))

	l := &LocalDir{Root: root, SkipHidden: true}
	pg, err := l.Search(context.Background(), Query{Text: "Snow Leopard"})
	require.NoError(t, err)
	var ids []string
	for _, r := range pg.Results {
		ids = append(ids, r.ID)
	}
	assert.Equal(t, []string{"cams/Snow-Leopards-3.PNG", "snow_leopard/0001.png", "snow_leopard/0002.png", "snow_leopard/broken.jpg"}, ids)
	assert.Equal(t, 4, pg.Total)
	r := pg.Results[1]
	assert.Equal(t, 4, r.Width)
	assert.Equal(t, 3, r.Height)
	assert.Equal(t, "png", r.Format)
	assert.Equal(t, "file://"+filepath.ToSlash(filepath.Join(root, "snow_leopard", "0001.png")), r.ImageURL)
	assert.Zero(t, pg.Results[3].Width, "an undecodable file is kept, with zero size")

	// Paging, deterministic order.
	c, err := Collect(context.Background(), l, Spec{Queries: []QuerySpec{{Text: "snow leopard", Pages: 10, PageSize: 3}}})
	require.NoError(t, err)
	assert.Equal(t, 2, c.Queries[0].Pages)
	assert.Len(t, c.Results, 4)

	// Empty query: every image; hidden files included unless skipped.
	pg, err = (&LocalDir{Root: root}).Search(context.Background(), Query{})
	require.NoError(t, err)
	assert.Len(t, pg.Results, 6)

	pg, err = l.Search(context.Background(), Query{Text: "zebra"})
	require.NoError(t, err)
	assert.Empty(t, pg.Results)

	_, err = (&LocalDir{Root: filepath.Join(root, "missing")}).Search(context.Background(), Query{})
	assert.Error(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = l.Search(ctx, Query{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestLocalDirConcurrentUse(t *testing.T) {
	root := t.TempDir()
	for i := range 10 {
		writePNG(t, filepath.Join(root, fmt.Sprintf("a%02d.png", i)), 2, 2)
	}
	l := &LocalDir{Root: root}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pg, err := l.Search(context.Background(), Query{Text: "", Page: i % 3, PageSize: 4})
			assert.NoError(t, err)
			assert.LessOrEqual(t, len(pg.Results), 4)
		}()
	}
	wg.Wait()
}

func TestCollectionByClass(t *testing.T) {
	f := &fakeProvider{pages: 1, perPage: 2}
	c, err := Collect(context.Background(), f, Spec{Queries: append([]QuerySpec{Positive("snow leopard", 1)}, Negatives([]string{"kettle", "bench"}, 1)...)})
	require.NoError(t, err)
	assert.Equal(t, []string{"snow leopard", NegativeClass}, c.Classes())
	g := c.ByClass(NegativeClass, "snow leopard", "unused")
	require.Len(t, g, 3)
	assert.Len(t, g[0], 2)
	assert.Equal(t, "kettle", g[0][0].Query)
	assert.Equal(t, "bench", g[0][1].Query)
	assert.Len(t, g[1], 2)
	assert.Equal(t, "snow leopard", g[1][0].Class)
	assert.NotNil(t, g[2])
	assert.Empty(t, g[2])
}
