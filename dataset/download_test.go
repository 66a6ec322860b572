package dataset

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/search"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pngBomb is a valid PNG header declaring a huge image, with a tiny body.
func pngBomb(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(b, chunk...)
}

func TestDownloaderCases(t *testing.T) {
	jpg := testJPEG(t, 64, 48, 1)
	pngb := testPNG(t, 32, 32, 2)
	var flaky atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.jpg", func(w http.ResponseWriter, r *http.Request) { w.Write(jpg) })
	mux.HandleFunc("/lying.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain") // sniffing, not headers, decides
		w.Write(pngb)
	})
	mux.HandleFunc("/html.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write([]byte("<!doctype html><html><body>not an image</body></html>"))
	})
	mux.HandleFunc("/missing.jpg", http.NotFound)
	mux.HandleFunc("/forbidden.jpg", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	mux.HandleFunc("/flaky.jpg", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write(jpg)
	})
	mux.HandleFunc("/big.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Write(jpg)
		w.Write(make([]byte, 5000))
	})
	mux.HandleFunc("/chunked.jpg", func(w http.ResponseWriter, r *http.Request) {
		for range 10 {
			w.Write(make([]byte, 1000))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/bomb.png", func(w http.ResponseWriter, r *http.Request) { w.Write(pngBomb(100000, 100000)) })
	mux.HandleFunc("/slow.jpg", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/redirect.jpg", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok.jpg", http.StatusFound) })
	mux.HandleFunc("/loop.jpg", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop.jpg", http.StatusFound) })
	mux.HandleFunc("/file-redirect.jpg", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		path    string
		wantErr error  // nil means success
		errText string // alternatively, a substring
	}{
		{path: "/ok.jpg"},
		{path: "/lying.txt"},
		{path: "/flaky.jpg"},
		{path: "/redirect.jpg"},
		{path: "/html.jpg", wantErr: ErrNotImage},
		{path: "/missing.jpg", errText: "HTTP 404"},
		{path: "/forbidden.jpg", errText: "HTTP 403"},
		{path: "/big.jpg", wantErr: ErrTooLarge},
		{path: "/chunked.jpg", wantErr: ErrTooLarge},
		{path: "/bomb.png", wantErr: ErrTooManyPixels},
		{path: "/slow.jpg", wantErr: context.DeadlineExceeded},
		{path: "/loop.jpg", errText: "redirects"},
		{path: "/file-redirect.jpg", errText: "redirect to file URL refused"},
	}
	var urls []string
	for _, tt := range tests {
		urls = append(urls, srv.URL+tt.path)
	}
	ds := rowsFor(urls...)
	d := &Downloader{Guard: Guard{AllowLoopback: true}, MaxBytes: int64(len(jpg)) + 100, Timeout: 300 * time.Millisecond, RetryWait: time.Millisecond, MaxPixels: 1 << 20}
	ds = run(t, d, ds)
	require.Len(t, ds.Rows, len(tests), "no row is dropped")
	for i, tt := range tests {
		r := ds.Rows[i]
		t.Run(tt.path, func(t *testing.T) {
			if tt.wantErr == nil && tt.errText == "" {
				require.Nil(t, r.Err)
				b, _ := labelfree.Get(r, labelfree.ImageBytes)
				f, _ := labelfree.Get(r, Format)
				_, err := Sniff(b)
				require.NoError(t, err)
				assert.Contains(t, []string{"jpeg", "png"}, f)
				h, ok := labelfree.Get(r, ContentHash)
				assert.True(t, ok)
				assert.Len(t, h, 64)
				return
			}
			require.NotNil(t, r.Err)
			assert.Equal(t, DownloaderStage, r.Err.Stage)
			if tt.wantErr != nil {
				assert.ErrorIs(t, r.Err, tt.wantErr)
			} else {
				assert.ErrorContains(t, r.Err, tt.errText)
			}
		})
	}
	assert.EqualValues(t, 3, flaky.Load(), "503 retried until it succeeded")
}

func TestDownloaderGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(testJPEG(t, 8, 8, 0))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	urls := []string{
		srv.URL + "/a.jpg",                             // 127.0.0.1
		"http://localhost:" + port + "/b.jpg",          // a name resolving to loopback
		"http://[::ffff:127.0.0.1]:" + port + "/c.jpg", // IPv4-mapped loopback
		"http://169.254.169.254/latest/meta-data/",     // cloud metadata
		"http://10.0.0.1:" + port + "/d.jpg",           // private
		"ftp://example.com/e.jpg",                      // not http
	}
	ds := run(t, &Downloader{Timeout: time.Second, Retries: -1}, rowsFor(urls...))
	for i, r := range ds.Rows {
		require.NotNil(t, r.Err, urls[i])
		if i < 5 {
			assert.ErrorIs(t, r.Err, ErrBlockedAddress, urls[i])
		} else {
			assert.ErrorIs(t, r.Err, ErrBadURL, urls[i])
		}
	}
	// Opting in to loopback lets the test server through.
	ds = run(t, &Downloader{Guard: Guard{AllowLoopback: true}}, rowsFor(srv.URL+"/a.jpg"))
	require.Nil(t, ds.Rows[0].Err)
}

func TestDownloaderRedirectToBlockedAddress(t *testing.T) {
	// A public-looking redirect to the metadata service is re-checked.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer srv.Close()
	ds := run(t, &Downloader{Guard: Guard{AllowLoopback: true}, Retries: -1, Timeout: time.Second}, rowsFor(srv.URL+"/x.jpg"))
	require.NotNil(t, ds.Rows[0].Err)
	assert.ErrorIs(t, ds.Rows[0].Err, ErrBlockedAddress)
}

func TestDownloaderConcurrencyLimits(t *testing.T) {
	jpg := testJPEG(t, 8, 8, 0)
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		w.Write(jpg)
	}))
	defer srv.Close()
	var urls []string
	for i := range 40 {
		urls = append(urls, srv.URL+"/"+strings.Repeat("x", i+1)+".jpg")
	}
	ds := run(t, &Downloader{Guard: Guard{AllowLoopback: true}, Concurrency: 16, PerHost: 3}, rowsFor(urls...))
	assert.Empty(t, ds.Failed())
	assert.LessOrEqual(t, peak.Load(), int32(3), "per-host limit")
	assert.GreaterOrEqual(t, peak.Load(), int32(2), "downloads run concurrently")
}

// TestDownloaderResume interrupts a download run and resumes it from the
// executor's checkpoint and from the file cache: finished rows are not
// fetched again.
func TestDownloaderResume(t *testing.T) {
	srv, err := synth.NewServer(synth.ServerConfig{PositiveResults: 60})
	require.NoError(t, err)
	defer srv.Close()
	page, err := srv.Provider().Search(context.Background(), search.Query{Text: "snow leopard", PageSize: 60})
	require.NoError(t, err)
	stitch := func() *labelfree.Dataset {
		ds, _, err := Stitch([]string{"snow leopard"}, [][]search.Result{page.Results}, nil)
		require.NoError(t, err)
		return ds
	}
	dir := t.TempDir()
	ckpt, err := labelfree.OpenCheckpoint(filepath.Join(dir, "ckpt"))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	ex := labelfree.Executor{Workers: 1, PartitionSize: 8, Checkpoint: ckpt, Progress: labelfree.ProgressFunc(func(stage string, done, total int) {
		if done >= 16 {
			once.Do(cancel)
		}
	})}
	d := &Downloader{Guard: Guard{AllowLoopback: true}, Concurrency: 4}
	_, err = ex.Transform(ctx, d, stitch())
	require.ErrorIs(t, err, context.Canceled)
	first := srv.ImageRequests()
	require.Less(t, first, int64(60))
	require.NoError(t, ckpt.Close())

	ckpt, err = labelfree.OpenCheckpoint(filepath.Join(dir, "ckpt"))
	require.NoError(t, err)
	defer ckpt.Close()
	ex = labelfree.Executor{Checkpoint: ckpt}
	ds, err := ex.Transform(context.Background(), &Downloader{Guard: Guard{AllowLoopback: true}}, stitch())
	require.NoError(t, err)
	assert.Empty(t, ds.Failed())
	for _, r := range ds.Rows {
		_, ok := labelfree.Get(r, labelfree.ImageBytes)
		require.True(t, ok)
	}
	assert.EqualValues(t, 60, srv.ImageRequests(), "every image fetched exactly once over both runs (first run: %d)", first)

	// The file cache: a second run with the same CacheDir fetches nothing.
	cache := filepath.Join(dir, "cache")
	before := srv.ImageRequests()
	ds1 := run(t, &Downloader{Guard: Guard{AllowLoopback: true}, CacheDir: cache}, stitch())
	mid := srv.ImageRequests()
	assert.EqualValues(t, 60, mid-before)
	ds2 := run(t, &Downloader{Guard: Guard{AllowLoopback: true}, CacheDir: cache}, stitch())
	assert.Equal(t, mid, srv.ImageRequests(), "cached images are not fetched again")
	for i := range ds1.Rows {
		a, _ := labelfree.Get(ds1.Rows[i], ContentHash)
		b, _ := labelfree.Get(ds2.Rows[i], ContentHash)
		assert.Equal(t, a, b)
	}
	// A damaged cache file is fetched again.
	entries, _ := filepath.Glob(filepath.Join(cache, "*", "*"))
	require.NotEmpty(t, entries)
	require.NoError(t, os.WriteFile(entries[0], []byte("junk"), 0o644))
	run(t, &Downloader{Guard: Guard{AllowLoopback: true}, CacheDir: cache}, stitch())
	assert.Equal(t, mid+1, srv.ImageRequests())
}

func TestDownloaderStripsGPS(t *testing.T) {
	jpg := testJPEG(t, 16, 16, 3)
	exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08GPSLatitude-43.123456")
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(exif)+2))
	planted := append(append(append([]byte{0xFF, 0xD8}, seg...), exif...), jpg[2:]...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(planted) }))
	defer srv.Close()
	dir := t.TempDir()
	ds := run(t, &Downloader{Guard: Guard{AllowLoopback: true}, CacheDir: dir}, rowsFor(srv.URL+"/gps.jpg"))
	require.Nil(t, ds.Rows[0].Err)
	b, _ := labelfree.Get(ds.Rows[0], labelfree.ImageBytes)
	assert.Equal(t, jpg, b)
	assert.NotContains(t, string(b), "GPSLatitude")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	require.Len(t, files, 1)
	cached, _ := os.ReadFile(files[0])
	assert.NotContains(t, string(cached), "GPSLatitude")

	ds = run(t, &Downloader{Guard: Guard{AllowLoopback: true}, KeepMetadata: true}, rowsFor(srv.URL+"/gps.jpg"))
	b, _ = labelfree.Get(ds.Rows[0], labelfree.ImageBytes)
	assert.Equal(t, planted, b, "opt-in keeps metadata")
}

func TestDownloaderValidate(t *testing.T) {
	for _, tt := range []struct {
		d     *Downloader
		field string
	}{
		{&Downloader{Concurrency: -1}, "Concurrency"},
		{&Downloader{PerHost: -1}, "PerHost"},
		{&Downloader{Timeout: -1}, "Timeout"},
		{&Downloader{MaxBytes: -1}, "MaxBytes"},
		{&Downloader{MaxPixels: -1}, "MaxPixels"},
	} {
		_, err := (&labelfree.Executor{}).Transform(context.Background(), tt.d, rowsFor("http://example.com/a.jpg"))
		var pe *labelfree.ParamError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, tt.field, pe.Field)
	}
}

func TestRetryAfter(t *testing.T) {
	assert.Equal(t, time.Duration(0), retryAfter(""))
	assert.Equal(t, 3*time.Second, retryAfter("3"))
	assert.Equal(t, time.Duration(0), retryAfter("-1"))
	assert.Equal(t, time.Duration(0), retryAfter("soon"))
	d := retryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	assert.InDelta(t, time.Hour.Seconds(), d.Seconds(), 5)
	assert.Equal(t, time.Duration(0), retryAfter(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)))
}

func TestDownloaderHonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	var first time.Time
	var gap time.Duration
	jpg := testJPEG(t, 8, 8, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		gap = time.Since(first)
		w.Write(jpg)
	}))
	defer srv.Close()
	ds := run(t, &Downloader{Guard: Guard{AllowLoopback: true}, RetryWait: time.Millisecond}, rowsFor(srv.URL+"/a.jpg"))
	require.Nil(t, ds.Rows[0].Err)
	assert.GreaterOrEqual(t, gap, 900*time.Millisecond, "waited as told, not RetryWait")
}
