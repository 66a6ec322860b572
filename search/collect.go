package search

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/labelfree/labelfree"
)

// NegativeClass is the class Negatives gives its queries.
const NegativeClass = "negative"

// DefaultNegativeK is the number of images Negatives keeps per word when
// given k <= 0: the first ten, as in the MMLSpark workflow.
const DefaultNegativeK = 10

// A QuerySpec is one query of a collection: its text, the class its
// results are labelled with, and how far to page.
type QuerySpec struct {
	// Text is the search text.
	Text string
	// Class labels every result (Result.Class).
	Class string
	// Pages is the most pages fetched; 0 means 1.
	Pages int
	// PageSize is passed to the provider; 0 means its default.
	PageSize int
	// Limit is the most results kept; 0 means no limit.
	Limit int
}

// Positive is the positive class: the first pages pages of query, labelled
// with the query text itself.
func Positive(query string, pages int) QuerySpec {
	return QuerySpec{Text: query, Class: query, Pages: pages}
}

// Negatives is the negative class: the first k results (k <= 0 means
// DefaultNegativeK) of one query per word, labelled NegativeClass. Pick the
// words with NegativeWords.
func Negatives(words []string, k int) []QuerySpec {
	if k <= 0 {
		k = DefaultNegativeK
	}
	out := make([]QuerySpec, 0, len(words))
	for _, w := range words {
		out = append(out, QuerySpec{Text: w, Class: NegativeClass, Pages: 1, PageSize: k, Limit: k})
	}
	return out
}

// A Spec describes a collection: its queries and how many run at once.
type Spec struct {
	// Queries are run in any order; results come back in this order.
	Queries []QuerySpec
	// Concurrency is the most queries in flight; 0 means 4. Each query
	// pages sequentially; the provider's rate limit still applies to all.
	Concurrency int
	// Progress, when set, is called once per finished query with its
	// report and the number of queries finished so far. Calls never
	// overlap.
	Progress func(done int, r QueryReport)
}

// Validate checks the spec.
func (s Spec) Validate() error {
	bad := func(f, r string) error { return &labelfree.ParamError{Stage: "search.Collect", Field: f, Reason: r} }
	if len(s.Queries) == 0 {
		return bad("Queries", "must not be empty")
	}
	if s.Concurrency < 0 {
		return bad("Concurrency", "must not be negative")
	}
	for i, q := range s.Queries {
		f := fmt.Sprintf("Queries[%d].", i)
		switch {
		case q.Pages < 0:
			return bad(f+"Pages", "must not be negative")
		case q.PageSize < 0:
			return bad(f+"PageSize", "must not be negative")
		case q.Limit < 0:
			return bad(f+"Limit", "must not be negative")
		}
	}
	return nil
}

// Why a query stopped paging.
const (
	StopNoMore    = "no more results" // the provider had no further page
	StopPages     = "page budget"     // QuerySpec.Pages were fetched
	StopLimit     = "result limit"    // QuerySpec.Limit results were kept
	StopError     = "error"           // a page failed; see QueryReport.Err
	StopCancelled = "cancelled"       // ctx ended
)

// A QueryReport says how one query went.
type QueryReport struct {
	QuerySpec
	// Pages is the number of pages fetched successfully.
	Pages int
	// Results is the number of results kept.
	Results int
	// Duplicates counts results dropped because an earlier page of the same
	// query had the same image URL.
	Duplicates int
	// Total is the provider's estimate of all matches, when it gives one.
	Total int
	// Stop says why paging stopped (one of the Stop constants).
	Stop string
	// Err is the error that stopped the query, if any. Results of pages
	// fetched before it are kept.
	Err error
}

// A Collection is the outcome of Collect.
type Collection struct {
	// Results of all queries, in Spec order, each query's ranked from 0.
	Results []Result
	// Queries has one report per QuerySpec, in Spec order.
	Queries []QueryReport
	// Failed counts queries that stopped with an error.
	Failed int
}

// Err joins the per-query errors (nil when none failed).
func (c *Collection) Err() error {
	var errs []error
	for _, q := range c.Queries {
		if q.Err != nil {
			errs = append(errs, fmt.Errorf("query %q: %w", q.Text, q.Err))
		}
	}
	return errors.Join(errs...)
}

// Collect runs every query of spec against p, at most spec.Concurrency at
// once, paging each until its page budget, its limit or the provider's last
// page. A failed query is recorded in its QueryReport and the others go on;
// Collect returns an error only for a bad spec, when ctx ends (with the
// partial collection) or when every query failed. Results are labelled with
// their query's Class, deduplicated by image URL within a query, and ranked
// over all pages of their query; their order does not depend on timing.
func Collect(ctx context.Context, p Provider, spec Spec) (*Collection, error) {
	if p == nil {
		return nil, &labelfree.ParamError{Stage: "search.Collect", Field: "provider", Reason: "must not be nil"}
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if v, ok := p.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	conc := spec.Concurrency
	if conc == 0 {
		conc = 4
	}
	conc = min(conc, len(spec.Queries))
	reports := make([]QueryReport, len(spec.Queries))
	results := make([][]Result, len(spec.Queries))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], reports[i] = runQuery(ctx, p, spec.Queries[i])
				if spec.Progress != nil {
					mu.Lock()
					done++
					spec.Progress(done, reports[i])
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range spec.Queries {
		select {
		case next <- i:
		case <-ctx.Done():
			for j := i; j < len(spec.Queries); j++ {
				reports[j] = QueryReport{QuerySpec: spec.Queries[j], Stop: StopCancelled, Err: ctx.Err()}
			}
			break feed
		}
	}
	close(next)
	wg.Wait()

	c := &Collection{Queries: reports}
	for i := range reports {
		c.Results = append(c.Results, results[i]...)
		if reports[i].Stop == StopError {
			c.Failed++
		}
	}
	if err := ctx.Err(); err != nil {
		return c, fmt.Errorf("search: collect: %w", err)
	}
	if c.Failed == len(reports) {
		return c, fmt.Errorf("search: collect: all %d queries failed: %w", c.Failed, c.Err())
	}
	return c, nil
}

// runQuery pages one query.
func runQuery(ctx context.Context, p Provider, qs QuerySpec) ([]Result, QueryReport) {
	rep := QueryReport{QuerySpec: qs}
	pages := qs.Pages
	if pages == 0 {
		pages = 1
	}
	var out []Result
	seen := map[string]bool{}
	for page := 0; ; page++ {
		if page == pages {
			rep.Stop = StopPages
			break
		}
		if err := ctx.Err(); err != nil {
			rep.Stop, rep.Err = StopCancelled, err
			break
		}
		pg, err := p.Search(ctx, Query{Text: qs.Text, Page: page, PageSize: qs.PageSize})
		if err != nil {
			if ctx.Err() != nil {
				rep.Stop = StopCancelled
			} else {
				rep.Stop = StopError
			}
			rep.Err = err
			break
		}
		rep.Pages++
		if pg.Total > 0 {
			rep.Total = pg.Total
		}
		limited := false
		for _, r := range pg.Results {
			if r.ImageURL != "" && seen[r.ImageURL] {
				rep.Duplicates++
				continue
			}
			seen[r.ImageURL] = true
			r.Query, r.Class, r.Rank = qs.Text, qs.Class, len(out)
			if r.Provider == "" {
				r.Provider = p.Name()
			}
			out = append(out, r)
			if qs.Limit > 0 && len(out) == qs.Limit {
				limited = true
				break
			}
		}
		if limited {
			rep.Stop = StopLimit
			break
		}
		if !pg.More || len(pg.Results) == 0 {
			rep.Stop = StopNoMore
			break
		}
	}
	rep.Results = len(out)
	return out, rep
}

// Classes returns the classes of the spec's queries in first-seen order
// (for Positive plus Negatives: the positive query, then NegativeClass).
func (c *Collection) Classes() []string {
	var out []string
	seen := map[string]bool{}
	for _, q := range c.Queries {
		if !seen[q.Class] {
			seen[q.Class] = true
			out = append(out, q.Class)
		}
	}
	return out
}

// ByClass groups the results by class, one slice per given class in the
// given order (the shape dataset.Stitch takes). Results of classes not
// named are left out; a class without results gets an empty slice.
func (c *Collection) ByClass(classes ...string) [][]Result {
	idx := make(map[string]int, len(classes))
	for i, cl := range classes {
		if _, dup := idx[cl]; !dup {
			idx[cl] = i
		}
	}
	out := make([][]Result, len(classes))
	for i := range out {
		out[i] = []Result{}
	}
	for _, r := range c.Results {
		if i, ok := idx[r.Class]; ok {
			out[i] = append(out[i], r)
		}
	}
	return out
}
