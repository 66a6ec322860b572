package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
	"github.com/labelfree/labelfree/search"
)

// A Fetcher fetches an image for a JSON request that gives a "url". The
// server checks the URL's syntax (http or https, a host) first and bounds
// what it reads from the returned body by MaxBodyBytes. Implementations
// must refuse addresses a public request has no business reaching
// (loopback, private and link-local networks, cloud metadata endpoints):
// build them on the dataset package's SSRF guard, as DownloadFetcher is. A
// Server with no Fetcher refuses URL input with 501.
type Fetcher interface {
	Fetch(ctx context.Context, url string) (io.ReadCloser, error)
}

// FetcherFunc adapts a function to the Fetcher interface.
type FetcherFunc func(ctx context.Context, url string) (io.ReadCloser, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, url string) (io.ReadCloser, error) {
	return f(ctx, url)
}

// ErrURLRefused may be wrapped by a Fetcher's error for a URL it will not
// fetch on policy grounds (an SSRF guard's refusal); the reply is then 403
// url_refused rather than 502 fetch_failed.
var ErrURLRefused = errors.New("url refused")

// fetch runs the fetcher with the request's deadline and the body limit.
func (s *Server) fetch(ctx context.Context, url string) ([]byte, *apiError) {
	if s.Fetcher == nil {
		return nil, &apiError{Status: http.StatusNotImplemented, Code: "url_input_disabled",
			Message: "this server does not fetch URLs: send the image itself (raw bytes, multipart or base64 JSON)"}
	}
	body, err := s.Fetcher.Fetch(ctx, url)
	if err != nil {
		return nil, fetchError(ctx, err)
	}
	defer body.Close()
	limit := or(s.MaxBodyBytes, DefaultMaxBodyBytes)
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fetchError(ctx, err)
	}
	if int64(len(data)) > limit {
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
			Message: fmt.Sprintf("the fetched image is larger than the %d bytes allowed", limit)}
	}
	if len(data) == 0 {
		return nil, &apiError{Status: http.StatusBadGateway, Code: "fetch_failed", Message: "the fetched image is empty"}
	}
	return data, nil
}

func fetchError(ctx context.Context, err error) *apiError {
	switch {
	case errors.Is(err, ErrURLRefused):
		return &apiError{Status: http.StatusForbidden, Code: "url_refused", Message: err.Error(), Err: err}
	case ctx.Err() != nil:
		return deadlineError(ctx, err)
	case errors.Is(err, dataset.ErrTooLarge):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large", Message: "the fetched image is too large: " + err.Error(), Err: err}
	case errors.Is(err, dataset.ErrTooManyPixels):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "image_too_large", Message: "the fetched image has too many pixels: " + err.Error(), Err: err}
	case errors.Is(err, dataset.ErrNotImage):
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_image_format", Message: "the url does not hold a JPEG, PNG, GIF or WebP image", Err: err}
	default:
		return &apiError{Status: http.StatusBadGateway, Code: "fetch_failed", Message: "fetching the url failed: " + err.Error(), Err: err}
	}
}

// A DownloadFetcher fetches URLs with a dataset.Downloader, so URL input
// gets the dataset package's SSRF guard (checked on the resolved address of
// every connection, redirects included), its timeouts, retries, byte and
// pixel limits, and its removal of EXIF/XMP/IPTC metadata. Its zero value
// uses a zero Downloader (public addresses only) whose byte limit is
// lowered to the Server's MaxBodyBytes, so a fetch stops reading there
// rather than at the Downloader's default.
//
//	srv := &serve.Server{Model: model, Fetcher: &serve.DownloadFetcher{}}
//
// A DownloadFetcher must not be copied after first use.
type DownloadFetcher struct {
	// Downloader does the fetching; nil means a zero dataset.Downloader
	// with MaxBytes at most the smallest MaxBodyBytes of the Servers using
	// the fetcher. A Downloader's own MaxBytes and MaxPixels apply on top
	// of the Server's limits.
	Downloader *dataset.Downloader

	once     sync.Once
	d        *dataset.Downloader
	mu       sync.Mutex
	maxBytes int64 // the smallest body limit of the Servers using f; 0: none yet
}

// limitBytes is called by each Server using f before it serves: a default
// Downloader reads at most n bytes.
func (f *DownloadFetcher) limitBytes(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.maxBytes == 0 || n < f.maxBytes {
		f.maxBytes = n
	}
}

// Fetch downloads the image at url. A refusal by the guard wraps
// ErrURLRefused.
func (f *DownloadFetcher) Fetch(ctx context.Context, url string) (io.ReadCloser, error) {
	f.once.Do(func() {
		f.d = f.Downloader
		if f.d == nil {
			f.mu.Lock()
			n := f.maxBytes
			f.mu.Unlock()
			f.d = &dataset.Downloader{}
			if n > 0 && n < dataset.DefaultMaxBytes {
				f.d.MaxBytes = n
			}
		}
	})
	row := labelfree.NewRow("fetch")
	labelfree.Set(row, dataset.Source, search.Result{ImageURL: url})
	if err := f.d.Transform(ctx, row); err != nil {
		if errors.Is(err, dataset.ErrBlockedAddress) {
			return nil, fmt.Errorf("%w: %w", ErrURLRefused, err)
		}
		return nil, err
	}
	b, err := labelfree.MustGet(row, labelfree.ImageBytes)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}
