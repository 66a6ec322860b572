package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/labelfree/labelfree"
)

// DefaultUserAgent identifies labelfree to the APIs it calls. Wikimedia's
// User-Agent policy asks for a descriptive agent with contact information:
// set HTTPConfig.UserAgent to your own ("mytool/1.0 (https://example.org;
// me@example.org) labelfree") when you run at any scale.
const DefaultUserAgent = "labelfree-search/0.1 (+https://github.com/labelfree/labelfree)"

// HTTPConfig holds the politeness and robustness settings shared by every
// web provider. The zero value is a sensible default; each provider fills
// in its API's documented rate limit when RateLimit is 0.
type HTTPConfig struct {
	// Client sends the requests; nil means a client of its own with no
	// overall timeout (Timeout bounds each attempt).
	Client *http.Client
	// UserAgent is sent with every request; "" means DefaultUserAgent.
	UserAgent string
	// RateLimit is the most requests per second this provider value sends,
	// shared by all its concurrent queries. 0 means the provider's default
	// (its API's documented or polite limit); rate.Inf disables limiting.
	RateLimit rate.Limit
	// Burst is the rate limiter's bucket size; 0 means 1.
	Burst int
	// MaxRetries is how many times a transient failure (429, 5xx, network
	// error, timeout) is retried; 0 means 4, negative means never.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// retries (jittered); 0 means 500ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After wait that is honoured by
	// waiting; a server asking for longer ends the retries with its
	// *APIError. 0 means 5 minutes.
	MaxRetryAfter time.Duration
	// Timeout bounds each attempt (connect, headers and body); 0 means 30s.
	Timeout time.Duration
	// MaxResponseBytes caps a response body; 0 means 16 MiB.
	MaxResponseBytes int64
}

// validate reports the first bad field, naming it for the given provider.
func (c HTTPConfig) validate(stage string) error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: stage, Field: "HTTP." + field, Reason: reason}
	}
	switch {
	case c.RateLimit < 0:
		return bad("RateLimit", "must not be negative")
	case c.Burst < 0:
		return bad("Burst", "must not be negative")
	case c.MinBackoff < 0:
		return bad("MinBackoff", "must not be negative")
	case c.MaxBackoff < 0:
		return bad("MaxBackoff", "must not be negative")
	case c.MaxBackoff > 0 && c.MinBackoff > c.MaxBackoff:
		return bad("MinBackoff", "must not exceed MaxBackoff")
	case c.MaxRetryAfter < 0:
		return bad("MaxRetryAfter", "must not be negative")
	case c.Timeout < 0:
		return bad("Timeout", "must not be negative")
	case c.MaxResponseBytes < 0:
		return bad("MaxResponseBytes", "must not be negative")
	}
	return nil
}

// withDefaults fills zero fields.
func (c HTTPConfig) withDefaults(defRate rate.Limit) HTTPConfig {
	if c.Client == nil {
		c.Client = &http.Client{}
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.RateLimit == 0 {
		c.RateLimit = defRate
	}
	if c.Burst == 0 {
		c.Burst = 1
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 4
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.MinBackoff > c.MaxBackoff {
		c.MinBackoff = c.MaxBackoff
	}
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = 5 * time.Minute
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = 16 << 20
	}
	return c
}

// doer is the one place where requests are sent: rate limit, retries with
// backoff and Retry-After, per-attempt timeout, size cap, redaction.
type doer struct {
	name    string
	cfg     HTTPConfig
	lim     *rate.Limiter
	secrets []string

	mu         sync.Mutex
	pauseUntil time.Time // set from Retry-After: every query of this provider waits
	extra      []string  // secrets learnt later (OAuth2 access tokens)
}

// addSecret registers a value (an access token) to redact from errors.
func (d *doer) addSecret(s string) {
	d.mu.Lock()
	d.extra = append(d.extra, s)
	d.mu.Unlock()
}

// allSecrets returns the static and learnt secrets.
func (d *doer) allSecrets() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append(append([]string(nil), d.secrets...), d.extra...)
}

func newDoer(name string, cfg HTTPConfig, defRate rate.Limit, secrets ...string) *doer {
	cfg = cfg.withDefaults(defRate)
	d := &doer{
		name:    name,
		cfg:     cfg,
		lim:     rate.NewLimiter(cfg.RateLimit, cfg.Burst),
		secrets: secrets,
	}
	// A copy of the client whose redirects never carry a key to another
	// host: Go drops Authorization on such redirects, but not custom key
	// headers (Ocp-Apim-Subscription-Key, X-Subscription-Token).
	c := *cfg.Client
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && req.URL.Host != via[0].URL.Host {
			secrets := d.allSecrets()
			for name, vals := range req.Header {
				for _, v := range vals {
					if redact(v, secrets...) != v {
						req.Header.Del(name)
						break
					}
				}
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	d.cfg.Client = &c
	return d
}

// handler inspects one complete response. It returns nil on success, an
// *APIError for failures the API reported (retried when Retryable), or
// another error (not retried).
type handler func(status int, h http.Header, body []byte) error

// builder makes the request for one attempt; it is called once per attempt
// so bodies can be re-sent.
type builder func(ctx context.Context) (*http.Request, error)

// do runs build/handle with retries until success, a permanent failure,
// the retry budget's end or ctx's end.
func (d *doer) do(ctx context.Context, build builder, handle handler) error {
	for attempt := 0; ; attempt++ {
		if err := d.waitTurn(ctx); err != nil {
			return d.wrapCtx(ctx, err)
		}
		retry, after, err := d.once(ctx, build, handle)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return d.wrapCtx(ctx, err)
		}
		if !retry || attempt >= d.cfg.MaxRetries {
			return err
		}
		delay := d.backoff(attempt)
		if after > 0 {
			if after > d.cfg.MaxRetryAfter {
				return err
			}
			d.pause(after)
			if after > delay {
				delay = after
			}
		}
		if err := sleep(ctx, delay); err != nil {
			return d.wrapCtx(ctx, err)
		}
	}
}

// wrapCtx reports the caller's cancellation or deadline.
func (d *doer) wrapCtx(ctx context.Context, err error) error {
	if ce := ctx.Err(); ce != nil {
		return fmt.Errorf("search: %s: %w", d.name, ce)
	}
	return fmt.Errorf("search: %s: %w", d.name, err)
}

func (d *doer) once(ctx context.Context, build builder, handle handler) (retry bool, after time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := build(actx)
	if err != nil {
		return false, 0, fmt.Errorf("search: %s: building request: %w", d.name, d.scrub(err))
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", d.cfg.UserAgent)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return true, 0, d.transportErr(actx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, d.cfg.MaxResponseBytes+1))
	if err != nil {
		return true, 0, d.transportErr(actx, err)
	}
	if int64(len(body)) > d.cfg.MaxResponseBytes {
		return false, 0, fmt.Errorf("search: %s: body over %d bytes: %w", d.name, d.cfg.MaxResponseBytes, ErrResponseTooLarge)
	}
	herr := handle(resp.StatusCode, resp.Header, body)
	if herr == nil {
		return false, 0, nil
	}
	var ae *APIError
	if errors.As(herr, &ae) {
		ae.Code = redact(ae.Code, d.allSecrets()...)
		ae.Message = redact(ae.Message, d.allSecrets()...)
		if ra := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ra > 0 {
			ae.RetryAfter = ra
		}
		return ae.retryable, ae.RetryAfter, herr
	}
	return false, 0, d.scrub(herr)
}

// transportErr wraps a network-level failure, naming a per-attempt timeout
// and removing secrets from URLs in the message.
func (d *doer) transportErr(actx context.Context, err error) error {
	if actx.Err() == context.DeadlineExceeded && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		c := *ue
		c.URL = redactURL(c.URL, d.allSecrets()...)
		err = &c
	}
	return fmt.Errorf("search: %s: attempt timed out or failed: %w", d.name, d.scrub(err))
}

// scrub returns err unchanged unless its text holds a secret, in which
// case it returns an error with the secret replaced (keeping errors.Is for
// the sentinels of this package and context).
func (d *doer) scrub(err error) error {
	s := err.Error()
	r := redact(s, d.allSecrets()...)
	if r == s {
		return err
	}
	return &redactedError{msg: r, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is keeps errors.Is working for context and package sentinels without
// exposing the unredacted chain through Unwrap.
func (e *redactedError) Is(target error) bool {
	switch target {
	case context.Canceled, context.DeadlineExceeded, ErrMalformedResponse, ErrResponseTooLarge,
		ErrUnauthorized, ErrRateLimited, ErrNoKey:
		return errors.Is(e.err, target)
	}
	return false
}

func redactURL(raw string, secrets ...string) string {
	u, err := url.Parse(raw)
	if err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		raw = u.String()
	}
	return redact(raw, secrets...)
}

func (d *doer) waitTurn(ctx context.Context) error {
	d.mu.Lock()
	until := d.pauseUntil
	d.mu.Unlock()
	if w := time.Until(until); w > 0 {
		if err := sleep(ctx, w); err != nil {
			return err
		}
	}
	return d.lim.Wait(ctx)
}

func (d *doer) pause(after time.Duration) {
	t := time.Now().Add(after)
	d.mu.Lock()
	if t.After(d.pauseUntil) {
		d.pauseUntil = t
	}
	d.mu.Unlock()
}

// backoff is exponential with "equal jitter": half the step fixed, half
// random, so concurrent clients spread out but never retry at once.
func (d *doer) backoff(attempt int) time.Duration {
	step := d.cfg.MinBackoff
	for i := 0; i < attempt && step < d.cfg.MaxBackoff; i++ {
		step *= 2
	}
	if step > d.cfg.MaxBackoff {
		step = d.cfg.MaxBackoff
	}
	half := step / 2
	if half <= 0 {
		return step
	}
	return half + rand.N(half+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads a Retry-After value: delta-seconds or an HTTP-date
// (RFC 9110 §10.2.3). It returns 0 when absent, invalid or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 1<<31 {
			n = 1 << 31
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// decodeJSON unmarshals a documented success body.
func decodeJSON(provider string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("search: %s: %w: %v", provider, ErrMalformedResponse, err)
	}
	return nil
}

// getRequest builds a GET for base+path with the query values.
func getRequest(ctx context.Context, base, path string, q url.Values) (*http.Request, error) {
	u, err := joinURL(base, path)
	if err != nil {
		return nil, err
	}
	u.RawQuery = q.Encode()
	return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
}

// joinURL appends path to base's path (keeping base's query, for
// compatible endpoints that put fixed parameters there).
func joinURL(base, path string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("bad endpoint URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad endpoint URL: scheme %q is not http or https", u.Scheme)
	}
	if path != "" {
		u.Path = strings.TrimRight(u.Path, "/") + "/" + strings.TrimLeft(path, "/")
	}
	return u, nil
}

// checkEndpoint validates a configurable base URL field.
func checkEndpoint(stage, field, v string) error {
	if v == "" {
		return nil
	}
	if _, err := joinURL(v, ""); err != nil {
		return &labelfree.ParamError{Stage: stage, Field: field, Reason: err.Error()}
	}
	return nil
}

// normFormat maps a MIME type, extension or format name to a short
// format name ("jpeg", "png", "gif", "webp", ...).
func normFormat(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "image/")
	s = strings.TrimPrefix(s, ".")
	if i := strings.IndexAny(s, ";+"); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "jpg", "jpe", "pjpeg":
		return "jpeg"
	case "tif":
		return "tiff"
	}
	return s
}

// lazy holds a provider's doer, built on first successful use from its
// fields (a failure, such as a key not yet in the environment, is not
// remembered).
type lazy struct {
	mu sync.Mutex
	d  *doer
}

func (l *lazy) get(mk func() (*doer, error)) (*doer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.d != nil {
		return l.d, nil
	}
	d, err := mk()
	if err != nil {
		return nil, err
	}
	l.d = d
	return d, nil
}

// formatFromURL returns the image format named by a URL's file extension,
// or "" when the extension is not a known image type.
func formatFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	p := u.Path
	i := strings.LastIndexByte(p, '.')
	if i < 0 || strings.ContainsRune(p[i:], '/') {
		return ""
	}
	switch f := normFormat(p[i+1:]); f {
	case "jpeg", "png", "gif", "webp", "bmp", "tiff", "svg", "avif", "heic":
		return f
	}
	return ""
}

// pageSize resolves a requested page size against a default and a maximum.
func pageSize(req, def, max int) int {
	if req <= 0 {
		req = def
	}
	if req > max {
		req = max
	}
	return req
}

// checkQuery rejects queries no provider can answer.
func checkQuery(provider string, q Query) error {
	if q.Page < 0 {
		return &labelfree.ParamError{Stage: "search." + provider, Field: "Query.Page", Reason: "must not be negative"}
	}
	if q.PageSize < 0 {
		return &labelfree.ParamError{Stage: "search." + provider, Field: "Query.PageSize", Reason: "must not be negative"}
	}
	return nil
}

// jsonUnmarshal decodes an error body; a failure only means the body is not
// the documented shape.
func jsonUnmarshal(body []byte, v any) error { return json.Unmarshal(body, v) }

func asAPIError(err error, target **APIError) bool { return errors.As(err, target) }

// orEnv returns v, or the environment variable env when v is empty: how
// every provider finds its key.
func orEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}
