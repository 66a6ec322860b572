package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/internal/imagemeta"
)

// DownloaderStage is the Downloader's stage name.
const DownloaderStage = "dataset.Downloader"

// Downloader defaults.
const (
	DefaultConcurrency = 16
	DefaultPerHost     = 4
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBytes    = 20 << 20
	DefaultRetries     = 2
	DefaultUserAgent   = "labelfree-dataset/1.0 (+https://github.com/labelfree/labelfree)"
)

// An HTTPError is a download answered with a status other than 200.
type HTTPError struct {
	StatusCode int
	Status     string
}

// Error returns "HTTP " and the status line.
func (e *HTTPError) Error() string { return "HTTP " + e.Status }

// A Downloader fetches each row's Source.ImageURL into ImageBytes, and
// records the sniffed Format, the Size from the image header and the
// ContentHash of the stored bytes. It is a BatchTransformer: the executor
// hands it batches of rows, which it downloads concurrently. This keeps
// the number of connections independent of the executor's Workers (sized
// for CPU work), while the executor's Checkpoint still records each
// finished row, so an interrupted run resumes without fetching finished
// rows again. CacheDir gives the same across runs without a checkpoint.
//
// A row fails, with the reason in Row.Err, when its URL is unusable or
// refused by Guard, the server answers with an error status (after
// Retries retries of 429 and 5xx answers and network errors, honouring
// Retry-After), the body exceeds MaxBytes, the bytes are not a JPEG, PNG,
// GIF or WebP image whatever the Content-Type says, or the header declares
// more than MaxPixels pixels.
//
// Image metadata (EXIF, XMP, IPTC: GPS positions) is removed from the
// stored bytes without re-encoding unless KeepMetadata is set.
//
// A Downloader must not be copied after first use. Its zero value is ready
// to use and refuses non-public addresses.
type Downloader struct {
	// Concurrency bounds the downloads in flight; 0 means 16.
	Concurrency int
	// PerHost bounds the downloads in flight to one host; 0 means 4.
	PerHost int
	// Timeout bounds each attempt, from dialling to the last body byte;
	// 0 means 30 s.
	Timeout time.Duration
	// MaxBytes bounds an image's size in bytes; 0 means 20 MiB.
	MaxBytes int64
	// MaxPixels bounds width×height; 0 means DefaultMaxPixels.
	MaxPixels int
	// Retries is how often a 429, a 5xx or a network error is retried;
	// 0 means 2, negative means never.
	Retries int
	// RetryWait is the first retry's wait, doubled for each later one
	// and jittered; 0 means 500 ms. A Retry-After header overrides it, up
	// to Timeout.
	RetryWait time.Duration
	// MaxRedirects bounds the redirects followed; 0 means 5.
	MaxRedirects int
	// UserAgent is sent with every request; "" means DefaultUserAgent.
	UserAgent string
	// Guard decides which addresses may be connected to; its zero value
	// permits public addresses only.
	Guard Guard
	// CacheDir, if set, keeps every downloaded image in a file named by
	// the hash of its normalised URL and reuses it on later runs.
	CacheDir string
	// KeepMetadata stores images with their EXIF/XMP/IPTC metadata.
	KeepMetadata bool

	once   sync.Once
	client *http.Client
	sem    chan struct{}
	mu     sync.Mutex
	hosts  map[string]chan struct{}
}

// Info describes the stage.
func (d *Downloader) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   DownloaderStage,
		Reads:  []labelfree.ColumnRef{Source.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.ImageBytes.Ref(), Format.Ref(), Size.Ref(), ContentHash.Ref()},
	}
}

// Validate checks the parameters.
func (d *Downloader) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: DownloaderStage, Field: field, Reason: reason}
	}
	switch {
	case d.Concurrency < 0:
		return bad("Concurrency", "must not be negative")
	case d.PerHost < 0:
		return bad("PerHost", "must not be negative")
	case d.Timeout < 0:
		return bad("Timeout", "must not be negative")
	case d.MaxBytes < 0:
		return bad("MaxBytes", "must not be negative")
	case d.MaxPixels < 0:
		return bad("MaxPixels", "must not be negative")
	case d.RetryWait < 0:
		return bad("RetryWait", "must not be negative")
	case d.MaxRedirects < 0:
		return bad("MaxRedirects", "must not be negative")
	}
	for i, p := range d.Guard.Allow {
		if !p.IsValid() {
			return bad("Guard.Allow", fmt.Sprintf("prefix %d is invalid", i))
		}
	}
	return nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// BatchSize returns the rows handed over at a time: enough to keep
// Concurrency downloads in flight.
func (d *Downloader) BatchSize() int { return 4 * orDefault(d.Concurrency, DefaultConcurrency) }

func (d *Downloader) init() {
	d.once.Do(func() {
		timeout := orDefault(d.Timeout, DefaultTimeout)
		dialer := &net.Dialer{Timeout: min(timeout, 10*time.Second), Control: d.Guard.Control}
		maxRedirects := orDefault(d.MaxRedirects, 5)
		d.client = &http.Client{
			Transport: &http.Transport{
				// No proxy: the guard must see the real destination.
				Proxy:                 nil,
				DialContext:           dialer.DialContext,
				ForceAttemptHTTP2:     true,
				MaxIdleConns:          orDefault(d.Concurrency, DefaultConcurrency),
				MaxIdleConnsPerHost:   orDefault(d.PerHost, DefaultPerHost),
				IdleConnTimeout:       30 * time.Second,
				TLSHandshakeTimeout:   min(timeout, 10*time.Second),
				ResponseHeaderTimeout: timeout,
			},
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("stopped after %d redirects", maxRedirects)
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to %s URL refused", req.URL.Scheme)
				}
				return nil
			},
		}
		d.sem = make(chan struct{}, orDefault(d.Concurrency, DefaultConcurrency))
		d.hosts = map[string]chan struct{}{}
	})
}

func (d *Downloader) hostSem(host string) chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.hosts[host]
	if !ok {
		s = make(chan struct{}, orDefault(d.PerHost, DefaultPerHost))
		d.hosts[host] = s
	}
	return s
}

func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Transform downloads one row.
func (d *Downloader) Transform(ctx context.Context, r *labelfree.Row) error {
	if err := d.Validate(); err != nil {
		return err
	}
	d.init()
	return d.fetchRow(ctx, r)
}

// TransformBatch downloads the rows concurrently. Rows that fail record
// their error; a cancelled context returns its error and leaves the rows
// not yet finished untouched.
func (d *Downloader) TransformBatch(ctx context.Context, rows []*labelfree.Row) error {
	if err := d.Validate(); err != nil {
		return err
	}
	d.init()
	var wg sync.WaitGroup
	for _, r := range rows {
		if r.Err != nil {
			continue
		}
		if err := acquire(ctx, d.sem); err != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-d.sem }()
			if err := d.fetchRow(ctx, r); err != nil && ctx.Err() == nil {
				r.Fail(DownloaderStage, err)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

func (d *Downloader) fetchRow(ctx context.Context, r *labelfree.Row) error {
	src, err := labelfree.MustGet(r, Source)
	if err != nil {
		return err
	}
	norm, err := NormalizeURL(src.ImageURL)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	key := sha256.Sum256([]byte(norm))
	cachePath := ""
	if d.CacheDir != "" {
		h := hex.EncodeToString(key[:])
		cachePath = filepath.Join(d.CacheDir, h[:2], h)
		if b, err := os.ReadFile(cachePath); err == nil {
			if format, size, err := d.check(b); err == nil {
				d.store(r, b, format, size)
				return nil
			}
		}
	}
	u, err := url.Parse(norm)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	hs := d.hostSem(u.Host)
	if err := acquire(ctx, hs); err != nil {
		return err
	}
	b, err := d.fetch(ctx, src.ImageURL)
	<-hs
	if err != nil {
		return err
	}
	format, size, err := d.check(b)
	if err != nil {
		return err
	}
	if !d.KeepMetadata {
		if b, err = imagemeta.Strip(b); err != nil {
			return fmt.Errorf("%w: %v", ErrNotImage, err)
		}
	}
	if cachePath != "" {
		if err := writeFileAtomic(cachePath, b); err != nil {
			return fmt.Errorf("cache: %w", err)
		}
	}
	d.store(r, b, format, size)
	return nil
}

func (d *Downloader) check(b []byte) (string, [2]int, error) {
	cfg, format, err := DecodeConfig(b, d.MaxPixels)
	if err != nil {
		return "", [2]int{}, err
	}
	return format, [2]int{cfg.Width, cfg.Height}, nil
}

func (d *Downloader) store(r *labelfree.Row, b []byte, format string, size [2]int) {
	sum := sha256.Sum256(b)
	labelfree.Set(r, labelfree.ImageBytes, b)
	labelfree.Set(r, Format, format)
	labelfree.Set(r, Size, pt(size))
	labelfree.Set(r, ContentHash, hex.EncodeToString(sum[:]))
}

// fetch GETs the URL with retries.
func (d *Downloader) fetch(ctx context.Context, rawURL string) ([]byte, error) {
	retries := d.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	wait := orDefault(d.RetryWait, 500*time.Millisecond)
	timeout := orDefault(d.Timeout, DefaultTimeout)
	for attempt := 0; ; attempt++ {
		b, retryAfter, err := d.get(ctx, rawURL)
		if err == nil || attempt >= retries || !retryable(err) || ctx.Err() != nil {
			return b, err
		}
		sleep := time.Duration(float64(wait<<attempt) * (0.5 + rand.Float64()))
		if retryAfter > 0 {
			sleep = retryAfter
		}
		sleep = min(sleep, timeout)
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func retryable(err error) bool {
	var he *HTTPError
	switch {
	case errors.As(err, &he):
		return he.StatusCode == http.StatusTooManyRequests || he.StatusCode >= 500
	case errors.Is(err, ErrBlockedAddress), errors.Is(err, ErrTooLarge), errors.Is(err, ErrBadURL):
		return false
	}
	return true // network errors and timeouts
}

// get makes one attempt. It returns the Retry-After delay of 429 and 503
// answers.
func (d *Downloader) get(ctx context.Context, rawURL string) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, orDefault(d.Timeout, DefaultTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	ua := d.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "image/jpeg, image/png, image/webp, image/gif;q=0.8, */*;q=0.1")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) //nolint:errcheck // draining for reuse only
		return nil, retryAfter(resp.Header.Get("Retry-After")), &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status}
	}
	limit := orDefault(d.MaxBytes, DefaultMaxBytes)
	if resp.ContentLength > limit {
		return nil, 0, fmt.Errorf("%w: Content-Length %d > %d", ErrTooLarge, resp.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(b)) > limit {
		return nil, 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return b, 0, nil
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
