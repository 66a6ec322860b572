package search

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labelfree/labelfree"
)

// Environment variables Openverse reads its optional OAuth2 client
// credentials from when the fields are empty.
const (
	OpenverseClientIDEnv     = "OPENVERSE_CLIENT_ID"
	OpenverseClientSecretEnv = "OPENVERSE_CLIENT_SECRET"
)

// DefaultOpenverseEndpoint is the public Openverse API.
const DefaultOpenverseEndpoint = "https://api.openverse.org"

// Openverse API limits: anonymous requests may ask for at most 20 results
// a page (more is refused with 401), registered clients for 500, and no
// search pages deeper than 20.
const (
	openverseAnonPageSize = 20
	openverseAuthPageSize = 500
	openverseMaxPage      = 20
)

// Openverse is a client for the Openverse API's image search
// (GET {Endpoint}/v1/images/), a search engine of openly licensed media.
//
// It works without credentials at the anonymous limits (about one request
// a second, 20 results a page). With an OAuth2 client ID and secret
// (registered at {Endpoint}/v1/auth_tokens/register/) it fetches a
// client-credentials bearer token, refreshes it before it expires, and may
// ask for up to 500 results a page. Openverse's terms forbid scraping and
// evading its limits: keep the default rate limit unless Openverse granted
// you more.
//
// The zero value is usable. An Openverse is safe for concurrent use.
type Openverse struct {
	// ClientID and ClientSecret are optional OAuth2 client credentials;
	// "" reads OPENVERSE_CLIENT_ID / OPENVERSE_CLIENT_SECRET. Neither the
	// secret nor the token ever appears in errors.
	ClientID, ClientSecret string
	// Endpoint is the base URL; "" means DefaultOpenverseEndpoint.
	Endpoint string
	// License restricts results to licences ("by,by-sa,cc0"); LicenseType
	// to groups of them ("commercial", "modification"). "" means any.
	License, LicenseType string
	// HTTP holds rate limit, retries and timeouts; RateLimit 0 means 1
	// request per second.
	HTTP HTTPConfig

	lazy lazy

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

// Name returns "openverse".
func (o *Openverse) Name() string { return "openverse" }

// Validate checks the fields.
func (o *Openverse) Validate() error {
	if err := checkEndpoint("search.openverse", "Endpoint", o.Endpoint); err != nil {
		return err
	}
	id, secret := o.creds()
	if (id == "") != (secret == "") {
		return &labelfree.ParamError{Stage: "search.openverse", Field: "ClientSecret", Reason: "ClientID and ClientSecret must be set together"}
	}
	return o.HTTP.validate("search.openverse")
}

func (o *Openverse) creds() (id, secret string) {
	return orEnv(o.ClientID, OpenverseClientIDEnv), orEnv(o.ClientSecret, OpenverseClientSecretEnv)
}

func (o *Openverse) base() string {
	if o.Endpoint == "" {
		return DefaultOpenverseEndpoint
	}
	return o.Endpoint
}

// Search fetches one page of image results.
func (o *Openverse) Search(ctx context.Context, q Query) (Page, error) {
	if err := checkQuery(o.Name(), q); err != nil {
		return Page{}, err
	}
	if strings.TrimSpace(q.Text) == "" {
		return Page{}, &labelfree.ParamError{Stage: "search.openverse", Field: "Query.Text", Reason: "must not be empty"}
	}
	d, err := o.lazy.get(func() (*doer, error) {
		if err := o.Validate(); err != nil {
			return nil, err
		}
		_, secret := o.creds()
		return newDoer(o.Name(), o.HTTP, 1, secret), nil
	})
	if err != nil {
		return Page{}, err
	}
	if q.Page >= openverseMaxPage {
		return Page{}, nil
	}
	id, _ := o.creds()
	maxSize := openverseAnonPageSize
	if id != "" {
		maxSize = openverseAuthPageSize
	}
	size := pageSize(q.PageSize, openverseAnonPageSize, maxSize)
	v := url.Values{}
	v.Set("q", q.Text)
	v.Set("page", strconv.Itoa(q.Page+1))
	v.Set("page_size", strconv.Itoa(size))
	if o.License != "" {
		v.Set("license", o.License)
	}
	if o.LicenseType != "" {
		v.Set("license_type", o.LicenseType)
	}
	var page Page
	for try := 0; ; try++ {
		tok, err := o.bearer(ctx, d)
		if err != nil {
			return Page{}, err
		}
		err = d.do(ctx, func(ctx context.Context) (*http.Request, error) {
			req, err := getRequest(ctx, o.base(), "/v1/images/", v)
			if err != nil {
				return nil, err
			}
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			return req, nil
		}, func(status int, h http.Header, body []byte) error {
			if status != http.StatusOK {
				return parseOpenverseError(status, body)
			}
			p, err := parseOpenversePage(body, q.Text, q.Page+1)
			page = p
			return err
		})
		// A token revoked or expired early: fetch a new one, once.
		if err != nil && tok != "" && try == 0 && isStatus(err, http.StatusUnauthorized) {
			o.mu.Lock()
			o.token = ""
			o.mu.Unlock()
			continue
		}
		return page, err
	}
}

func isStatus(err error, status int) bool {
	var ae *APIError
	return asAPIError(err, &ae) && ae.Status == status
}

// bearer returns a valid access token, fetching one when credentials are
// set and none is cached; "" means anonymous.
func (o *Openverse) bearer(ctx context.Context, d *doer) (string, error) {
	id, secret := o.creds()
	if id == "" {
		return "", nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token != "" && time.Now().Before(o.tokenExp) {
		return o.token, nil
	}
	form := url.Values{}
	form.Set("grant_type", "client_credentials")
	form.Set("client_id", id)
	form.Set("client_secret", secret)
	var tok openverseToken
	err := d.do(ctx, func(ctx context.Context) (*http.Request, error) {
		u, err := joinURL(o.base(), "/v1/auth_tokens/token/")
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	}, func(status int, h http.Header, body []byte) error {
		if status != http.StatusOK {
			return parseOpenverseError(status, body)
		}
		if err := decodeJSON("openverse", body, &tok); err != nil {
			return err
		}
		if tok.AccessToken == "" {
			return fmt.Errorf("search: openverse: token response without access_token: %w", ErrMalformedResponse)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("search: openverse: fetching OAuth2 token: %w", err)
	}
	d.addSecret(tok.AccessToken)
	life := time.Duration(tok.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	// Refresh a minute early (or at half-life for short tokens).
	o.token, o.tokenExp = tok.AccessToken, time.Now().Add(life-min(time.Minute, life/2))
	return o.token, nil
}

// openverseToken is the documented OAuth2Token response.
type openverseToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// openverseAnswer is the documented paginated image search response.
type openverseAnswer struct {
	ResultCount int `json:"result_count"`
	PageCount   int `json:"page_count"`
	PageSize    int `json:"page_size"`
	Page        int `json:"page"`
	Results     []struct {
		ID                string `json:"id"`
		Title             string `json:"title"`
		ForeignLandingURL string `json:"foreign_landing_url"`
		URL               string `json:"url"`
		Creator           string `json:"creator"`
		License           string `json:"license"`
		LicenseVersion    string `json:"license_version"`
		LicenseURL        string `json:"license_url"`
		Provider          string `json:"provider"`
		Source            string `json:"source"`
		Filetype          string `json:"filetype"`
		Attribution       string `json:"attribution"`
		Height            int    `json:"height"`
		Width             int    `json:"width"`
		Thumbnail         string `json:"thumbnail"`
		Mature            bool   `json:"mature"`
	} `json:"results"`
}

func parseOpenversePage(body []byte, text string, page int) (Page, error) {
	var a openverseAnswer
	if err := decodeJSON("openverse", body, &a); err != nil {
		return Page{}, err
	}
	p := Page{Total: max(a.ResultCount, 0)}
	for _, r := range a.Results {
		if r.URL == "" {
			continue
		}
		p.Results = append(p.Results, Result{
			Provider:     "openverse",
			ID:           r.ID,
			Query:        text,
			Rank:         len(p.Results),
			ImageURL:     r.URL,
			PageURL:      r.ForeignLandingURL,
			ThumbnailURL: r.Thumbnail,
			Width:        max(r.Width, 0),
			Height:       max(r.Height, 0),
			Format:       normFormat(r.Filetype),
			Title:        r.Title,
			License:      ccName(r.License, r.LicenseVersion),
			LicenseURL:   r.LicenseURL,
			Attribution:  firstNonEmpty(r.Attribution, r.Creator),
		})
	}
	p.More = len(a.Results) > 0 && page < a.PageCount && page < openverseMaxPage
	return p, nil
}

// ccName turns a Creative Commons code and version ("by-sa", "4.0") into
// the licence's short name ("CC BY-SA 4.0"); "cc0" and "pdm" name public
// domain tools.
func ccName(code, version string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	var name string
	switch code {
	case "":
		return ""
	case "cc0":
		name = "CC0"
	case "pdm":
		name = "Public Domain Mark"
	default:
		name = "CC " + strings.ToUpper(strings.TrimPrefix(code, "cc-"))
	}
	if version != "" {
		name += " " + version
	}
	return name
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// openverseErrorBody covers the API's error shapes: Django REST
// framework's {"detail": ...} (a string, or per-field messages on
// validation errors), {"error": ..., "detail": ..., "fields": [...]}, and
// RFC 6749's {"error": ..., "error_description": ...} from the token
// endpoint.
type openverseErrorBody struct {
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
	Detail           json.RawMessage `json:"detail"`
}

func parseOpenverseError(status int, body []byte) *APIError {
	var eb openverseErrorBody
	if err := jsonUnmarshal(body, &eb); err == nil {
		msg := eb.ErrorDescription
		if len(eb.Detail) > 0 {
			var s string
			if json.Unmarshal(eb.Detail, &s) == nil {
				msg = firstNonEmpty(s, msg)
			} else {
				msg = firstNonEmpty(compactJSON(eb.Detail), msg)
			}
		}
		if eb.Error != "" || msg != "" {
			return newAPIError("openverse", status, eb.Error, msg)
		}
	}
	return newAPIError("openverse", status, "", fallbackMessage(body))
}

// compactJSON renders a JSON value on one line.
func compactJSON(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
