package search

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedFixtures adds every fixture whose name starts with prefix.
func seedFixtures(f *testing.F, prefix string) {
	names, err := filepath.Glob(filepath.Join("testdata", prefix+"*"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixtures for %s", prefix)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"error": null, "errors": [], "results": [null], "value": [{}]}`))
}

// checkPage holds for every page a parser returns without error.
func checkPage(t *testing.T, p Page, err error) {
	if err != nil {
		return
	}
	if p.Total < 0 {
		t.Fatalf("negative total %d", p.Total)
	}
	for i, r := range p.Results {
		if r.Rank != i {
			t.Fatalf("result %d has rank %d", i, r.Rank)
		}
		if r.ImageURL == "" {
			t.Fatalf("result %d has no image URL", i)
		}
		if r.Width < 0 || r.Height < 0 {
			t.Fatalf("result %d has negative size", i)
		}
	}
}

func checkAPIError(t *testing.T, e *APIError, status int) {
	if e == nil {
		t.Fatal("nil error")
	}
	if len(e.Message) > maxMessage+len("…") {
		t.Fatalf("message of %d bytes", len(e.Message))
	}
	if strings.Contains(e.Error(), "<html") {
		t.Fatal("HTML copied into the error")
	}
	_ = status
}

func FuzzParseBing(f *testing.F) {
	seedFixtures(f, "bing_")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseBingPage(b, "q", 0)
		checkPage(t, p, err)
		checkAPIError(t, parseBingError(400, b), 400)
	})
}

func FuzzParseBrave(f *testing.F) {
	seedFixtures(f, "brave_")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseBravePage(b, "q")
		checkPage(t, p, err)
		checkAPIError(t, parseBraveError(422, b), 422)
	})
}

func FuzzParseOpenverse(f *testing.F) {
	seedFixtures(f, "openverse_")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseOpenversePage(b, "q", 1)
		checkPage(t, p, err)
		checkAPIError(t, parseOpenverseError(400, b), 400)
	})
}

func FuzzParseWikimedia(f *testing.F) {
	seedFixtures(f, "wikimedia_")
	f.Add([]byte(`{"query":{"pages":[{"index":1,"imageinfo":[{"url":"u","extmetadata":{"Artist":{"value":{"en":"<b>x</b>"}},"LicenseShortName":{"value":3}}}]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseWikimediaPage(b, "q")
		checkPage(t, p, err)
		checkAPIError(t, parseWikimediaError(503, b), 503)
	})
}

func FuzzParseINaturalist(f *testing.F) {
	seedFixtures(f, "inaturalist_")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseINaturalistPage(b, "q", "large", false, 1, 50)
		checkPage(t, p, err)
		checkAPIError(t, parseINaturalistError(422, b), 422)
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "5", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "9999999999999999999", "1e3"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseRetryAfter(s, now); d < 0 {
			t.Fatalf("negative wait %v for %q", d, s)
		}
	})
}

func FuzzStripHTML(f *testing.F) {
	for _, s := range []string{"<a href=\"x\">Name</a> &amp; co", "<<>>", "a < b", "&#x1F600;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := stripHTML(s)
		if strings.Contains(out, "  ") || strings.TrimSpace(out) != out {
			t.Fatalf("white space not collapsed: %q", out)
		}
	})
}
