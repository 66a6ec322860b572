package search

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"Fri, 31 Dec 1999 23:59:59 GMT", 0},
		{"soon", 0},
		{"1.5", 0},
		{"99999999999999999999", 0},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, parseRetryAfter(c.in, now), "%q", c.in)
	}
	assert.Equal(t, time.Duration(1<<31)*time.Second, parseRetryAfter("9999999999999", now), "clamped, not overflowed")
}

func TestBackoffGrowsWithJitterWithinBounds(t *testing.T) {
	d := newDoer("t", HTTPConfig{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}, 1)
	for attempt, step := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		step *= time.Millisecond
		seen := map[time.Duration]bool{}
		for range 200 {
			b := d.backoff(attempt)
			require.GreaterOrEqual(t, b, step/2, "attempt %d", attempt)
			require.LessOrEqual(t, b, step, "attempt %d", attempt)
			seen[b] = true
		}
		assert.Greater(t, len(seen), 10, "attempt %d is jittered", attempt)
	}
}

func TestValidateNamesTheBadField(t *testing.T) {
	cases := []struct {
		name  string
		v     interface{ Validate() error }
		field string
	}{
		{"bing endpoint", &Bing{Endpoint: "ftp://x"}, "Endpoint"},
		{"bing endpoint parse", &Bing{Endpoint: "http://[::1"}, "Endpoint"},
		{"bing safe", &Bing{SafeSearch: "maybe"}, "SafeSearch"},
		{"bing http", &Bing{HTTP: HTTPConfig{Timeout: -1}}, "HTTP.Timeout"},
		{"brave safe", &Brave{SafeSearch: "moderate"}, "SafeSearch"},
		{"brave backoff", &Brave{HTTP: HTTPConfig{MinBackoff: 2 * time.Second, MaxBackoff: time.Second}}, "HTTP.MinBackoff"},
		{"openverse half creds", &Openverse{ClientID: "x"}, "ClientSecret"},
		{"openverse rate", &Openverse{HTTP: HTTPConfig{RateLimit: -1}}, "HTTP.RateLimit"},
		{"wikimedia thumb", &Wikimedia{ThumbWidth: -1}, "ThumbWidth"},
		{"wikimedia filetype", &Wikimedia{FileType: "bit map"}, "FileType"},
		{"wikimedia size", &Wikimedia{HTTP: HTTPConfig{MaxResponseBytes: -1}}, "HTTP.MaxResponseBytes"},
		{"inat size", &INaturalist{Size: "huge"}, "Size"},
		{"inat grade", &INaturalist{QualityGrade: "great"}, "QualityGrade"},
		{"inat taxon", &INaturalist{TaxonID: -4}, "TaxonID"},
		{"localdir root", &LocalDir{}, "Root"},
		{"localdir ext", &LocalDir{Root: ".", Extensions: []string{"JPG"}}, "Extensions"},
		{"spec empty", Spec{}, "Queries"},
		{"spec conc", Spec{Queries: []QuerySpec{{Text: "x"}}, Concurrency: -1}, "Concurrency"},
		{"spec pages", Spec{Queries: []QuerySpec{{Text: "x"}, {Text: "y", Pages: -1}}}, "Queries[1].Pages"},
		{"spec limit", Spec{Queries: []QuerySpec{{Text: "x", Limit: -1}}}, "Queries[0].Limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.v.Validate()
			var pe *labelfree.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, c.field, pe.Field)
		})
	}
	for _, v := range []interface{ Validate() error }{&Bing{}, &Brave{}, &Openverse{}, &Wikimedia{}, &INaturalist{}, &LocalDir{Root: "."}} {
		assert.NoError(t, v.Validate(), "%T zero value", v)
	}
}

func TestInvalidProviderFailsBeforeAnyRequest(t *testing.T) {
	srv, n := serve(t, func(int, http.ResponseWriter, *http.Request) {})
	_, err := (&Wikimedia{Endpoint: srv.URL, ThumbWidth: -1}).Search(context.Background(), Query{Text: "x"})
	var pe *labelfree.ParamError
	require.ErrorAs(t, err, &pe)
	assert.Zero(t, n.Load())
}

func TestCompatibleEndpointKeepsItsQuery(t *testing.T) {
	var got string
	srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		got = r.URL.String()
		reply(w, 200, fixture(t, "bing_empty.json"))
	})
	_, err := (&Bing{Key: "k-123456", Endpoint: srv.URL + "/proxy/bing?tenant=7", HTTP: fastHTTP()}).Search(context.Background(), Query{Text: "x"})
	require.NoError(t, err)
	assert.Contains(t, got, "/proxy/bing/v7.0/images/search?")
	assert.Contains(t, got, "q=x")
}

func TestAPIErrorText(t *testing.T) {
	e := newAPIError("bing", 429, "RateLimitExceeded", "slow down")
	e.RetryAfter = 2 * time.Second
	assert.Equal(t, "search: bing: HTTP 429 Too Many Requests: RateLimitExceeded: slow down (retry after 2s)", e.Error())
	assert.True(t, errors.Is(e, ErrRateLimited))
	assert.False(t, errors.Is(e, ErrUnauthorized))
	long := newAPIError("x", 500, "", string(make([]byte, 5000)))
	assert.LessOrEqual(t, len(long.Message), maxMessage+3)
}

func TestNormFormat(t *testing.T) {
	for in, want := range map[string]string{"image/jpeg": "jpeg", "JPG": "jpeg", ".png": "png", "image/svg+xml": "svg", "image/webp; q=1": "webp", "tif": "tiff", "": ""} {
		assert.Equal(t, want, normFormat(in), in)
	}
	for in, want := range map[string]string{"https://x/a.JPG?x=1": "jpeg", "https://x/a.html": "", "https://x/a": "", "https://x.png/a": "", "::": ""} {
		assert.Equal(t, want, formatFromURL(in), in)
	}
}

func TestDefaultRateLimits(t *testing.T) {
	srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) { reply(w, 200, []byte(`{}`)) })
	b := &Bing{Key: "k-123456", Endpoint: srv.URL}
	br := &Brave{Key: "k-123456", Endpoint: srv.URL}
	ov := &Openverse{Endpoint: srv.URL}
	wm := &Wikimedia{Endpoint: srv.URL}
	in := &INaturalist{Endpoint: srv.URL}
	type tc struct {
		p    Provider
		lz   *lazy
		want float64
	}
	for _, c := range []tc{{b, &b.lazy, 3}, {br, &br.lazy, 1}, {ov, &ov.lazy, 1}, {wm, &wm.lazy, 1}, {in, &in.lazy, 1}} {
		_, _ = c.p.Search(context.Background(), Query{Text: "x"})
		require.NotNil(t, c.lz.d, c.p.Name())
		assert.Equal(t, c.want, float64(c.lz.d.lim.Limit()), c.p.Name())
		assert.Equal(t, 1, c.lz.d.lim.Burst(), c.p.Name())
		assert.Equal(t, 4, c.lz.d.cfg.MaxRetries, c.p.Name())
		assert.Equal(t, 30*time.Second, c.lz.d.cfg.Timeout, c.p.Name())
		assert.Equal(t, int64(16<<20), c.lz.d.cfg.MaxResponseBytes, c.p.Name())
	}
}
