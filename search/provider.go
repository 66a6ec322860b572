package search

import (
	"context"
)

// A Query asks a provider for one page of image results.
type Query struct {
	// Text is the search text ("snow leopard").
	Text string
	// Page is the zero-based page number.
	Page int
	// PageSize is the number of results wanted; 0 means the provider's
	// default. Providers cap it at their API's maximum.
	PageSize int
}

// A Result is one image found by a provider.
type Result struct {
	Provider     string // provider name, e.g. "openverse"
	ID           string // provider's own id, when it has one
	Query        string // the query text that found it
	Class        string // the class Collect labelled it with; "" from a bare Search
	Rank         int    // zero-based rank over all pages of the query
	ImageURL     string // full-size image
	PageURL      string // page the image appears on
	ThumbnailURL string
	Width        int // pixels; 0 when unknown
	Height       int
	Format       string // "jpeg", "png", ... when known
	Title        string
	License      string // licence name ("CC BY-SA 4.0"), when given
	LicenseURL   string // licence deed URL, when given
	Attribution  string // creator / credit line, when given
}

// A Page is one page of results.
type Page struct {
	Results []Result
	// More reports whether a next page exists.
	More bool
	// Total is the provider's estimate of all matches; 0 when unknown.
	Total int
}

// A Provider searches one image-search service. Implementations must be
// safe for concurrent use and honour ctx cancellation.
//
// Search returns one page. A page past the last one is not an error: it
// comes back empty with More false. Failures the service reports are
// *APIError values. The providers here rank a page's Results from 0;
// Collect re-ranks over all pages of a query whatever a provider set.
type Provider interface {
	Name() string
	Search(ctx context.Context, q Query) (Page, error)
}

// Every provider here implements Provider.
var (
	_ Provider = (*Bing)(nil)
	_ Provider = (*Brave)(nil)
	_ Provider = (*Openverse)(nil)
	_ Provider = (*Wikimedia)(nil)
	_ Provider = (*INaturalist)(nil)
	_ Provider = (*LocalDir)(nil)
)
