package search

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labelfree/labelfree"
)

// DefaultINaturalistEndpoint is the iNaturalist API v1.
const DefaultINaturalistEndpoint = "https://api.inaturalist.org/v1"

// iNaturalist limits: per_page at most 200, and no results beyond the
// 10,000th of a search (page × per_page).
const (
	inatMaxPerPage = 200
	inatMaxResults = 10000
)

// DefaultINaturalistLicenses are the photo licences asked for when
// INaturalist.PhotoLicense is empty: every Creative Commons licence and
// CC0, i.e. every photo not "all rights reserved".
const DefaultINaturalistLicenses = "cc0,cc-by,cc-by-sa,cc-by-nc,cc-by-nc-sa,cc-by-nd,cc-by-nc-nd"

// INaturalist searches iNaturalist observations that have photos
// (GET {Endpoint}/observations?photos=true), the natural source for
// wildlife: research-grade observations are identified by the community,
// so "Panthera uncia" returns snow leopards, not snow leopard print
// fabric. Each photo of a matching observation becomes one Result, with
// its licence code, attribution line and size.
//
// The query text is a taxon name (scientific or common: taxon_name), or a
// numeric taxon id (taxon_id); TaxonID overrides both. The API returns
// photo URLs of the "square" size (75 px); Size picks the variant served
// as ImageURL ("large", 1024 px, by default).
//
// Location privacy: observations carry coordinates, and those of
// threatened species are obscured for a reason. Results never copy them.
//
// iNaturalist asks API users to stay at or below about one request a
// second; that is the default rate limit. The zero value is usable. An
// INaturalist is safe for concurrent use.
type INaturalist struct {
	// Endpoint is the base URL; "" means DefaultINaturalistEndpoint. The
	// path /observations is appended.
	Endpoint string
	// TaxonID, when non-zero, selects the taxon (and its descendants)
	// regardless of the query text.
	TaxonID int
	// PhotoLicense is the photo_license filter, comma-separated codes;
	// "" means DefaultINaturalistLicenses.
	PhotoLicense string
	// QualityGrade filters observations: "research" (default),
	// "needs_id", "casual", or "any" for no filter.
	QualityGrade string
	// Size is the photo variant served as ImageURL: "large" (default,
	// 1024 px), "original" (up to 2048 px), "medium" (500), "small" (240),
	// "thumb" (100) or "square" (75×75).
	Size string
	// FirstPhotoOnly keeps only each observation's first photo.
	FirstPhotoOnly bool
	// HTTP holds rate limit, retries and timeouts; RateLimit 0 means 1
	// request per second.
	HTTP HTTPConfig

	lazy lazy
}

// inatSizes maps a photo variant to its longest side in pixels (0: as is).
var inatSizes = map[string]int{"square": 75, "thumb": 100, "small": 240, "medium": 500, "large": 1024, "original": 2048}

// Name returns "inaturalist".
func (n *INaturalist) Name() string { return "inaturalist" }

// Validate checks the fields.
func (n *INaturalist) Validate() error {
	bad := func(f, r string) error {
		return &labelfree.ParamError{Stage: "search.inaturalist", Field: f, Reason: r}
	}
	if err := checkEndpoint("search.inaturalist", "Endpoint", n.Endpoint); err != nil {
		return err
	}
	if n.TaxonID < 0 {
		return bad("TaxonID", "must not be negative")
	}
	if _, ok := inatSizes[n.Size]; !ok && n.Size != "" {
		return bad("Size", fmt.Sprintf("%q is not square, thumb, small, medium, large or original", n.Size))
	}
	switch n.QualityGrade {
	case "", "research", "needs_id", "casual", "any":
	default:
		return bad("QualityGrade", fmt.Sprintf("%q is not research, needs_id, casual or any", n.QualityGrade))
	}
	return n.HTTP.validate("search.inaturalist")
}

// Search fetches one page of observations and returns their photos.
func (n *INaturalist) Search(ctx context.Context, q Query) (Page, error) {
	if err := checkQuery(n.Name(), q); err != nil {
		return Page{}, err
	}
	text := strings.TrimSpace(q.Text)
	if text == "" && n.TaxonID == 0 {
		return Page{}, &labelfree.ParamError{Stage: "search.inaturalist", Field: "Query.Text", Reason: "must name a taxon unless TaxonID is set"}
	}
	d, err := n.lazy.get(func() (*doer, error) {
		if err := n.Validate(); err != nil {
			return nil, err
		}
		return newDoer(n.Name(), n.HTTP, 1), nil
	})
	if err != nil {
		return Page{}, err
	}
	per := pageSize(q.PageSize, 50, inatMaxPerPage)
	if (q.Page+1)*per > inatMaxResults {
		return Page{}, nil
	}
	v := url.Values{}
	v.Set("photos", "true")
	switch {
	case n.TaxonID != 0:
		v.Set("taxon_id", strconv.Itoa(n.TaxonID))
	case isDigits(text):
		v.Set("taxon_id", text)
	default:
		v.Set("taxon_name", text)
	}
	v.Set("photo_license", firstNonEmpty(n.PhotoLicense, DefaultINaturalistLicenses))
	switch n.QualityGrade {
	case "":
		v.Set("quality_grade", "research")
	case "any":
	default:
		v.Set("quality_grade", n.QualityGrade)
	}
	v.Set("order_by", "id")
	v.Set("order", "desc")
	v.Set("per_page", strconv.Itoa(per))
	v.Set("page", strconv.Itoa(q.Page+1))
	base := firstNonEmpty(n.Endpoint, DefaultINaturalistEndpoint)
	size := firstNonEmpty(n.Size, "large")
	var page Page
	err = d.do(ctx, func(ctx context.Context) (*http.Request, error) {
		return getRequest(ctx, base, "/observations", v)
	}, func(status int, h http.Header, body []byte) error {
		if status != http.StatusOK {
			return parseINaturalistError(status, body)
		}
		p, err := parseINaturalistPage(body, q.Text, size, n.FirstPhotoOnly, q.Page+1, per)
		page = p
		return err
	})
	return page, err
}

func isDigits(s string) bool {
	if s == "" || len(s) > 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// inatAnswer is the documented ObservationsResponse (the fields used).
type inatAnswer struct {
	TotalResults int `json:"total_results"`
	Page         int `json:"page"`
	PerPage      int `json:"per_page"`
	Results      []struct {
		ID    int    `json:"id"`
		URI   string `json:"uri"`
		Taxon *struct {
			ID                  int    `json:"id"`
			Name                string `json:"name"`
			PreferredCommonName string `json:"preferred_common_name"`
		} `json:"taxon"`
		User *struct {
			Login string `json:"login"`
			Name  string `json:"name"`
		} `json:"user"`
		Photos []inatPhoto `json:"photos"`
	} `json:"results"`
}

type inatPhoto struct {
	ID                 int     `json:"id"`
	LicenseCode        *string `json:"license_code"`
	URL                string  `json:"url"`
	Attribution        string  `json:"attribution"`
	OriginalDimensions *struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"original_dimensions"`
}

func parseINaturalistPage(body []byte, text, size string, firstOnly bool, page, per int) (Page, error) {
	var a inatAnswer
	if err := decodeJSON("inaturalist", body, &a); err != nil {
		return Page{}, err
	}
	p := Page{Total: max(a.TotalResults, 0)}
	for _, o := range a.Results {
		title := ""
		if o.Taxon != nil {
			title = o.Taxon.Name
			if o.Taxon.PreferredCommonName != "" {
				title = o.Taxon.PreferredCommonName + " (" + o.Taxon.Name + ")"
			}
		}
		pageURL := o.URI
		if pageURL == "" && o.ID > 0 {
			pageURL = "https://www.inaturalist.org/observations/" + strconv.Itoa(o.ID)
		}
		for i, ph := range o.Photos {
			if firstOnly && i > 0 {
				break
			}
			if ph.URL == "" {
				continue
			}
			r := Result{
				Provider:     "inaturalist",
				ID:           strconv.Itoa(ph.ID),
				Query:        text,
				Rank:         len(p.Results),
				ImageURL:     inatVariant(ph.URL, size),
				PageURL:      pageURL,
				ThumbnailURL: inatVariant(ph.URL, "small"),
				Format:       formatFromURL(ph.URL),
				Title:        title,
				Attribution:  ph.Attribution,
			}
			if ph.LicenseCode != nil {
				r.License, r.LicenseURL = inatLicense(*ph.LicenseCode)
			}
			if d := ph.OriginalDimensions; d != nil && d.Width > 0 && d.Height > 0 {
				r.Width, r.Height = inatScaled(d.Width, d.Height, size)
			}
			p.Results = append(p.Results, r)
		}
	}
	got := (page-1)*per + len(a.Results)
	p.More = len(a.Results) > 0 && got < a.TotalResults && page*per < inatMaxResults
	return p, nil
}

// inatVariant swaps the size segment of a photo URL
// (".../photos/123/square.jpg" -> ".../photos/123/large.jpg").
func inatVariant(raw, size string) string {
	for s := range inatSizes {
		if i := strings.LastIndex(raw, "/"+s+"."); i >= 0 {
			return raw[:i+1] + size + raw[i+1+len(s):]
		}
	}
	return raw
}

// inatScaled gives a variant's dimensions: the original's scaled so its
// longest side fits the variant (square crops to 75×75).
func inatScaled(w, h int, size string) (int, int) {
	if size == "square" {
		return 75, 75
	}
	m := inatSizes[size]
	long := max(w, h)
	if m == 0 || long <= m {
		return w, h
	}
	return max(1, (w*m+long/2)/long), max(1, (h*m+long/2)/long)
}

// inatLicense names an iNaturalist licence code and links its deed
// (iNaturalist uses version 4.0 of the Creative Commons licences).
func inatLicense(code string) (name, deed string) {
	code = strings.ToLower(strings.TrimSpace(code))
	switch {
	case code == "":
		return "", ""
	case code == "cc0":
		return "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"
	case code == "pd":
		return "Public domain", ""
	case code == "gfdl":
		return "GFDL", "https://www.gnu.org/licenses/fdl-1.3.html"
	case strings.HasPrefix(code, "cc-"):
		return ccName(code, "4.0"), "https://creativecommons.org/licenses/" + strings.TrimPrefix(code, "cc-") + "/4.0/"
	}
	return code, ""
}

// parseINaturalistError reads the API's {"error": ..., "status": ...}:
// error is a message string, or {"original": <upstream error body>} (see
// renderError in iNaturalistAPI's lib/util.js). Paging past the 10,000th
// result is a 403 "Result window is too large".
func parseINaturalistError(status int, body []byte) *APIError {
	var eb struct {
		Error  json.RawMessage `json:"error"`
		Status json.RawMessage `json:"status"`
	}
	if jsonUnmarshal(body, &eb) == nil && len(eb.Error) > 0 {
		var s string
		if json.Unmarshal(eb.Error, &s) == nil {
			return newAPIError("inaturalist", status, "", s)
		}
		var o struct {
			Original struct {
				Error   string `json:"error"`
				Message string `json:"message"`
			} `json:"original"`
			Message string `json:"message"`
		}
		if json.Unmarshal(eb.Error, &o) == nil {
			if m := firstNonEmpty(o.Original.Error, o.Original.Message, o.Message); m != "" {
				return newAPIError("inaturalist", status, "", m)
			}
		}
		return newAPIError("inaturalist", status, "", compactJSON(eb.Error))
	}
	return newAPIError("inaturalist", status, "", fallbackMessage(body))
}
