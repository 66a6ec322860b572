package search

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseFirstResults checks every field mapped from each API's fixture.
func TestParseFirstResults(t *testing.T) {
	cases := []struct {
		name  string
		parse func([]byte) (Page, error)
		file  string
		more  bool
		total int
		want  []Result
	}{
		{
			name:  "bing",
			parse: func(b []byte) (Page, error) { return parseBingPage(b, "snow leopard", 0) },
			file:  "bing_page0.json", more: true, total: 3,
			want: []Result{{
				Provider: "bing", ID: "A1A1A1A1A1A1A1A1A1A1A1A1", Query: "snow leopard", Rank: 0,
				ImageURL: "https://example.org/images/snow-leopard-1.jpg", PageURL: "https://example.org/wildlife/snow-leopard",
				ThumbnailURL: "https://tse1.mm.bing.net/th?id=OIP.A1&pid=Api", Width: 1600, Height: 1067, Format: "jpeg",
				Title: "Snow leopard resting on a rock",
			}, {
				Provider: "bing", ID: "B2B2B2B2B2B2B2B2B2B2B2B2", Query: "snow leopard", Rank: 1,
				ImageURL: "https://example.net/photos/uncia.png", PageURL: "https://example.net/blog/uncia",
				ThumbnailURL: "https://tse2.mm.bing.net/th?id=OIP.B2&pid=Api", Width: 1024, Height: 768, Format: "png",
				Title: "Snow leopard in the Himalaya",
			}},
		},
		{
			name:  "brave",
			parse: func(b []byte) (Page, error) { return parseBravePage(b, "snow leopard") },
			file:  "brave_images.json",
			want: []Result{{
				Provider: "brave", Query: "snow leopard", Rank: 0,
				ImageURL: "https://zoo.example.org/media/snow-leopard.jpg", PageURL: "https://zoo.example.org/animals/snow-leopard",
				ThumbnailURL: "https://imgs.search.brave.com/abc123/rs:fit:500:0:0/g:ce/aHR0cHM6Ly96b28", Width: 2048, Height: 1365,
				Format: "jpeg", Title: "Snow leopard (Panthera uncia) - Example Zoo",
			}, {
				Provider: "brave", Query: "snow leopard", Rank: 1,
				ImageURL: "https://conservation.example.net/uploads/trap.webp", PageURL: "https://conservation.example.net/news/camera-trap",
				ThumbnailURL: "https://imgs.search.brave.com/def456/rs:fit:500:0:0/g:ce/aHR0cHM6Ly9jb25z", Format: "webp",
				Title: "Snow leopard camera trap",
			}},
		},
		{
			name:  "openverse",
			parse: func(b []byte) (Page, error) { return parseOpenversePage(b, "snow leopard", 1) },
			file:  "openverse_page1.json", more: true, total: 3,
			want: []Result{{
				Provider: "openverse", ID: "4bc43a04-ef46-4544-a0c1-63c63f56e276", Query: "snow leopard", Rank: 0,
				ImageURL: "https://live.staticflickr.com/65535/123456789_abcdef_b.jpg", PageURL: "https://www.flickr.com/photos/example/123456789",
				ThumbnailURL: "https://api.openverse.org/v1/images/4bc43a04-ef46-4544-a0c1-63c63f56e276/thumb/", Width: 1024, Height: 683,
				Format: "jpeg", Title: "Snow Leopard", License: "CC BY-SA 2.0", LicenseURL: "https://creativecommons.org/licenses/by-sa/2.0/",
				Attribution: "\"Snow Leopard\" by Jane Example is licensed under CC BY-SA 2.0. To view a copy of this license, visit https://creativecommons.org/licenses/by-sa/2.0/.",
			}, {
				Provider: "openverse", ID: "9f0e1d2c-3b4a-4596-8877-665544332211", Query: "snow leopard", Rank: 1,
				ImageURL: "https://upload.wikimedia.org/wikipedia/commons/a/ab/Panthera_uncia.png", PageURL: "https://commons.wikimedia.org/w/index.php?curid=1234567",
				ThumbnailURL: "https://api.openverse.org/v1/images/9f0e1d2c-3b4a-4596-8877-665544332211/thumb/", Width: 1600, Height: 1200,
				Format: "png", Title: "Panthera uncia", License: "CC0 1.0", LicenseURL: "https://creativecommons.org/publicdomain/zero/1.0/",
				Attribution: "\"Panthera uncia\" by Example Photographer is marked with CC0 1.0.",
			}},
		},
		{
			name:  "openverse last page",
			parse: func(b []byte) (Page, error) { return parseOpenversePage(b, "snow leopard", 2) },
			file:  "openverse_page2.json", total: 3,
			want: []Result{{
				Provider: "openverse", ID: "11111111-2222-4333-8444-555555555555", Query: "snow leopard", Rank: 0,
				ImageURL: "https://live.staticflickr.com/65535/987654321_fedcba_b.jpg", PageURL: "https://www.flickr.com/photos/other/987654321",
				ThumbnailURL: "https://api.openverse.org/v1/images/11111111-2222-4333-8444-555555555555/thumb/",
				Title:        "Snow leopard at the zoo", License: "CC BY 4.0", LicenseURL: "https://creativecommons.org/licenses/by/4.0/",
			}},
		},
		{
			name:  "wikimedia (ordered by index, HTML stripped)",
			parse: func(b []byte) (Page, error) { return parseWikimediaPage(b, "snow leopard") },
			file:  "wikimedia_page0.json", more: true,
			want: []Result{{
				Provider: "wikimedia", ID: "1234", Query: "snow leopard", Rank: 0,
				ImageURL: "https://upload.wikimedia.org/wikipedia/commons/1/12/Snow_leopard_portrait.png", PageURL: "https://commons.wikimedia.org/wiki/File:Snow_leopard_portrait.png",
				ThumbnailURL: "https://upload.wikimedia.org/wikipedia/commons/thumb/1/12/Snow_leopard_portrait.png/320px-Snow_leopard_portrait.png",
				Width:        1200, Height: 900, Format: "png", Title: "Snow leopard portrait", License: "Public domain",
				Attribution: "U.S. Fish and Wildlife Service",
			}, {
				Provider: "wikimedia", ID: "5582013", Query: "snow leopard", Rank: 1,
				ImageURL: "https://upload.wikimedia.org/wikipedia/commons/6/6e/Irbis4.JPG", PageURL: "https://commons.wikimedia.org/wiki/File:Irbis4.JPG",
				ThumbnailURL: "https://upload.wikimedia.org/wikipedia/commons/thumb/6/6e/Irbis4.JPG/320px-Irbis4.JPG",
				Width:        2272, Height: 1704, Format: "jpeg", Title: "Irbis4.JPG", License: "CC BY-SA 3.0",
				LicenseURL: "https://creativecommons.org/licenses/by-sa/3.0", Attribution: "Example & friends",
			}},
		},
		{
			name:  "wikimedia last page skips missing files",
			parse: func(b []byte) (Page, error) { return parseWikimediaPage(b, "snow leopard") },
			file:  "wikimedia_page1.json",
			want: []Result{{
				Provider: "wikimedia", ID: "777", Query: "snow leopard", Rank: 0,
				ImageURL: "https://upload.wikimedia.org/wikipedia/commons/7/77/Uncia_uncia.gif", PageURL: "https://commons.wikimedia.org/wiki/File:Uncia_uncia.gif",
				ThumbnailURL: "https://upload.wikimedia.org/wikipedia/commons/thumb/7/77/Uncia_uncia.gif/320px-Uncia_uncia.gif",
				Width:        400, Height: 300, Format: "gif", Title: "Uncia uncia.gif", License: "CC BY 4.0", Attribution: "Someone",
			}},
		},
		{
			name:  "inaturalist (one result per photo, large variant, scaled size)",
			parse: func(b []byte) (Page, error) { return parseINaturalistPage(b, "snow leopard", "large", false, 1, 2) },
			file:  "inaturalist_page1.json", more: true, total: 3,
			want: []Result{{
				Provider: "inaturalist", ID: "260000001", Query: "snow leopard", Rank: 0,
				ImageURL:     "https://inaturalist-open-data.s3.amazonaws.com/photos/260000001/large.jpg",
				PageURL:      "https://www.inaturalist.org/observations/150000001",
				ThumbnailURL: "https://inaturalist-open-data.s3.amazonaws.com/photos/260000001/small.jpg",
				Width:        1024, Height: 768, Format: "jpeg", Title: "Snow Leopard (Panthera uncia)",
				License: "CC BY-NC 4.0", LicenseURL: "https://creativecommons.org/licenses/by-nc/4.0/",
				Attribution: "(c) Cam Trapper, some rights reserved (CC BY-NC)",
			}, {
				Provider: "inaturalist", ID: "260000002", Query: "snow leopard", Rank: 1,
				ImageURL:     "https://inaturalist-open-data.s3.amazonaws.com/photos/260000002/large.jpeg",
				PageURL:      "https://www.inaturalist.org/observations/150000001",
				ThumbnailURL: "https://inaturalist-open-data.s3.amazonaws.com/photos/260000002/small.jpeg",
				Width:        768, Height: 1024, Format: "jpeg", Title: "Snow Leopard (Panthera uncia)",
				License: "CC BY-NC 4.0", LicenseURL: "https://creativecommons.org/licenses/by-nc/4.0/",
				Attribution: "(c) Cam Trapper, some rights reserved (CC BY-NC)",
			}, {
				Provider: "inaturalist", ID: "259999999", Query: "snow leopard", Rank: 2,
				ImageURL:     "https://static.inaturalist.org/photos/259999999/large.png",
				PageURL:      "https://www.inaturalist.org/observations/150000000",
				ThumbnailURL: "https://static.inaturalist.org/photos/259999999/small.png",
				Width:        800, Height: 600, Format: "png", Title: "Snow Leopard (Panthera uncia)",
				License: "CC0 1.0", LicenseURL: "https://creativecommons.org/publicdomain/zero/1.0/",
				Attribution: "no rights reserved",
			}},
		},
		{
			name:  "inaturalist last page, no licence, no dimensions",
			parse: func(b []byte) (Page, error) { return parseINaturalistPage(b, "snow leopard", "original", true, 2, 2) },
			file:  "inaturalist_page2.json", total: 3,
			want: []Result{{
				Provider: "inaturalist", ID: "259999990", Query: "snow leopard", Rank: 0,
				ImageURL:     "https://inaturalist-open-data.s3.amazonaws.com/photos/259999990/original.jpg",
				PageURL:      "https://www.inaturalist.org/observations/149999999",
				ThumbnailURL: "https://inaturalist-open-data.s3.amazonaws.com/photos/259999990/small.jpg",
				Format:       "jpeg", Title: "Panthera uncia", Attribution: "(c) someone, all rights reserved",
			}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.parse(fixture(t, c.file))
			require.NoError(t, err)
			assert.Equal(t, c.want, p.Results)
			assert.Equal(t, c.more, p.More)
			assert.Equal(t, c.total, p.Total)
		})
	}
}

func TestParseNoLocationLeaks(t *testing.T) {
	p, err := parseINaturalistPage(fixture(t, "inaturalist_page1.json"), "x", "large", false, 1, 2)
	require.NoError(t, err)
	for _, r := range p.Results {
		s := strings.Join([]string{r.ID, r.Title, r.PageURL, r.ImageURL, r.Attribution}, " ")
		assert.NotContains(t, s, "38.5")
		assert.NotContains(t, s, "75.1")
	}
}

// TestParseErrors checks each documented error body becomes the right
// *APIError.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name      string
		err       *APIError
		status    int
		code      string
		msg       string
		retryable bool
	}{
		{"bing 401", parseBingError(401, fixture(t, "bing_error_401.json")), 401, "InvalidAuthorization/AuthorizationMissing", "Authorization is required. (Subscription key is not recognized.)", false},
		{"bing 403 quota", parseBingError(403, fixture(t, "bing_error_403.json")), 403, "InsufficientAuthorization/AuthorizationExpired", "Out of call volume quota. Quota will be replenished in 02.12:00:00.", false},
		{"bing 400", parseBingError(400, fixture(t, "bing_error_400.json")), 400, "InvalidRequest/ParameterInvalidValue", "Parameter has invalid value. [parameter count]", false},
		{"bing 429", parseBingError(429, fixture(t, "bing_error_429.json")), 429, "RateLimitExceeded", "Rate limit is exceeded. Try again in 1 seconds.", true},
		{"bing 500", parseBingError(500, fixture(t, "bing_error_500.json")), 500, "ServerError/UnexpectedError", "An unexpected error has occurred.", true},
		{"bing gateway", parseBingError(401, []byte(`{"error":{"code":"401","message":"Access denied due to invalid subscription key."}}`)), 401, "401", "Access denied due to invalid subscription key.", false},
		{"bing 200 ErrorResponse", parseBingError(200, fixture(t, "bing_error_429.json")), 429, "RateLimitExceeded", "Rate limit is exceeded. Try again in 1 seconds.", true},
		{"brave 401", parseBraveError(401, fixture(t, "brave_error_401.json")), 401, "SUBSCRIPTION_TOKEN_INVALID", "The provided subscription token is invalid.", false},
		{"brave 422", parseBraveError(422, fixture(t, "brave_error_422.json")), 422, "VALIDATION", "Unable to validate request parameter(s)", false},
		{"brave 429", parseBraveError(429, fixture(t, "brave_error_429.json")), 429, "RATE_LIMITED", "Request rate limit exceeded for plan.", true},
		{"openverse 401", parseOpenverseError(401, fixture(t, "openverse_error_401.json")), 401, "", "Authentication credentials were not provided.", false},
		{"openverse 400 fields", parseOpenverseError(400, fixture(t, "openverse_error_400.json")), 400, "", `{"page_size":["Ensure this value is less than or equal to 20."]}`, false},
		{"openverse token", parseOpenverseError(401, fixture(t, "openverse_token_error.json")), 401, "invalid_client", "", false},
		{"wikimedia 403 text", parseWikimediaError(403, fixture(t, "wikimedia_error_403.txt")), 403, "", "Please set a user-agent and respect our robot policy https://w.wiki/4wJS. See also T400119.", false},
		{"wikimedia html 503", parseWikimediaError(503, []byte("<!DOCTYPE html><html>Wikimedia Error</html>")), 503, "", "", true},
		{"inaturalist 401", parseINaturalistError(401, fixture(t, "inaturalist_error_401.json")), 401, "", "Unauthorized", false},
		{"inaturalist 422", parseINaturalistError(422, fixture(t, "inaturalist_error_422.json")), 422, "", "per_page must be less than or equal to 200", false},
		{"inaturalist 403 window", parseINaturalistError(403, fixture(t, "inaturalist_error_403.json")), 403, "", "Result window is too large, page * per_page must be less than or equal to 10000", false},
		{"inaturalist object", parseINaturalistError(500, []byte(`{"error":{"x":1},"status":500}`)), 500, "", `{"x":1}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.status, c.err.Status)
			assert.Equal(t, c.code, c.err.Code)
			assert.Equal(t, c.msg, c.err.Message)
			assert.Equal(t, c.retryable, c.err.Retryable())
			assert.NotEmpty(t, c.err.Error())
		})
	}
}

func TestWikimediaErrorsIn200Bodies(t *testing.T) {
	t.Run("maxlag is retried after Retry-After", func(t *testing.T) {
		srv, n := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
			if i == 1 {
				w.Header().Set("Retry-After", "1")
				w.Header().Set("MediaWiki-API-Error", "maxlag")
				reply(w, 200, fixture(t, "wikimedia_error_maxlag.json"))
				return
			}
			reply(w, 200, fixture(t, "wikimedia_page1.json"))
		})
		start := time.Now()
		pg, err := (&Wikimedia{Endpoint: srv.URL, HTTP: fastHTTP()}).Search(context.Background(), Query{Text: "snow leopard"})
		require.NoError(t, err)
		assert.Len(t, pg.Results, 1)
		assert.Equal(t, 2, int(n.Load()))
		assert.GreaterOrEqual(t, time.Since(start), 950*time.Millisecond)
	})
	t.Run("badvalue is not retried", func(t *testing.T) {
		srv, n := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
			reply(w, 200, fixture(t, "wikimedia_error_badvalue.json"))
		})
		_, err := (&Wikimedia{Endpoint: srv.URL, HTTP: fastHTTP()}).Search(context.Background(), Query{Text: "snow leopard"})
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "badvalue", ae.Code)
		assert.Equal(t, 200, ae.Status)
		assert.Contains(t, ae.Message, "gsrwhat")
		assert.Equal(t, 1, int(n.Load()))
	})
}

func TestWikimediaOptions(t *testing.T) {
	var got url.Values
	srv, _ := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		reply(w, 200, fixture(t, "wikimedia_empty.json"))
	})
	w := &Wikimedia{Endpoint: srv.URL, FileType: "-", ThumbWidth: 640, MaxLag: -1, HTTP: fastHTTP()}
	_, err := w.Search(context.Background(), Query{Text: "snow leopard", Page: 3, PageSize: 500})
	require.NoError(t, err)
	assert.Equal(t, "snow leopard", got.Get("gsrsearch"))
	assert.Equal(t, "640", got.Get("iiurlwidth"))
	assert.Equal(t, "50", got.Get("gsrlimit"), "capped at the API's 50")
	assert.Equal(t, "150", got.Get("gsroffset"))
	assert.False(t, got.Has("maxlag"))
}

func TestBraveRateLimitReset(t *testing.T) {
	srv, n := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if i == 1 {
			w.Header().Set("X-RateLimit-Limit", "1, 2000")
			w.Header().Set("X-RateLimit-Reset", "1, 1419704")
			reply(w, 429, fixture(t, "brave_error_429.json"))
			return
		}
		reply(w, 200, fixture(t, "brave_images.json"))
	})
	start := time.Now()
	pg, err := (&Brave{Key: "k-123456", Endpoint: srv.URL, HTTP: fastHTTP()}).Search(context.Background(), Query{Text: "snow leopard"})
	require.NoError(t, err)
	assert.Len(t, pg.Results, 2)
	assert.Equal(t, 2, int(n.Load()))
	assert.GreaterOrEqual(t, time.Since(start), 950*time.Millisecond, "X-RateLimit-Reset per-second window honoured")
}

func TestBraveLaterPagesAreEmptyWithoutARequest(t *testing.T) {
	srv, n := serve(t, func(i int, w http.ResponseWriter, r *http.Request) { reply(w, 200, fixture(t, "brave_images.json")) })
	pg, err := (&Brave{Key: "k-123456", Endpoint: srv.URL, HTTP: fastHTTP()}).Search(context.Background(), Query{Text: "x", Page: 1})
	require.NoError(t, err)
	assert.Empty(t, pg.Results)
	assert.False(t, pg.More)
	assert.Zero(t, n.Load())
}

func TestOpenverseOAuth(t *testing.T) {
	const id, secret = "client-id-1", "client-secret-xyz-987"
	var tokens, searches atomic.Int32
	var revoked atomic.Bool
	srv, _ := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/auth_tokens/token/":
			tokens.Add(1)
			assert.Equal(t, http.MethodPost, r.Method)
			assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
			require.NoError(t, r.ParseForm())
			assert.Equal(t, "client_credentials", r.PostForm.Get("grant_type"))
			assert.Equal(t, id, r.PostForm.Get("client_id"))
			assert.Equal(t, secret, r.PostForm.Get("client_secret"))
			reply(w, 200, fixture(t, "openverse_token.json"))
		case "/v1/images/":
			searches.Add(1)
			if revoked.CompareAndSwap(true, false) {
				reply(w, 401, []byte(`{"detail":"Invalid token DLBYIcfnKfolaXKcmMC8RIDCavc2hW."}`))
				return
			}
			assert.Equal(t, "Bearer DLBYIcfnKfolaXKcmMC8RIDCavc2hW", r.Header.Get("Authorization"))
			assert.Equal(t, "100", r.URL.Query().Get("page_size"), "registered clients may ask for more than 20")
			reply(w, 200, fixture(t, "openverse_page1.json"))
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	})
	o := &Openverse{ClientID: id, ClientSecret: secret, Endpoint: srv.URL, HTTP: fastHTTP()}
	for range 3 {
		_, err := o.Search(context.Background(), Query{Text: "snow leopard", PageSize: 100})
		require.NoError(t, err)
	}
	assert.Equal(t, 1, int(tokens.Load()), "the token is cached")
	revoked.Store(true)
	_, err := o.Search(context.Background(), Query{Text: "snow leopard", PageSize: 100})
	require.NoError(t, err, "a rejected token is replaced once")
	assert.Equal(t, 2, int(tokens.Load()))
	assert.Equal(t, 5, int(searches.Load()))
}

func TestOpenverseOAuthFailureRedacted(t *testing.T) {
	const secret = "client-secret-xyz-987"
	srv, _ := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
		reply(w, 401, []byte(`{"error":"invalid_client","error_description":"unknown secret `+secret+`"}`))
	})
	o := &Openverse{ClientID: "id", ClientSecret: secret, Endpoint: srv.URL, HTTP: fastHTTP()}
	_, err := o.Search(context.Background(), Query{Text: "snow leopard"})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.NotContains(t, err.Error(), secret)
	assert.Contains(t, err.Error(), "invalid_client")
}

func TestOpenverseAnonymousLimits(t *testing.T) {
	var got url.Values
	srv, n := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		reply(w, 200, fixture(t, "openverse_empty.json"))
	})
	o := &Openverse{Endpoint: srv.URL, HTTP: fastHTTP()}
	_, err := o.Search(context.Background(), Query{Text: "x", PageSize: 100})
	require.NoError(t, err)
	assert.Equal(t, "20", got.Get("page_size"), "anonymous page_size capped at 20")
	pg, err := o.Search(context.Background(), Query{Text: "x", Page: 20})
	require.NoError(t, err)
	assert.False(t, pg.More)
	assert.Equal(t, 1, int(n.Load()), "no request past page 20")
}

func TestINaturalistOptions(t *testing.T) {
	var got url.Values
	srv, n := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		reply(w, 200, fixture(t, "inaturalist_empty.json"))
	})
	ep := srv.URL
	_, err := (&INaturalist{Endpoint: ep, TaxonID: 41970, QualityGrade: "any", PhotoLicense: "cc0", HTTP: fastHTTP()}).
		Search(context.Background(), Query{Text: "ignored", Page: 1, PageSize: 1000})
	require.NoError(t, err)
	assert.Equal(t, "41970", got.Get("taxon_id"))
	assert.False(t, got.Has("taxon_name"))
	assert.False(t, got.Has("quality_grade"))
	assert.Equal(t, "cc0", got.Get("photo_license"))
	assert.Equal(t, "200", got.Get("per_page"))
	assert.Equal(t, "2", got.Get("page"))

	_, err = (&INaturalist{Endpoint: ep, HTTP: fastHTTP()}).Search(context.Background(), Query{Text: "41970"})
	require.NoError(t, err)
	assert.Equal(t, "41970", got.Get("taxon_id"), "a numeric query is a taxon id")

	pg, err := (&INaturalist{Endpoint: ep, HTTP: fastHTTP()}).Search(context.Background(), Query{Text: "x", Page: 50, PageSize: 200})
	require.NoError(t, err)
	assert.False(t, pg.More)
	assert.Equal(t, 2, int(n.Load()), "no request beyond the 10,000th result")
}

func TestINaturalistVariants(t *testing.T) {
	u := "https://inaturalist-open-data.s3.amazonaws.com/photos/1/square.jpg"
	for size := range inatSizes {
		assert.Equal(t, "https://inaturalist-open-data.s3.amazonaws.com/photos/1/"+size+".jpg", inatVariant(u, size))
	}
	assert.Equal(t, "https://example.org/x.jpg", inatVariant("https://example.org/x.jpg", "large"))
	for code, want := range map[string][2]string{
		"cc-by-nc-sa": {"CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"},
		"CC0":         {"CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"},
		"pd":          {"Public domain", ""},
		"":            {"", ""},
	} {
		n, u := inatLicense(code)
		assert.Equal(t, want, [2]string{n, u}, code)
	}
	w, h := inatScaled(4000, 3000, "medium")
	assert.Equal(t, [2]int{500, 375}, [2]int{w, h})
	w, h = inatScaled(300, 200, "large")
	assert.Equal(t, [2]int{300, 200}, [2]int{w, h}, "never upscaled")
	w, h = inatScaled(300, 200, "square")
	assert.Equal(t, [2]int{75, 75}, [2]int{w, h})
}
