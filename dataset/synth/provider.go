package synth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labelfree/labelfree/search"
)

// The JSON the server speaks.
type searchResponse struct {
	Query   string      `json:"query"`
	Page    int         `json:"page"`
	Total   int         `json:"total"`
	More    bool        `json:"more"`
	Results []searchHit `json:"results"`
}

type searchHit struct {
	ID           string `json:"id"`
	URL          string `json:"url"`
	PageURL      string `json:"page_url"`
	ThumbnailURL string `json:"thumbnail_url"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	Format       string `json:"format"`
	Title        string `json:"title"`
	License      string `json:"license"`
	Attribution  string `json:"attribution"`
}

type errorResponse struct {
	Error string `json:"error"`
}

// A Provider is the search client of a Server. It is a search.Provider;
// the zero value is unusable, get one from Server.Provider or set BaseURL.
type Provider struct {
	// BaseURL is the server's URL, as returned by Server.URL.
	BaseURL string
	// Client makes the requests; nil means a client with a 30 s timeout.
	Client *http.Client
}

var _ search.Provider = (*Provider)(nil)

// Name returns "synth".
func (p *Provider) Name() string { return "synth" }

// maxBody bounds a search response body.
const maxBody = 8 << 20

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// Search asks the server for one page of results.
func (p *Provider) Search(ctx context.Context, q search.Query) (search.Page, error) {
	if q.Page < 0 {
		return search.Page{}, fmt.Errorf("synth: negative page %d", q.Page)
	}
	size := q.PageSize
	if size <= 0 {
		size = 20
	}
	size = min(size, MaxPageSize)
	v := url.Values{"q": {q.Text}, "page": {strconv.Itoa(q.Page)}, "count": {strconv.Itoa(size)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+"/search?"+v.Encode(), nil)
	if err != nil {
		return search.Page{}, fmt.Errorf("synth: search %q: %w", q.Text, err)
	}
	client := p.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return search.Page{}, fmt.Errorf("synth: search %q: %w", q.Text, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return search.Page{}, fmt.Errorf("synth: search %q: %w", q.Text, err)
	}
	if len(body) > maxBody {
		return search.Page{}, fmt.Errorf("synth: search %q: response exceeds %d bytes", q.Text, maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorResponse
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return search.Page{}, fmt.Errorf("synth: search %q: %s: %s", q.Text, resp.Status, e.Error)
		}
		return search.Page{}, fmt.Errorf("synth: search %q: %s", q.Text, resp.Status)
	}
	page, err := parseSearch(body, q.Text, q.Page*size)
	if err != nil {
		return search.Page{}, fmt.Errorf("synth: search %q: %w", q.Text, err)
	}
	return page, nil
}

// parseSearch decodes a search response; rank0 is the rank of its first
// result.
func parseSearch(body []byte, query string, rank0 int) (search.Page, error) {
	var r searchResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return search.Page{}, fmt.Errorf("decode response: %w", err)
	}
	if r.Total < 0 {
		return search.Page{}, errors.New("decode response: negative total")
	}
	page := search.Page{More: r.More, Total: r.Total, Results: make([]search.Result, 0, len(r.Results))}
	for i, h := range r.Results {
		if h.URL == "" {
			return search.Page{}, fmt.Errorf("decode response: result %d has no url", i)
		}
		page.Results = append(page.Results, search.Result{
			Provider:     "synth",
			ID:           h.ID,
			Query:        query,
			Rank:         rank0 + i,
			ImageURL:     h.URL,
			PageURL:      h.PageURL,
			ThumbnailURL: h.ThumbnailURL,
			Width:        h.Width,
			Height:       h.Height,
			Format:       h.Format,
			Title:        h.Title,
			License:      h.License,
			Attribution:  h.Attribution,
		})
	}
	return page, nil
}
