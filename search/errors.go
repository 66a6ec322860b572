package search

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnauthorized matches an *APIError whose status is 401 or 403: a
	// missing, wrong or over-quota key. Retrying does not help.
	ErrUnauthorized = errors.New("search: unauthorized")
	// ErrRateLimited matches an *APIError whose status is 429 (or an API's
	// own rate-limit code), left after the retries were spent.
	ErrRateLimited = errors.New("search: rate limited")
	// ErrMalformedResponse is wrapped by errors about a response body that
	// is not the JSON the API documents.
	ErrMalformedResponse = errors.New("search: malformed response")
	// ErrResponseTooLarge is wrapped when a response body exceeds
	// HTTPConfig.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("search: response too large")
	// ErrNoKey is returned by providers that need a key when none was set
	// in their Key field or environment variable.
	ErrNoKey = errors.New("search: no API key")
)

// An APIError is a failure reported by a search API, parsed from the
// error body that API documents. Keys never appear in it: messages echoed
// by a server are redacted before they are stored.
type APIError struct {
	Provider string // provider name, e.g. "bing"
	Status   int    // HTTP status (200 for APIs such as MediaWiki that report errors in a 200 body)
	Code     string // the API's error code ("InvalidAuthorization", "RATE_LIMITED", "badvalue"); may be empty
	Message  string // the API's message, redacted and truncated
	// RetryAfter is the wait the server asked for (Retry-After), if any.
	RetryAfter time.Duration

	retryable bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "search: %s: HTTP %d", e.Provider, e.Status)
	if t := http.StatusText(e.Status); t != "" && e.Status != http.StatusOK {
		b.WriteString(" " + t)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	return b.String()
}

// Retryable reports whether the failure is transient (429, 5xx, or an
// API's documented "try again" code) and so worth retrying.
func (e *APIError) Retryable() bool { return e.retryable }

// Is lets errors.Is match ErrUnauthorized and ErrRateLimited.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests || (e.retryable && e.Status == http.StatusOK)
	}
	return false
}

// maxMessage bounds the length of messages copied from error bodies.
const maxMessage = 500

// newAPIError builds an *APIError; 429 and 5xx statuses are retryable.
func newAPIError(provider string, status int, code, msg string) *APIError {
	msg = strings.TrimSpace(msg)
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "…"
	}
	return &APIError{
		Provider:  provider,
		Status:    status,
		Code:      code,
		Message:   msg,
		retryable: status == http.StatusTooManyRequests || status >= 500,
	}
}

// fallbackMessage turns an undocumented error body (an HTML error page from
// a proxy, say) into a short message.
func fallbackMessage(body []byte) string {
	s := strings.TrimSpace(string(body))
	if strings.HasPrefix(s, "<") { // HTML: keep none of it
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// redact replaces every occurrence of each non-empty secret in s.
func redact(s string, secrets ...string) string {
	for _, k := range secrets {
		if len(k) >= 4 && strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, "[REDACTED]")
		}
	}
	return s
}
