package search

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// kit describes one provider for the shared conformance tests.
type kit struct {
	name string
	// mk builds the provider against a test endpoint.
	mk func(endpoint string, h HTTPConfig) Provider
	// key is the secret the provider is given ("" for keyless APIs);
	// keyHeader/keyPrefix say where it must travel.
	key, keyHeader, keyPrefix string
	// path is the request path the API documents.
	path string
	// pages are the fixtures of pages 0, 1, ...; perPage their result
	// counts; pageSize the page size the paging test asks for.
	pages    []string
	perPage  []int
	pageSize int
	empty    string
	// unauth is the documented 401/403 reply and the code parsed from it.
	unauthStatus int
	unauth, code string
	// tooMany is the documented 429 body.
	tooMany string
	// pageOf extracts the zero-based page from a request.
	pageOf func(r *http.Request) int
	// check verifies request parameters.
	check func(t *testing.T, r *http.Request)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func kits() []kit {
	return []kit{
		{
			name: "bing",
			mk: func(ep string, h HTTPConfig) Provider {
				return &Bing{Key: "bing-secret-key-123456", Endpoint: ep, Market: "en-US", HTTP: h}
			},
			key: "bing-secret-key-123456", keyHeader: "Ocp-Apim-Subscription-Key",
			path:  "/v7.0/images/search",
			pages: []string{"bing_page0.json", "bing_page1.json"}, perPage: []int{2, 1}, pageSize: 2,
			empty:        "bing_empty.json",
			unauthStatus: 401, unauth: "bing_error_401.json", code: "InvalidAuthorization/AuthorizationMissing",
			tooMany: "bing_error_429.json",
			pageOf: func(r *http.Request) int {
				return atoi(r.URL.Query().Get("offset")) / max(1, atoi(r.URL.Query().Get("count")))
			},
			check: func(t *testing.T, r *http.Request) {
				assert.Equal(t, "snow leopard", r.URL.Query().Get("q"))
				assert.Equal(t, "en-US", r.URL.Query().Get("mkt"))
				assert.Equal(t, "2", r.URL.Query().Get("count"))
			},
		},
		{
			name: "brave",
			mk: func(ep string, h HTTPConfig) Provider {
				return &Brave{Key: "brave-secret-key-123456", Endpoint: ep + "/res/v1", HTTP: h}
			},
			key: "brave-secret-key-123456", keyHeader: "X-Subscription-Token",
			path:  "/res/v1/images/search",
			pages: []string{"brave_images.json"}, perPage: []int{2}, pageSize: 2,
			empty:        "brave_empty.json",
			unauthStatus: 401, unauth: "brave_error_401.json", code: "SUBSCRIPTION_TOKEN_INVALID",
			tooMany: "brave_error_429.json",
			pageOf:  func(r *http.Request) int { return 0 },
			check: func(t *testing.T, r *http.Request) {
				assert.Equal(t, "snow leopard", r.URL.Query().Get("q"))
				assert.Equal(t, "2", r.URL.Query().Get("count"))
				assert.Empty(t, r.URL.Query().Get("offset"), "the image endpoint has no offset")
			},
		},
		{
			name: "openverse",
			mk: func(ep string, h HTTPConfig) Provider {
				return &Openverse{Endpoint: ep, License: "by,cc0", HTTP: h}
			},
			path:  "/v1/images/",
			pages: []string{"openverse_page1.json", "openverse_page2.json"}, perPage: []int{2, 1}, pageSize: 2,
			empty:        "openverse_empty.json",
			unauthStatus: 401, unauth: "openverse_error_401.json", code: "",
			tooMany: "openverse_error_429.json",
			pageOf:  func(r *http.Request) int { return atoi(r.URL.Query().Get("page")) - 1 },
			check: func(t *testing.T, r *http.Request) {
				assert.Equal(t, "snow leopard", r.URL.Query().Get("q"))
				assert.Equal(t, "2", r.URL.Query().Get("page_size"))
				assert.Equal(t, "by,cc0", r.URL.Query().Get("license"))
				assert.Empty(t, r.Header.Get("Authorization"), "anonymous by default")
			},
		},
		{
			name: "wikimedia",
			mk: func(ep string, h HTTPConfig) Provider {
				return &Wikimedia{Endpoint: ep + "/w/api.php", HTTP: h}
			},
			path:  "/w/api.php",
			pages: []string{"wikimedia_page0.json", "wikimedia_page1.json"}, perPage: []int{2, 1}, pageSize: 2,
			empty:        "wikimedia_empty.json",
			unauthStatus: 403, unauth: "wikimedia_error_403.txt", code: "",
			tooMany: "wikimedia_error_403.txt",
			pageOf: func(r *http.Request) int {
				return atoi(r.URL.Query().Get("gsroffset")) / max(1, atoi(r.URL.Query().Get("gsrlimit")))
			},
			check: func(t *testing.T, r *http.Request) {
				q := r.URL.Query()
				assert.Equal(t, "query", q.Get("action"))
				assert.Equal(t, "search", q.Get("generator"))
				assert.Equal(t, "6", q.Get("gsrnamespace"))
				assert.Equal(t, "snow leopard filetype:bitmap", q.Get("gsrsearch"))
				assert.Equal(t, "imageinfo", q.Get("prop"))
				assert.Equal(t, "url|size|mime|extmetadata", q.Get("iiprop"))
				assert.Equal(t, "2", q.Get("formatversion"))
				assert.Equal(t, "5", q.Get("maxlag"))
			},
		},
		{
			name: "inaturalist",
			mk: func(ep string, h HTTPConfig) Provider {
				return &INaturalist{Endpoint: ep + "/v1", HTTP: h}
			},
			path:  "/v1/observations",
			pages: []string{"inaturalist_page1.json", "inaturalist_page2.json"}, perPage: []int{3, 1}, pageSize: 2,
			empty:        "inaturalist_empty.json",
			unauthStatus: 401, unauth: "inaturalist_error_401.json", code: "",
			tooMany: "inaturalist_error_429.json",
			pageOf:  func(r *http.Request) int { return atoi(r.URL.Query().Get("page")) - 1 },
			check: func(t *testing.T, r *http.Request) {
				q := r.URL.Query()
				assert.Equal(t, "snow leopard", q.Get("taxon_name"))
				assert.Equal(t, "true", q.Get("photos"))
				assert.Equal(t, "research", q.Get("quality_grade"))
				assert.Equal(t, DefaultINaturalistLicenses, q.Get("photo_license"))
				assert.Equal(t, "2", q.Get("per_page"))
			},
		},
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// fastHTTP is an HTTPConfig for tests: no rate limit, millisecond backoff.
func fastHTTP() HTTPConfig {
	return HTTPConfig{RateLimit: rate.Inf, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Timeout: 5 * time.Second}
}

// serve starts a server whose handler sees the request number (from 1).
func serve(t *testing.T, h func(n int, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(int(n.Add(1)), w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func reply(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

func forEachKit(t *testing.T, f func(t *testing.T, k kit)) {
	for _, k := range kits() {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			f(t, k)
		})
	}
}

func TestProvidersPaging(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, k.path, r.URL.Path)
			assert.Equal(t, http.MethodGet, r.Method)
			assert.Contains(t, r.Header.Get("User-Agent"), "labelfree")
			if k.keyHeader != "" {
				assert.Equal(t, k.keyPrefix+k.key, r.Header.Get(k.keyHeader))
			}
			k.check(t, r)
			p := k.pageOf(r)
			if p < 0 || p >= len(k.pages) {
				t.Errorf("page %d requested past the last page", p)
				reply(w, 400, []byte(`{}`))
				return
			}
			reply(w, 200, fixture(t, k.pages[p]))
		})
		p := k.mk(srv.URL, fastHTTP())
		spec := Spec{Queries: []QuerySpec{{Text: "snow leopard", Class: "snow leopard", Pages: 10, PageSize: k.pageSize}}}
		c, err := Collect(context.Background(), p, spec)
		require.NoError(t, err)
		want := 0
		for _, c := range k.perPage {
			want += c
		}
		require.Len(t, c.Results, want)
		assert.Equal(t, len(k.pages), int(n.Load()), "one request per page, none past the last")
		rep := c.Queries[0]
		assert.Equal(t, StopNoMore, rep.Stop)
		assert.Equal(t, len(k.pages), rep.Pages)
		assert.NoError(t, rep.Err)
		for i, r := range c.Results {
			assert.Equal(t, i, r.Rank)
			assert.Equal(t, k.name, r.Provider)
			assert.Equal(t, "snow leopard", r.Class)
			assert.Equal(t, "snow leopard", r.Query)
			assert.NotEmpty(t, r.ImageURL)
		}
	})
}

func TestProvidersEmpty(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) { reply(w, 200, fixture(t, k.empty)) })
		pg, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard"})
		require.NoError(t, err)
		assert.Empty(t, pg.Results)
		assert.False(t, pg.More)
	})
}

func TestProvidersUnauthorized(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			reply(w, k.unauthStatus, fixture(t, k.unauth))
		})
		_, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard"})
		require.Error(t, err)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, k.unauthStatus, ae.Status)
		assert.Equal(t, k.code, ae.Code)
		assert.NotEmpty(t, ae.Message)
		assert.Equal(t, k.name, ae.Provider)
		assert.ErrorIs(t, err, ErrUnauthorized)
		assert.False(t, ae.Retryable())
		assert.Equal(t, 1, int(n.Load()), "4xx other than 429 is not retried")
	})
}

func TestProvidersBadRequestNotRetried(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) { reply(w, 400, []byte(`{}`)) })
		_, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard"})
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, 400, ae.Status)
		assert.Equal(t, 1, int(n.Load()))
	})
}

func TestProvidersRetryAfter(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
			if i == 1 {
				w.Header().Set("Retry-After", "1")
				reply(w, 429, fixture(t, k.tooMany))
				return
			}
			reply(w, 200, fixture(t, k.pages[0]))
		})
		start := time.Now()
		pg, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard", PageSize: k.pageSize})
		require.NoError(t, err)
		assert.NotEmpty(t, pg.Results)
		assert.Equal(t, 2, int(n.Load()))
		assert.GreaterOrEqual(t, time.Since(start), 950*time.Millisecond, "Retry-After: 1 was honoured")
	})
}

func TestProvidersRateLimitedGivesUp(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) { reply(w, 429, fixture(t, k.tooMany)) })
		h := fastHTTP()
		h.MaxRetries = 2
		_, err := k.mk(srv.URL, h).Search(context.Background(), Query{Text: "snow leopard"})
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrRateLimited)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.True(t, ae.Retryable())
		assert.Equal(t, 3, int(n.Load()), "1 try + 2 retries")
	})
}

func TestProvidersRetryAfterTooLong(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			reply(w, 429, fixture(t, k.tooMany))
		})
		start := time.Now()
		_, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard"})
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.InDelta(t, time.Hour.Seconds(), ae.RetryAfter.Seconds(), 5, "HTTP-date Retry-After parsed")
		assert.Equal(t, 1, int(n.Load()), "a wait beyond MaxRetryAfter is not taken")
		assert.Less(t, time.Since(start), 2*time.Second)
	})
}

func TestProvidersServerErrorThenSuccess(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
			switch i {
			case 1:
				reply(w, 500, []byte(`{"error":"boom"}`))
			case 2:
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(503)
				w.Write([]byte("<html><body>Service Unavailable</body></html>"))
			default:
				reply(w, 200, fixture(t, k.pages[0]))
			}
		})
		pg, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard", PageSize: k.pageSize})
		require.NoError(t, err)
		assert.Len(t, pg.Results, k.perPage[0])
		assert.Equal(t, 3, int(n.Load()))
	})
}

func TestProvidersMalformedJSON(t *testing.T) {
	bodies := []string{`{"results": [`, `not json`, `{"results": 5, "value": 5, "query": 5, "photos": 5}`, `[]`}
	forEachKit(t, func(t *testing.T, k kit) {
		for _, b := range bodies {
			srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) { reply(w, 200, []byte(b)) })
			_, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard"})
			require.Error(t, err, "body %q", b)
			assert.ErrorIs(t, err, ErrMalformedResponse, "body %q", b)
			assert.Equal(t, 1, int(n.Load()), "malformed bodies are not retried")
		}
	})
}

func TestProvidersSlowResponseTimesOut(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		})
		h := fastHTTP()
		h.Timeout = 40 * time.Millisecond
		h.MaxRetries = 1
		start := time.Now()
		_, err := k.mk(srv.URL, h).Search(context.Background(), Query{Text: "snow leopard"})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 2, int(n.Load()), "a timed-out attempt is retried")
		assert.Less(t, time.Since(start), 1500*time.Millisecond)
	})
}

func TestProvidersSlowBodyTimesOut(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			w.Write([]byte(`{"results": [`))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		})
		h := fastHTTP()
		h.Timeout = 50 * time.Millisecond
		h.MaxRetries = -1
		_, err := k.mk(srv.URL, h).Search(context.Background(), Query{Text: "snow leopard"})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestProvidersCancellation(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		start := time.Now()
		_, err := k.mk(srv.URL, fastHTTP()).Search(ctx, Query{Text: "snow leopard"})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), time.Second)

		// Already cancelled: no request at all.
		_, err = k.mk(srv.URL, fastHTTP()).Search(ctx, Query{Text: "snow leopard"})
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestProvidersResponseTooLarge(t *testing.T) {
	forEachKit(t, func(t *testing.T, k kit) {
		srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) { reply(w, 200, fixture(t, k.pages[0])) })
		h := fastHTTP()
		h.MaxResponseBytes = 64
		_, err := k.mk(srv.URL, h).Search(context.Background(), Query{Text: "snow leopard"})
		assert.ErrorIs(t, err, ErrResponseTooLarge)
		assert.Equal(t, 1, int(n.Load()))
	})
}

func TestProvidersKeyNeverInErrors(t *testing.T) {
	for _, k := range kits() {
		if k.key == "" {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			// The server echoes the key back in every error body it sends.
			for _, status := range []int{401, 403, 429, 500} {
				srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
					body := strings.ReplaceAll(string(fixture(t, k.unauth)), "The provided subscription token is invalid.", "bad key "+k.key)
					body = strings.ReplaceAll(body, "Authorization is required.", "bad key "+k.key)
					body = strings.ReplaceAll(body, "SUBSCRIPTION_TOKEN_INVALID", k.key)
					w.Header().Set("Retry-After", "0")
					reply(w, status, []byte(body))
				})
				_, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard"})
				require.Error(t, err)
				assert.NotContains(t, err.Error(), k.key, "status %d", status)
				assert.Contains(t, err.Error(), "[REDACTED]", "status %d: the echo was redacted, not lost", status)
				assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), k.key)
			}
			// A key inside a compatible endpoint's URL (userinfo) and a
			// network failure.
			p := k.mk("http://user:"+k.key+"@127.0.0.1:1", fastHTTP())
			_, err := p.Search(context.Background(), Query{Text: "snow leopard"})
			require.Error(t, err)
			assert.NotContains(t, err.Error(), k.key)
		})
	}
}

func TestKeysFromEnvironment(t *testing.T) {
	cases := []struct {
		env, header string
		mk          func(ep string) Provider
	}{
		{BingKeyEnv, "Ocp-Apim-Subscription-Key", func(ep string) Provider { return &Bing{Endpoint: ep, HTTP: fastHTTP()} }},
		{BraveKeyEnv, "X-Subscription-Token", func(ep string) Provider { return &Brave{Endpoint: ep, HTTP: fastHTTP()} }},
	}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			t.Setenv(c.env, "")
			_, err := c.mk("http://127.0.0.1:1").Search(context.Background(), Query{Text: "x"})
			assert.ErrorIs(t, err, ErrNoKey)

			var got string
			srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				got = r.Header.Get(c.header)
				reply(w, 200, []byte(`{}`))
			})
			p := c.mk(srv.URL)
			_, err = p.Search(context.Background(), Query{Text: "x"})
			assert.ErrorIs(t, err, ErrNoKey)
			t.Setenv(c.env, "env-key-0001")
			_, err = p.Search(context.Background(), Query{Text: "x"})
			require.NoError(t, err, "a key set after a failed call is picked up")
			assert.Equal(t, "env-key-0001", got)
		})
	}
}

func TestProvidersRejectBadQueries(t *testing.T) {
	for _, k := range kits() {
		p := k.mk("http://127.0.0.1:1", fastHTTP())
		for _, q := range []Query{{Text: ""}, {Text: "  "}, {Text: "x", Page: -1}, {Text: "x", PageSize: -3}} {
			_, err := p.Search(context.Background(), q)
			var pe interface{ Error() string }
			require.Error(t, err, "%s %+v", k.name, q)
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, err.Error(), "Query.", "%s %+v", k.name, q)
		}
	}
}

func TestRateLimitSpacesRequests(t *testing.T) {
	srv, n := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		reply(w, 200, fixture(t, "openverse_empty.json"))
	})
	h := fastHTTP()
	h.RateLimit = 20 // one request per 50ms
	p := &Openverse{Endpoint: srv.URL, HTTP: h}
	start := time.Now()
	qs := make([]QuerySpec, 6)
	for i := range qs {
		qs[i] = QuerySpec{Text: fmt.Sprint("q", i)}
	}
	_, err := Collect(context.Background(), p, Spec{Queries: qs, Concurrency: 6})
	require.NoError(t, err)
	assert.Equal(t, 6, int(n.Load()))
	// Burst 1: the 6th request waits for 5 intervals of 50ms.
	assert.GreaterOrEqual(t, time.Since(start), 240*time.Millisecond)
}

func TestRetryAfterPausesTheWholeProvider(t *testing.T) {
	var first atomic.Bool
	srv, _ := serve(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("q") == "a" && first.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			reply(w, 429, fixture(t, "openverse_error_429.json"))
			return
		}
		reply(w, 200, fixture(t, "openverse_empty.json"))
	})
	p := &Openverse{Endpoint: srv.URL, HTTP: fastHTTP()}
	_, err := p.Search(context.Background(), Query{Text: "b"}) // warm up
	require.NoError(t, err)
	done := make(chan time.Duration, 1)
	aDone := make(chan error, 1)
	go func() {
		_, err := p.Search(context.Background(), Query{Text: "a"})
		aDone <- err
	}()
	time.Sleep(100 * time.Millisecond) // let "a" receive its 429
	start := time.Now()
	go func() {
		_, err := p.Search(context.Background(), Query{Text: "c"})
		assert.NoError(t, err)
		done <- time.Since(start)
	}()
	assert.GreaterOrEqual(t, <-done, 700*time.Millisecond, "another query waited out the Retry-After too")
	assert.NoError(t, <-aDone)
}

func TestKeysNotForwardedOnCrossHostRedirect(t *testing.T) {
	for _, k := range kits() {
		if k.key == "" {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			other, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				for name, vals := range r.Header {
					for _, v := range vals {
						assert.NotContains(t, v, k.key, "header %s leaked to another host", name)
					}
				}
				reply(w, 200, fixture(t, k.empty))
			})
			// 127.0.0.1 and localhost are different hosts to the client.
			target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
			srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, k.keyPrefix+k.key, r.Header.Get(k.keyHeader), "the key goes to the endpoint")
				http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusFound)
			})
			_, err := k.mk(srv.URL, fastHTTP()).Search(context.Background(), Query{Text: "snow leopard"})
			require.NoError(t, err)
		})
	}
}

func TestCollectOverRealClientRecordsAPIErrors(t *testing.T) {
	srv, _ := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("q") {
		case "forbidden":
			reply(w, 401, fixture(t, "openverse_error_401.json"))
		case "flaky":
			reply(w, 503, []byte(`{"detail":"down"}`))
		default:
			reply(w, 200, fixture(t, "openverse_page2.json"))
		}
	})
	h := fastHTTP()
	h.MaxRetries = 1
	ov := &Openverse{Endpoint: srv.URL, HTTP: h}
	c, err := Collect(context.Background(), ov, Spec{Queries: []QuerySpec{
		Positive("snow leopard", 3), {Text: "forbidden", Class: NegativeClass}, {Text: "flaky", Class: NegativeClass},
	}})
	require.NoError(t, err)
	assert.Equal(t, 2, c.Failed)
	assert.Len(t, c.Results, 1)
	assert.ErrorIs(t, c.Queries[1].Err, ErrUnauthorized)
	var ae *APIError
	require.ErrorAs(t, c.Queries[2].Err, &ae)
	assert.Equal(t, 503, ae.Status)
	assert.Equal(t, "down", ae.Message)
}
