package search

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labelfree/labelfree"
)

// BingKeyEnv is the environment variable Bing reads its key from when
// Bing.Key is empty.
const BingKeyEnv = "BING_SEARCH_KEY"

// DefaultBingEndpoint is the historical Bing Search v7 endpoint.
const DefaultBingEndpoint = "https://api.bing.microsoft.com"

// bingMaxCount is the API's documented maximum count per request.
const bingMaxCount = 150

// Bing is a client for the Bing Image Search API v7
// (GET {Endpoint}/v7.0/images/search, key in the Ocp-Apim-Subscription-Key
// header, paging by count/offset).
//
// Microsoft retired the public Bing Search APIs in August 2025: new keys
// are no longer issued and the default endpoint no longer answers. This
// client is kept for services that still speak the v7 protocol (set
// Endpoint), and it is not labelfree's default provider; use Openverse,
// Wikimedia or INaturalist for openly licensed images.
//
// The zero value is usable once a key is in BING_SEARCH_KEY. A Bing is
// safe for concurrent use; its rate limit is shared by all its queries.
type Bing struct {
	// Key is the subscription key; "" reads BING_SEARCH_KEY. It is sent
	// only in the request header and never appears in errors.
	Key string
	// Endpoint is the base URL ("https://host"); "" means
	// DefaultBingEndpoint. The path /v7.0/images/search is appended.
	Endpoint string
	// Market is the mkt parameter ("en-US"); "" lets the API choose.
	Market string
	// SafeSearch is "Off", "Moderate" or "Strict"; "" means the API's
	// default (Moderate).
	SafeSearch string
	// HTTP holds rate limit, retries and timeouts; RateLimit 0 means 3
	// requests per second (the old free tier's limit).
	HTTP HTTPConfig

	lazy lazy
}

// Name returns "bing".
func (b *Bing) Name() string { return "bing" }

// Validate checks the fields.
func (b *Bing) Validate() error {
	if err := checkEndpoint("search.bing", "Endpoint", b.Endpoint); err != nil {
		return err
	}
	switch strings.ToLower(b.SafeSearch) {
	case "", "off", "moderate", "strict":
	default:
		return &labelfree.ParamError{Stage: "search.bing", Field: "SafeSearch", Reason: fmt.Sprintf("%q is not Off, Moderate or Strict", b.SafeSearch)}
	}
	return b.HTTP.validate("search.bing")
}

// Search fetches one page of image results.
func (b *Bing) Search(ctx context.Context, q Query) (Page, error) {
	if err := checkQuery(b.Name(), q); err != nil {
		return Page{}, err
	}
	if strings.TrimSpace(q.Text) == "" {
		return Page{}, &labelfree.ParamError{Stage: "search.bing", Field: "Query.Text", Reason: "must not be empty"}
	}
	d, err := b.lazy.get(func() (*doer, error) {
		if err := b.Validate(); err != nil {
			return nil, err
		}
		k := orEnv(b.Key, BingKeyEnv)
		if k == "" {
			return nil, fmt.Errorf("search: bing: set Bing.Key or %s: %w", BingKeyEnv, ErrNoKey)
		}
		return newDoer(b.Name(), b.HTTP, 3, k), nil
	})
	if err != nil {
		return Page{}, err
	}
	count := pageSize(q.PageSize, 35, bingMaxCount)
	offset := q.Page * count
	v := url.Values{}
	v.Set("q", q.Text)
	v.Set("count", strconv.Itoa(count))
	v.Set("offset", strconv.Itoa(offset))
	if b.Market != "" {
		v.Set("mkt", b.Market)
	}
	if b.SafeSearch != "" {
		v.Set("safeSearch", b.SafeSearch)
	}
	base := b.Endpoint
	if base == "" {
		base = DefaultBingEndpoint
	}
	key := d.secrets[0] // the key the client was built with
	var page Page
	err = d.do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := getRequest(ctx, base, "/v7.0/images/search", v)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Ocp-Apim-Subscription-Key", key)
		return req, nil
	}, func(status int, h http.Header, body []byte) error {
		if status != http.StatusOK {
			return parseBingError(status, body)
		}
		p, err := parseBingPage(body, q.Text, offset)
		page = p
		return err
	})
	return page, err
}

// bingAnswer is the documented Images answer.
type bingAnswer struct {
	Type                  string      `json:"_type"`
	TotalEstimatedMatches int         `json:"totalEstimatedMatches"`
	NextOffset            *int        `json:"nextOffset"`
	Value                 []bingImage `json:"value"`
}

type bingImage struct {
	Name           string `json:"name"`
	ImageID        string `json:"imageId"`
	ContentURL     string `json:"contentUrl"`
	HostPageURL    string `json:"hostPageUrl"`
	ThumbnailURL   string `json:"thumbnailUrl"`
	EncodingFormat string `json:"encodingFormat"`
	Width          int    `json:"width"`
	Height         int    `json:"height"`
}

// parseBingPage decodes a 200 body.
func parseBingPage(body []byte, text string, offset int) (Page, error) {
	var a bingAnswer
	if err := decodeJSON("bing", body, &a); err != nil {
		return Page{}, err
	}
	if a.Type == "ErrorResponse" {
		return Page{}, parseBingError(http.StatusOK, body)
	}
	p := Page{Total: max(a.TotalEstimatedMatches, 0)}
	for _, im := range a.Value {
		if im.ContentURL == "" {
			continue
		}
		p.Results = append(p.Results, Result{
			Provider:     "bing",
			ID:           im.ImageID,
			Query:        text,
			Rank:         len(p.Results),
			ImageURL:     im.ContentURL,
			PageURL:      im.HostPageURL,
			ThumbnailURL: im.ThumbnailURL,
			Width:        max(im.Width, 0),
			Height:       max(im.Height, 0),
			Format:       normFormat(im.EncodingFormat),
			Title:        im.Name,
		})
	}
	next := offset + len(a.Value)
	if a.NextOffset != nil {
		next = *a.NextOffset
	}
	p.More = len(a.Value) > 0 && next > offset && (a.TotalEstimatedMatches == 0 || next < a.TotalEstimatedMatches)
	return p, nil
}

// bingErrorBody is the documented ErrorResponse, plus the API Management
// gateway's {"error":{code,message}} shape some deployments answer with.
type bingErrorBody struct {
	Type   string `json:"_type"`
	Errors []struct {
		Code        string `json:"code"`
		SubCode     string `json:"subCode"`
		Message     string `json:"message"`
		MoreDetails string `json:"moreDetails"`
		Parameter   string `json:"parameter"`
	} `json:"errors"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func parseBingError(status int, body []byte) *APIError {
	var eb bingErrorBody
	if err := jsonUnmarshal(body, &eb); err == nil {
		if len(eb.Errors) > 0 {
			e := eb.Errors[0]
			code := e.Code
			if e.SubCode != "" {
				code += "/" + e.SubCode
			}
			msg := e.Message
			if e.MoreDetails != "" && e.MoreDetails != e.Message {
				msg += " (" + e.MoreDetails + ")"
			}
			if e.Parameter != "" {
				msg += " [parameter " + e.Parameter + "]"
			}
			if status == http.StatusOK {
				status = bingStatusForCode(e.Code)
			}
			return newAPIError("bing", status, code, msg)
		}
		if eb.Error != nil {
			return newAPIError("bing", status, eb.Error.Code, eb.Error.Message)
		}
	}
	if status == http.StatusOK {
		status = http.StatusBadGateway
	}
	return newAPIError("bing", status, "", fallbackMessage(body))
}

// bingStatusForCode maps the documented error codes to the statuses the
// API sends with them, for an ErrorResponse that came with a 200.
func bingStatusForCode(code string) int {
	switch code {
	case "InvalidRequest":
		return http.StatusBadRequest
	case "InvalidAuthorization":
		return http.StatusUnauthorized
	case "InsufficientAuthorization":
		return http.StatusForbidden
	case "RateLimitExceeded":
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}
