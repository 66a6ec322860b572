package dataset

import (
	"strings"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/search"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "HTTP://Example.COM:80/a/./b/../c.jpg#frag", want: "http://example.com/a/c.jpg"},
		{in: "https://example.com:443", want: "https://example.com/"},
		{in: "https://example.com:8443/x.jpg", want: "https://example.com:8443/x.jpg"},
		{in: "https://example.com./x.jpg?b=2&a=1&utm_source=feed", want: "https://example.com/x.jpg?a=1&b=2"},
		{in: "  https://example.com/dir/  ", want: "https://example.com/dir/"},
		{in: "http://[::1]:8080/x", want: "http://[::1]:8080/x"},
		{in: "http://[::1]:80/x", want: "http://[::1]/x"},
		{in: "https://example.com/a%20b.jpg", want: "https://example.com/a%20b.jpg"},
		{in: "ftp://example.com/x.jpg", err: "scheme"},
		{in: "/relative.jpg", err: "scheme"},
		{in: "http://", err: "no host"},
		{in: "http://%zz", err: "invalid"},
		{in: "mailto:someone@example.com", err: "scheme"},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if tt.err != "" {
			require.Error(t, err, tt.in)
			assert.Contains(t, err.Error(), tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestStitch(t *testing.T) {
	pos := []search.Result{
		{Provider: "p", Query: "snow leopard", Rank: 0, ImageURL: "https://a.example/1.jpg"},
		{Provider: "p", Query: "snow leopard", Rank: 1, ImageURL: "https://A.example/1.jpg#dup"}, // same URL
		{Provider: "p", Query: "snow leopard", Rank: 2, ImageURL: "https://a.example/2.jpg"},
		{Provider: "p", Query: "snow leopard", Rank: 3, ImageURL: "javascript:alert(1)"},
	}
	neg := []search.Result{
		{Provider: "p", Query: "teapot", Rank: 0, ImageURL: "https://b.example/t.jpg"},
		{Provider: "p", Query: "cat", Rank: 0, ImageURL: "https://a.example/2.jpg"}, // also found as positive
	}
	truth := func(r search.Result) ([]labelfree.Box, bool) {
		if r.ImageURL == "https://a.example/2.jpg" {
			return []labelfree.Box{{X0: 1, Y0: 2, X1: 3, Y1: 4, Score: 1, Class: 1}}, true
		}
		return nil, false
	}
	ds, rep, err := Stitch([]string{"other", "snow leopard"}, [][]search.Result{neg, pos}, &StitchOptions{Truth: truth})
	require.NoError(t, err)
	assert.Equal(t, []string{"other", "snow leopard"}, ds.Classes)
	assert.Equal(t, 6, rep.Results)
	require.Len(t, ds.Rows, 4, "two URL duplicates merged, the bad URL kept as a failed row")
	assert.Equal(t, 4, rep.Rows)
	assert.Len(t, rep.Merged, 2)
	assert.Equal(t, 1, rep.Conflicts)
	assert.Equal(t, 1, rep.BadURLs)
	assert.Equal(t, []int{1, 3}, rep.PerClass)

	byURL := map[string]*labelfree.Row{}
	ids := map[string]bool{}
	for _, r := range ds.Rows {
		src, ok := labelfree.Get(r, Source)
		require.True(t, ok)
		byURL[src.ImageURL] = r
		require.False(t, ids[r.ID], "IDs are unique")
		ids[r.ID] = true
	}
	conflict := byURL["https://b.example/t.jpg"]
	require.NotNil(t, conflict)
	l, _ := labelfree.Get(conflict, labelfree.Label)
	assert.Equal(t, 0, l)

	// The URL found as negative first and positive later is labelled
	// positive, with both results kept as provenance.
	two := byURL["https://a.example/2.jpg"]
	require.NotNil(t, two)
	l, _ = labelfree.Get(two, labelfree.Label)
	assert.Equal(t, 1, l)
	also, _ := labelfree.Get(two, AlsoFound)
	require.Len(t, also, 1)
	assert.Equal(t, "snow leopard", also[0].Query)
	boxes, ok := labelfree.Get(two, labelfree.TrueBoxes)
	require.True(t, ok)
	assert.Len(t, boxes, 1)

	bad := byURL["javascript:alert(1)"]
	require.NotNil(t, bad)
	require.NotNil(t, bad.Err)
	assert.ErrorIs(t, bad.Err, ErrBadURL)

	// IDs are stable across runs.
	again, _, err := Stitch([]string{"other", "snow leopard"}, [][]search.Result{neg, pos}, nil)
	require.NoError(t, err)
	for i := range ds.Rows {
		assert.Equal(t, ds.Rows[i].ID, again.Rows[i].ID)
	}
}

func TestStitchErrors(t *testing.T) {
	_, _, err := Stitch(nil, nil, nil)
	require.Error(t, err)
	_, _, err = Stitch([]string{"a", "b"}, [][]search.Result{nil}, nil)
	require.ErrorContains(t, err, "2 classes")
	_, _, err = Stitch([]string{"a", "a"}, [][]search.Result{nil, nil}, nil)
	require.ErrorContains(t, err, "twice")
}

// FuzzNormalizeURL checks that normalisation never panics, yields http(s)
// URLs and is idempotent, so equal images get equal row IDs.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"HTTP://Example.COM:80/a/./b/../c.jpg#x", "https://[::1]:443/?b=1&a=2&utm_x=3", "http://a/%zz", "https://u:p@h/x", "http://h/a//b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, err := NormalizeURL(raw)
		if err != nil {
			return
		}
		if !strings.HasPrefix(n, "http://") && !strings.HasPrefix(n, "https://") {
			t.Fatalf("%q normalised to %q", raw, n)
		}
		again, err := NormalizeURL(n)
		if err != nil {
			t.Fatalf("normal form %q does not parse: %v", n, err)
		}
		if again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, n, again)
		}
	})
}

func TestStitchIdentityKeepsIDsAcrossHosts(t *testing.T) {
	at := func(host string) [][]search.Result {
		return [][]search.Result{{{ImageURL: "http://" + host + "/img/7.jpg"}, {ImageURL: "http://" + host + "/img/8.jpg"}}}
	}
	path := func(r search.Result) string { return strings.SplitN(r.ImageURL, "/", 4)[3] }
	a, _, err := Stitch([]string{"x"}, at("127.0.0.1:4001"), &StitchOptions{Identity: path})
	require.NoError(t, err)
	b, _, err := Stitch([]string{"x"}, at("127.0.0.1:5002"), &StitchOptions{Identity: path})
	require.NoError(t, err)
	c, _, err := Stitch([]string{"x"}, at("127.0.0.1:5002"), nil)
	require.NoError(t, err)
	for i := range a.Rows {
		assert.Equal(t, a.Rows[i].ID, b.Rows[i].ID, "same identity, same ID")
		assert.NotEqual(t, a.Rows[i].ID, c.Rows[i].ID, "without Identity the URL decides")
	}
	assert.NotEqual(t, a.Rows[0].ID, a.Rows[1].ID)
}
