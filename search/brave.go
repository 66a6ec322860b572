package search

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
)

// BraveKeyEnv is the environment variable Brave reads its key from when
// Brave.Key is empty.
const BraveKeyEnv = "BRAVE_SEARCH_API_KEY"

// DefaultBraveEndpoint is the Brave Search API base URL.
const DefaultBraveEndpoint = "https://api.search.brave.com/res/v1"

// braveMaxCount is the documented maximum count of the image endpoint.
const braveMaxCount = 200

// Brave is a client for the Brave Search image search API
// (GET {Endpoint}/images/search, key in the X-Subscription-Token header).
//
// The image endpoint has no offset parameter: one request returns up to
// 200 images (count), so Brave serves page 0 only, with a default page size
// of 200; later pages come back empty with More false.
//
// The zero value is usable once a key is in BRAVE_SEARCH_API_KEY. A Brave
// is safe for concurrent use; its rate limit is shared by all its queries.
type Brave struct {
	// Key is the subscription token; "" reads BRAVE_SEARCH_API_KEY. It is
	// sent only in the request header and never appears in errors.
	Key string
	// Endpoint is the base URL; "" means DefaultBraveEndpoint. The path
	// /images/search is appended.
	Endpoint string
	// Country ("US", "ALL") and SearchLang ("en") are passed through when
	// set.
	Country, SearchLang string
	// SafeSearch is "off" or "strict"; "" means the API's default (strict).
	SafeSearch string
	// HTTP holds rate limit, retries and timeouts; RateLimit 0 means 1
	// request per second (the free plan's limit).
	HTTP HTTPConfig

	lazy lazy
}

// Name returns "brave".
func (b *Brave) Name() string { return "brave" }

// Validate checks the fields.
func (b *Brave) Validate() error {
	if err := checkEndpoint("search.brave", "Endpoint", b.Endpoint); err != nil {
		return err
	}
	switch b.SafeSearch {
	case "", "off", "strict":
	default:
		return &labelfree.ParamError{Stage: "search.brave", Field: "SafeSearch", Reason: fmt.Sprintf("%q is not off or strict", b.SafeSearch)}
	}
	return b.HTTP.validate("search.brave")
}

// Search fetches page 0 of the image results; later pages are empty.
func (b *Brave) Search(ctx context.Context, q Query) (Page, error) {
	if err := checkQuery(b.Name(), q); err != nil {
		return Page{}, err
	}
	if strings.TrimSpace(q.Text) == "" {
		return Page{}, &labelfree.ParamError{Stage: "search.brave", Field: "Query.Text", Reason: "must not be empty"}
	}
	d, err := b.lazy.get(func() (*doer, error) {
		if err := b.Validate(); err != nil {
			return nil, err
		}
		k := orEnv(b.Key, BraveKeyEnv)
		if k == "" {
			return nil, fmt.Errorf("search: brave: set Brave.Key or %s: %w", BraveKeyEnv, ErrNoKey)
		}
		return newDoer(b.Name(), b.HTTP, 1, k), nil
	})
	if err != nil {
		return Page{}, err
	}
	if q.Page > 0 {
		return Page{}, nil
	}
	if err := ctx.Err(); err != nil {
		return Page{}, fmt.Errorf("search: brave: %w", err)
	}
	v := url.Values{}
	v.Set("q", q.Text)
	v.Set("count", strconv.Itoa(pageSize(q.PageSize, braveMaxCount, braveMaxCount)))
	if b.Country != "" {
		v.Set("country", b.Country)
	}
	if b.SearchLang != "" {
		v.Set("search_lang", b.SearchLang)
	}
	if b.SafeSearch != "" {
		v.Set("safesearch", b.SafeSearch)
	}
	base := b.Endpoint
	if base == "" {
		base = DefaultBraveEndpoint
	}
	key := d.secrets[0] // the key the client was built with
	var page Page
	err = d.do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := getRequest(ctx, base, "/images/search", v)
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-Subscription-Token", key)
		return req, nil
	}, func(status int, h http.Header, body []byte) error {
		if status != http.StatusOK {
			e := parseBraveError(status, body)
			if status == http.StatusTooManyRequests {
				e.RetryAfter = braveReset(h.Get("X-RateLimit-Reset"))
			}
			return e
		}
		p, err := parseBravePage(body, q.Text)
		page = p
		return err
	})
	return page, err
}

// braveAnswer is the documented ImageSearchApiResponse.
type braveAnswer struct {
	Type  string `json:"type"`
	Query struct {
		Original string `json:"original"`
		Altered  string `json:"altered"`
	} `json:"query"`
	Results []struct {
		Type      string `json:"type"`
		Title     string `json:"title"`
		URL       string `json:"url"`
		Source    string `json:"source"`
		Thumbnail struct {
			Src    string `json:"src"`
			Width  int    `json:"width"`
			Height int    `json:"height"`
		} `json:"thumbnail"`
		Properties struct {
			URL         string `json:"url"`
			Placeholder string `json:"placeholder"`
			Width       int    `json:"width"`
			Height      int    `json:"height"`
		} `json:"properties"`
		Confidence string `json:"confidence"`
	} `json:"results"`
}

func parseBravePage(body []byte, text string) (Page, error) {
	var a braveAnswer
	if err := decodeJSON("brave", body, &a); err != nil {
		return Page{}, err
	}
	if a.Type == "ErrorResponse" {
		return Page{}, parseBraveError(http.StatusBadGateway, body)
	}
	var p Page
	for _, r := range a.Results {
		if r.Properties.URL == "" {
			continue
		}
		p.Results = append(p.Results, Result{
			Provider:     "brave",
			Query:        text,
			Rank:         len(p.Results),
			ImageURL:     r.Properties.URL,
			PageURL:      r.URL,
			ThumbnailURL: r.Thumbnail.Src,
			Width:        max(r.Properties.Width, 0),
			Height:       max(r.Properties.Height, 0),
			Format:       formatFromURL(r.Properties.URL),
			Title:        r.Title,
		})
	}
	return p, nil
}

// braveErrorBody is the documented error response.
type braveErrorBody struct {
	Type  string `json:"type"`
	Error struct {
		ID     string `json:"id"`
		Status int    `json:"status"`
		Code   string `json:"code"`
		Detail string `json:"detail"`
	} `json:"error"`
}

func parseBraveError(status int, body []byte) *APIError {
	var eb braveErrorBody
	if err := jsonUnmarshal(body, &eb); err == nil && (eb.Error.Code != "" || eb.Error.Detail != "") {
		return newAPIError("brave", status, eb.Error.Code, eb.Error.Detail)
	}
	return newAPIError("brave", status, "", fallbackMessage(body))
}

// braveReset reads the per-second window of X-RateLimit-Reset ("1, 1419704":
// seconds until each window resets).
func braveReset(v string) time.Duration {
	first, _, _ := strings.Cut(v, ",")
	n, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || n <= 0 || n > 3600 {
		return 0
	}
	return time.Duration(n) * time.Second
}
