package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/search"
)

// StitchStage is the stage name Stitch records in row errors.
const StitchStage = "dataset.Stitch"

// StitchOptions adjusts Stitch. The zero value (or nil) is fine.
type StitchOptions struct {
	// Truth, if set, gives the true boxes of a result's image where they
	// are known (synthetic scenes); Stitch stores them in TrueBoxes.
	Truth func(search.Result) ([]labelfree.Box, bool)
	// Identity, if set, returns what a result's row ID derives from in
	// place of its normalised image URL. Use it for a provider whose URLs
	// change from run to run while its images do not (an in-process server
	// on a random port), so IDs, and with them seeds, splits and
	// checkpoints, stay the same.
	Identity func(search.Result) string
}

// A URLDuplicate is a search result Stitch merged into an earlier row
// because its image URL normalises to the same URL.
type URLDuplicate struct {
	Result search.Result
	// Class is the class whose results held it.
	Class int
	// KeptID is the row it was merged into.
	KeptID string
}

// A StitchReport says what Stitch did.
type StitchReport struct {
	// Results is the number of search results given.
	Results int
	// Rows is the number of rows made, one per distinct normalised URL.
	Rows int
	// PerClass counts rows by label.
	PerClass []int
	// Merged lists the results merged into another row; their provenance
	// is also kept on that row in AlsoFound.
	Merged []URLDuplicate
	// Conflicts counts URLs found for more than one class; the row takes
	// the highest class index (by convention class 0 is the background
	// class, and a random-word query that happens to find the animal is
	// weaker evidence than a query for it).
	Conflicts int
	// BadURLs counts rows failed because their URL is unusable.
	BadURLs int
}

// ErrBadURL is wrapped by the row errors of results whose image URL is not
// an absolute http or https URL.
var ErrBadURL = errors.New("bad image URL")

// Stitch makes a dataset from search results: results[i] holds the results
// found for class classes[i]. Each distinct normalised image URL (see
// NormalizeURL) becomes one row, with Label, Source and, when
// opts.Truth knows them, TrueBoxes; results that repeat a URL are merged
// into the first row for it (AlsoFound) and listed in the report. A result
// with an unusable URL still becomes a row, failed with ErrBadURL, so no
// result vanishes. Row IDs derive from the normalised URL, so they are
// stable across runs and key checkpoints and caches.
func Stitch(classes []string, results [][]search.Result, opts *StitchOptions) (*labelfree.Dataset, *StitchReport, error) {
	if len(classes) == 0 {
		return nil, nil, errors.New("dataset: stitch: no classes")
	}
	if len(results) != len(classes) {
		return nil, nil, fmt.Errorf("dataset: stitch: %d result lists for %d classes", len(results), len(classes))
	}
	seen := map[string]bool{}
	for _, c := range classes {
		if seen[c] {
			return nil, nil, fmt.Errorf("dataset: stitch: class %q listed twice", c)
		}
		seen[c] = true
	}
	if opts == nil {
		opts = &StitchOptions{}
	}
	rep := &StitchReport{PerClass: make([]int, len(classes))}
	ds := &labelfree.Dataset{Classes: append([]string(nil), classes...)}
	byURL := map[string]*labelfree.Row{}
	conflicted := map[string]bool{}
	for class, rs := range results {
		for _, r := range rs {
			rep.Results++
			norm, err := NormalizeURL(r.ImageURL)
			if err != nil {
				// Unusable URLs still get a row, keyed by the raw text.
				row := labelfree.NewRow(rowID("bad:" + r.ImageURL + "\x00" + r.Provider + "\x00" + r.Query + fmt.Sprint("\x00", r.Rank)))
				if _, dup := byURL["bad:"+row.ID]; dup {
					continue
				}
				byURL["bad:"+row.ID] = row
				labelfree.Set(row, labelfree.Label, class)
				labelfree.Set(row, Source, r)
				row.Fail(StitchStage, fmt.Errorf("%w: %v", ErrBadURL, err))
				rep.BadURLs++
				ds.Rows = append(ds.Rows, row)
				continue
			}
			if row, ok := byURL[norm]; ok {
				also, _ := labelfree.Get(row, AlsoFound)
				labelfree.Set(row, AlsoFound, append(also, r))
				rep.Merged = append(rep.Merged, URLDuplicate{Result: r, Class: class, KeptID: row.ID})
				if old, _ := labelfree.Get(row, labelfree.Label); old != class {
					if !conflicted[norm] {
						conflicted[norm] = true
						rep.Conflicts++
					}
					labelfree.Set(row, labelfree.Label, max(old, class))
				}
				continue
			}
			key := norm
			if opts.Identity != nil {
				key = opts.Identity(r)
			}
			row := labelfree.NewRow(rowID(key))
			labelfree.Set(row, labelfree.Label, class)
			labelfree.Set(row, Source, r)
			if opts.Truth != nil {
				if boxes, ok := opts.Truth(r); ok {
					labelfree.Set(row, labelfree.TrueBoxes, boxes)
				}
			}
			byURL[norm] = row
			ds.Rows = append(ds.Rows, row)
		}
	}
	for _, row := range ds.Rows {
		if l, ok := labelfree.Get(row, labelfree.Label); ok {
			rep.PerClass[l]++
		}
	}
	rep.Rows = len(ds.Rows)
	return ds, rep, nil
}

// checkHost accepts an IP address or a host name without URL delimiters,
// spaces or control characters.
func checkHost(host string) error {
	if host == "" {
		return errors.New("URL has no host")
	}
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("bad IPv6 host %q", host)
		}
		return nil
	}
	if strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		return fmt.Errorf("bad host %q", host)
	}
	for _, r := range host {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("[]/@?#\\%<>\"`{}|^", r) {
			return fmt.Errorf("bad host %q", host)
		}
	}
	return nil
}

func rowID(norm string) string {
	h := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(h[:10])
}

// NormalizeURL returns the canonical form of an absolute http or https
// URL, so that trivially different spellings of one URL compare equal: the
// scheme and host are lower-cased, a default port and the fragment are
// removed, dot segments are resolved, an empty path becomes "/", query
// parameters are sorted and utm_* tracking parameters dropped.
func NormalizeURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", err
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return "", errors.New("URL has no host")
	}
	host, port := u.Hostname(), u.Port()
	host = strings.TrimRight(strings.ToLower(host), ".")
	if err := checkHost(host); err != nil {
		return "", err
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	nu, err := url.Parse(u.Scheme + "://" + u.Host + clean)
	if err != nil {
		return "", err
	}
	nu.User, nu.RawQuery = u.User, u.RawQuery
	u = nu
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.HasPrefix(strings.ToLower(k), "utm_") {
				delete(q, k)
			}
		}
		for _, v := range q {
			sort.Strings(v)
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}
