package search

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labelfree/labelfree"
)

// DefaultWikimediaEndpoint is the MediaWiki Action API of Wikimedia Commons.
const DefaultWikimediaEndpoint = "https://commons.wikimedia.org/w/api.php"

// Wikimedia limits: gsrlimit is at most 50 for clients without the bot
// right, and so is the number of scaled thumbnails per request.
const wikimediaMaxLimit = 50

// Wikimedia searches Wikimedia Commons through the MediaWiki Action API:
// action=query with generator=search over the File namespace (6) and
// prop=imageinfo (iiprop=url|size|mime|extmetadata) for the file URL, a
// thumbnail, the size, the format and the licence and author from the
// extended metadata. Paging follows the API's continue.gsroffset.
//
// Wikimedia's User-Agent policy requires a descriptive User-Agent with a
// way to contact you; set HTTP.UserAgent before running at any scale.
// Requests carry maxlag, so the API defers them when its databases lag,
// and the client waits as asked (Retry-After) before retrying.
//
// The zero value is usable. A Wikimedia is safe for concurrent use.
type Wikimedia struct {
	// Endpoint is the api.php URL; "" means DefaultWikimediaEndpoint. Any
	// MediaWiki with CirrusSearch and file pages works.
	Endpoint string
	// FileType is the CirrusSearch filetype: filter added to the query;
	// "" means "bitmap" (photographs and other raster images), "-" adds
	// none.
	FileType string
	// ThumbWidth is the width of the thumbnails asked for (iiurlwidth);
	// 0 means 320.
	ThumbWidth int
	// MaxLag is the maxlag parameter in seconds; 0 means 5, negative sends
	// none.
	MaxLag int
	// HTTP holds rate limit, retries and timeouts; RateLimit 0 means 1
	// request per second (Wikimedia asks for serial requests).
	HTTP HTTPConfig

	lazy lazy
}

// Name returns "wikimedia".
func (w *Wikimedia) Name() string { return "wikimedia" }

// Validate checks the fields.
func (w *Wikimedia) Validate() error {
	if err := checkEndpoint("search.wikimedia", "Endpoint", w.Endpoint); err != nil {
		return err
	}
	if w.ThumbWidth < 0 {
		return &labelfree.ParamError{Stage: "search.wikimedia", Field: "ThumbWidth", Reason: "must not be negative"}
	}
	if strings.ContainsAny(w.FileType, " \t\n") {
		return &labelfree.ParamError{Stage: "search.wikimedia", Field: "FileType", Reason: "must be one word"}
	}
	return w.HTTP.validate("search.wikimedia")
}

// Search fetches one page of file results.
func (w *Wikimedia) Search(ctx context.Context, q Query) (Page, error) {
	if err := checkQuery(w.Name(), q); err != nil {
		return Page{}, err
	}
	if strings.TrimSpace(q.Text) == "" {
		return Page{}, &labelfree.ParamError{Stage: "search.wikimedia", Field: "Query.Text", Reason: "must not be empty"}
	}
	d, err := w.lazy.get(func() (*doer, error) {
		if err := w.Validate(); err != nil {
			return nil, err
		}
		return newDoer(w.Name(), w.HTTP, 1), nil
	})
	if err != nil {
		return Page{}, err
	}
	limit := pageSize(q.PageSize, 20, wikimediaMaxLimit)
	offset := q.Page * limit
	text := q.Text
	switch w.FileType {
	case "":
		text += " filetype:bitmap"
	case "-":
	default:
		text += " filetype:" + w.FileType
	}
	thumb := w.ThumbWidth
	if thumb == 0 {
		thumb = 320
	}
	v := url.Values{}
	v.Set("action", "query")
	v.Set("format", "json")
	v.Set("formatversion", "2")
	v.Set("generator", "search")
	v.Set("gsrsearch", text)
	v.Set("gsrnamespace", "6")
	v.Set("gsrlimit", strconv.Itoa(limit))
	v.Set("gsroffset", strconv.Itoa(offset))
	v.Set("prop", "imageinfo")
	v.Set("iiprop", "url|size|mime|extmetadata")
	v.Set("iiurlwidth", strconv.Itoa(thumb))
	v.Set("iiextmetadatafilter", "ObjectName|LicenseShortName|LicenseUrl|Artist|Credit|UsageTerms")
	switch {
	case w.MaxLag == 0:
		v.Set("maxlag", "5")
	case w.MaxLag > 0:
		v.Set("maxlag", strconv.Itoa(w.MaxLag))
	}
	base := w.Endpoint
	if base == "" {
		base = DefaultWikimediaEndpoint
	}
	var page Page
	err = d.do(ctx, func(ctx context.Context) (*http.Request, error) {
		return getRequest(ctx, base, "", v)
	}, func(status int, h http.Header, body []byte) error {
		if status != http.StatusOK {
			return parseWikimediaError(status, body)
		}
		p, err := parseWikimediaPage(body, q.Text)
		page = p
		return err
	})
	return page, err
}

// wikimediaAnswer is the formatversion=2 query response.
type wikimediaAnswer struct {
	Error    *wikimediaError `json:"error"`
	Continue *struct {
		GsrOffset *int `json:"gsroffset"`
	} `json:"continue"`
	Query *struct {
		Pages []struct {
			PageID    int    `json:"pageid"`
			NS        int    `json:"ns"`
			Title     string `json:"title"`
			Index     int    `json:"index"`
			Missing   bool   `json:"missing"`
			ImageInfo []struct {
				Size           int64  `json:"size"`
				Width          int    `json:"width"`
				Height         int    `json:"height"`
				ThumbURL       string `json:"thumburl"`
				URL            string `json:"url"`
				DescriptionURL string `json:"descriptionurl"`
				Mime           string `json:"mime"`
				ExtMetadata    map[string]struct {
					Value json.RawMessage `json:"value"`
				} `json:"extmetadata"`
			} `json:"imageinfo"`
		} `json:"pages"`
	} `json:"query"`
}

type wikimediaError struct {
	Code string `json:"code"`
	Info string `json:"info"`
	// "*" holds details in formatversion=1; "text" with errorformat=plaintext.
	Text string `json:"text"`
}

func parseWikimediaPage(body []byte, text string) (Page, error) {
	var a wikimediaAnswer
	if err := decodeJSON("wikimedia", body, &a); err != nil {
		return Page{}, err
	}
	if a.Error != nil {
		return Page{}, wikimediaAPIError(http.StatusOK, a.Error)
	}
	var p Page
	if a.Query != nil {
		pages := a.Query.Pages
		sort.SliceStable(pages, func(i, j int) bool { return pages[i].Index < pages[j].Index })
		for _, pg := range pages {
			if len(pg.ImageInfo) == 0 || pg.ImageInfo[0].URL == "" {
				continue
			}
			ii := pg.ImageInfo[0]
			meta := func(k string) string {
				m, ok := ii.ExtMetadata[k]
				if !ok {
					return ""
				}
				return metaText(m.Value)
			}
			title := meta("ObjectName")
			if title == "" {
				title = strings.TrimPrefix(pg.Title, "File:")
			}
			p.Results = append(p.Results, Result{
				Provider:     "wikimedia",
				ID:           strconv.Itoa(pg.PageID),
				Query:        text,
				Rank:         len(p.Results),
				ImageURL:     ii.URL,
				PageURL:      ii.DescriptionURL,
				ThumbnailURL: ii.ThumbURL,
				Width:        max(ii.Width, 0),
				Height:       max(ii.Height, 0),
				Format:       normFormat(ii.Mime),
				Title:        title,
				License:      firstNonEmpty(meta("LicenseShortName"), meta("UsageTerms")),
				LicenseURL:   meta("LicenseUrl"),
				Attribution:  firstNonEmpty(meta("Artist"), meta("Credit")),
			})
		}
	}
	p.More = a.Continue != nil && a.Continue.GsrOffset != nil
	return p, nil
}

// metaText renders an extmetadata value (HTML in a string, sometimes a
// number or a language map) as plain text.
func metaText(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		var m map[string]string
		if json.Unmarshal(raw, &m) == nil {
			if v, ok := m["en"]; ok {
				s = v
			} else {
				keys := make([]string, 0, len(m))
				for k := range m {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				if len(keys) > 0 {
					s = m[keys[0]]
				}
			}
		}
	}
	return stripHTML(s)
}

// stripHTML removes tags, decodes entities and collapses white space.
func stripHTML(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

// wikimediaAPIError builds the *APIError for an error object. maxlag,
// ratelimited and readonly are transient: the client retries them.
func wikimediaAPIError(status int, e *wikimediaError) *APIError {
	ae := newAPIError("wikimedia", status, e.Code, firstNonEmpty(e.Info, e.Text))
	switch e.Code {
	case "maxlag", "ratelimited", "readonly":
		ae.retryable = true
		if e.Code == "ratelimited" && status == http.StatusOK {
			ae.Status = http.StatusTooManyRequests
		}
	}
	return ae
}

func parseWikimediaError(status int, body []byte) *APIError {
	var a struct {
		Error *wikimediaError `json:"error"`
	}
	if jsonUnmarshal(body, &a) == nil && a.Error != nil {
		ae := wikimediaAPIError(status, a.Error)
		if status == http.StatusTooManyRequests || status >= 500 {
			ae.retryable = true
		}
		return ae
	}
	return newAPIError("wikimedia", status, "", fallbackMessage(body))
}
