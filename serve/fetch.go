package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// A Fetcher fetches an image for a JSON request that gives a "url". The
// server checks the URL's syntax (http or https, a host) first and bounds
// what it reads from the returned body by MaxBodyBytes. Implementations
// must refuse addresses a public request has no business reaching
// (loopback, private and link-local networks, cloud metadata endpoints):
// build them on the dataset package's SSRF-guarded HTTP client. A Server
// with no Fetcher refuses URL input with 501.
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
	default:
		return &apiError{Status: http.StatusBadGateway, Code: "fetch_failed", Message: "fetching the url failed: " + err.Error(), Err: err}
	}
}
