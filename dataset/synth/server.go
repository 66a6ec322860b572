package synth

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"image/jpeg"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/search"
)

// ServerConfig configures a fake image-search server. The zero value serves
// "snow leopard" scenes and random-word negatives at 320×240.
type ServerConfig struct {
	// Seed varies every scene the server returns.
	Seed uint64
	// Positive lists the query texts (matched case-insensitively, as
	// substrings) whose results show animals; nil means {"snow leopard"}.
	Positive []string
	// Width and Height are the scene size; 0 means 320×240.
	Width, Height int
	// Quality is the JPEG quality, 1 to 100; 0 means 85.
	Quality int
	// PositiveResults is how many results a positive query has over all
	// pages; 0 means 500.
	PositiveResults int
	// NegativeResults is how many results any other query has; 0 means 50.
	NegativeResults int
	// MaxAnimals bounds the animals in a positive scene (1 to 8); 0 means
	// 2. Most positive scenes hold one.
	MaxAnimals int
	// MaxClutter bounds the distractor objects in every scene; 0 means 4,
	// negative means none.
	MaxClutter int
	// LabelNoise is the fraction of positive-query results that show no
	// animal, as real web searches return.
	LabelNoise float64
	// Duplicates is the fraction of results that repeat an earlier result's
	// bytes under another URL; NearDuplicates the fraction that re-encode
	// an earlier result at a lower JPEG quality.
	Duplicates, NearDuplicates float64
	// Broken is the fraction of results whose image URL answers 404.
	Broken float64
}

func (c ServerConfig) withDefaults() ServerConfig {
	if c.Positive == nil {
		c.Positive = []string{"snow leopard"}
	}
	if c.Width == 0 {
		c.Width = 320
	}
	if c.Height == 0 {
		c.Height = 240
	}
	if c.Quality == 0 {
		c.Quality = 85
	}
	if c.PositiveResults == 0 {
		c.PositiveResults = 500
	}
	if c.NegativeResults == 0 {
		c.NegativeResults = 50
	}
	if c.MaxAnimals == 0 {
		c.MaxAnimals = 2
	}
	if c.MaxClutter == 0 {
		c.MaxClutter = 4
	}
	if c.MaxClutter < 0 {
		c.MaxClutter = 0
	}
	return c
}

// Validate reports a bad field.
func (c ServerConfig) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: "synth.Server", Field: field, Reason: reason}
	}
	d := c.withDefaults()
	if err := (Spec{Width: d.Width, Height: d.Height}).Validate(); err != nil {
		var pe *labelfree.ParamError
		if errors.As(err, &pe) {
			return bad(pe.Field, pe.Reason)
		}
		return err
	}
	switch {
	case d.Quality < 1 || d.Quality > 100:
		return bad("Quality", "must be in [1, 100]")
	case d.PositiveResults < 0:
		return bad("PositiveResults", "must not be negative")
	case d.NegativeResults < 0:
		return bad("NegativeResults", "must not be negative")
	case d.MaxAnimals < 1 || d.MaxAnimals > MaxAnimals:
		return bad("MaxAnimals", fmt.Sprintf("must be in [1, %d]", MaxAnimals))
	case d.MaxClutter > MaxClutter:
		return bad("MaxClutter", fmt.Sprintf("must be at most %d", MaxClutter))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"LabelNoise", d.LabelNoise}, {"Duplicates", d.Duplicates}, {"NearDuplicates", d.NearDuplicates}, {"Broken", d.Broken}} {
		if !(f.v >= 0 && f.v <= 1) {
			return bad(f.name, "must be a fraction in [0, 1]")
		}
	}
	if d.Duplicates+d.NearDuplicates+d.Broken > 1 {
		return bad("Duplicates", "Duplicates+NearDuplicates+Broken exceeds 1")
	}
	return nil
}

// A Server is a fake image-search service on a loopback port. It answers
//
//	GET /search?q=TEXT&page=N&count=M
//
// with JSON (see Provider) and serves each result's scene as a JPEG at its
// URL. Scenes are rendered on request and kept in a small cache.
type Server struct {
	cfg   ServerConfig
	ln    net.Listener
	srv   *http.Server
	base  string
	fetch atomic.Int64

	mu    sync.Mutex
	cache map[string][]byte
}

// NewServer starts a server on 127.0.0.1 at a free port. Close stops it.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("synth: listen: %w", err)
	}
	s := &Server{cfg: cfg.withDefaults(), ln: ln, base: "http://" + ln.Addr().String(), cache: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /search", s.handleSearch)
	mux.HandleFunc("GET /images/{name}", s.handleImage)
	mux.HandleFunc("GET /pages/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>synthetic scene</title><img src=\"/images/%s.jpg\">", url.PathEscape(r.PathValue("name")))
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close.
	return s, nil
}

// URL returns the server's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.base }

// Provider returns a search client for this server.
func (s *Server) Provider() *Provider { return &Provider{BaseURL: s.base} }

// ImageRequests returns how many image requests the server has answered
// (successfully or not), to check that finished downloads are not fetched
// again.
func (s *Server) ImageRequests() int64 { return s.fetch.Load() }

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// image ids: a kind letter then the scene seed in hex.
//
//	p<seed>      positive scene
//	n<seed>      negative scene
//	p<seed>-d<k> exact duplicate (same bytes, another URL)
//	p<seed>-q<k> near duplicate (re-encoded at lower quality)
//	x<seed>      broken link (404)
type imageID struct {
	kind    byte
	seed    uint64
	variant string // "", "d", "q"
}

func (id imageID) String() string { return fmt.Sprintf("%c%016x", id.kind, id.seed) }

func parseImageID(name string) (imageID, error) {
	name = strings.TrimSuffix(name, ".jpg")
	base, variant, _ := strings.Cut(name, "-")
	if len(base) != 17 || (base[0] != 'p' && base[0] != 'n' && base[0] != 'x') {
		return imageID{}, fmt.Errorf("synth: bad image name %q", name)
	}
	seed, err := strconv.ParseUint(base[1:], 16, 64)
	if err != nil {
		return imageID{}, fmt.Errorf("synth: bad image name %q", name)
	}
	id := imageID{kind: base[0], seed: seed}
	if variant != "" {
		id.variant = variant[:1]
		if id.variant != "d" && id.variant != "q" {
			return imageID{}, fmt.Errorf("synth: bad image variant %q", variant)
		}
	}
	return id, nil
}

// hash64 mixes the parts into a well-spread 64-bit value.
func hash64(seed uint64, parts ...string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func unit(v uint64) float64 { return float64(v>>11) / (1 << 53) }

// IsPositive reports whether the server treats query text as naming the
// positive class.
func (s *Server) IsPositive(query string) bool {
	q := strings.ToLower(query)
	for _, p := range s.cfg.Positive {
		if p != "" && strings.Contains(q, strings.ToLower(p)) {
			return true
		}
	}
	return false
}

// resultID returns the image id of a query's rank-th result.
func (s *Server) resultID(query string, rank int) imageID {
	q := strings.ToLower(strings.TrimSpace(query))
	h := hash64(s.cfg.Seed, q, strconv.Itoa(rank))
	kind := byte('n')
	if s.IsPositive(query) && unit(hash64(h, "noise")) >= s.cfg.LabelNoise {
		kind = 'p'
	}
	id := imageID{kind: kind, seed: h}
	// Copies refer to an earlier result of the same query.
	r := unit(hash64(h, "variant"))
	if rank > 0 {
		earlier := s.resultID(query, int(hash64(h, "of")%uint64(rank)))
		switch {
		case r < s.cfg.Duplicates:
			earlier.variant = "d"
			return earlier
		case r < s.cfg.Duplicates+s.cfg.NearDuplicates:
			earlier.variant = "q"
			return earlier
		}
	}
	if r >= 1-s.cfg.Broken {
		id.kind = 'x'
	}
	return id
}

// spec returns the scene spec of an image id.
func (s *Server) spec(id imageID) Spec {
	sp := Spec{Seed: id.seed, Width: s.cfg.Width, Height: s.cfg.Height}
	if s.cfg.MaxClutter > 0 {
		sp.Clutter = int(hash64(id.seed, "clutter") % uint64(s.cfg.MaxClutter+1))
	}
	if id.kind == 'p' {
		// One animal most of the time, more now and then.
		sp.Animals = 1
		for sp.Animals < s.cfg.MaxAnimals && unit(hash64(id.seed, "animals", strconv.Itoa(sp.Animals))) < 0.25 {
			sp.Animals++
		}
	}
	return sp
}

func (s *Server) imageURL(id imageID, rank int) string {
	name := id.String()
	if id.variant != "" {
		name += fmt.Sprintf("-%s%d", id.variant, rank)
	}
	return s.base + "/images/" + name + ".jpg"
}

func (s *Server) idFromURL(imageURL string) (imageID, bool) {
	u, err := url.Parse(imageURL)
	if err != nil || !strings.HasPrefix(u.Path, "/images/") {
		return imageID{}, false
	}
	id, err := parseImageID(strings.TrimPrefix(u.Path, "/images/"))
	return id, err == nil
}

// Scene renders the scene behind an image URL the server returned; the
// scene's Boxes and Mask are the truth for that image.
func (s *Server) Scene(imageURL string) (*Scene, error) {
	id, ok := s.idFromURL(imageURL)
	if !ok || id.kind == 'x' {
		return nil, fmt.Errorf("synth: %q is not an image of this server", imageURL)
	}
	return Render(s.spec(id))
}

// Truth returns the true boxes of the image at imageURL (empty for a scene
// without animals) and whether the URL is one of this server's images.
func (s *Server) Truth(imageURL string) ([]labelfree.Box, bool) {
	sc, err := s.Scene(imageURL)
	if err != nil {
		return nil, false
	}
	return sc.Boxes, true
}

// ResultTruth is Truth for a search result, shaped for
// dataset.StitchOptions.Truth.
func (s *Server) ResultTruth(r search.Result) ([]labelfree.Box, bool) {
	return s.Truth(r.ImageURL)
}

// maxCache bounds the rendered images kept in memory.
const maxCache = 2048

func (s *Server) jpeg(id imageID) ([]byte, error) {
	key := id.String() + id.variant
	s.mu.Lock()
	b, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return b, nil
	}
	sc, err := Render(s.spec(id))
	if err != nil {
		return nil, err
	}
	q := s.cfg.Quality
	if id.variant == "q" {
		q = max(1, q*2/3)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, sc.Image, &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	b = buf.Bytes()
	s.mu.Lock()
	if len(s.cache) >= maxCache {
		clear(s.cache)
	}
	s.cache[key] = b
	s.mu.Unlock()
	return b, nil
}

func (s *Server) handleImage(w http.ResponseWriter, r *http.Request) {
	s.fetch.Add(1)
	id, err := parseImageID(r.PathValue("name"))
	if err != nil || id.kind == 'x' {
		http.NotFound(w, r)
		return
	}
	b, err := s.jpeg(id)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b) //nolint:errcheck // the client went away
}

// MaxPageSize is the most results one search page returns.
const MaxPageSize = 100

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(errorResponse{Error: msg}) //nolint:errcheck
	}
	q := r.URL.Query()
	text := strings.TrimSpace(q.Get("q"))
	if text == "" {
		fail(http.StatusBadRequest, "missing query parameter q")
		return
	}
	page, count := 0, 20
	var err error
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 0 {
			fail(http.StatusBadRequest, "page must be a non-negative integer")
			return
		}
	}
	if v := q.Get("count"); v != "" {
		if count, err = strconv.Atoi(v); err != nil || count < 1 {
			fail(http.StatusBadRequest, "count must be a positive integer")
			return
		}
	}
	count = min(count, MaxPageSize)
	total := s.cfg.NegativeResults
	if s.IsPositive(text) {
		total = s.cfg.PositiveResults
	}
	resp := searchResponse{Query: text, Page: page, Total: total, Results: []searchHit{}}
	start := min(int64(page)*int64(count), int64(total))
	end := min(start+int64(count), int64(total))
	for rank := int(start); rank < int(end); rank++ {
		id := s.resultID(text, rank)
		name := strings.TrimSuffix(strings.TrimPrefix(s.imageURL(id, rank), s.base+"/images/"), ".jpg")
		resp.Results = append(resp.Results, searchHit{
			ID:           name,
			URL:          s.imageURL(id, rank),
			PageURL:      s.base + "/pages/" + name,
			ThumbnailURL: s.imageURL(id, rank),
			Width:        s.cfg.Width,
			Height:       s.cfg.Height,
			Format:       "jpeg",
			Title:        fmt.Sprintf("%s %d", text, rank+1),
			License:      "CC0-1.0",
			Attribution:  "labelfree synthetic scene",
		})
	}
	resp.More = end < int64(total)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp) //nolint:errcheck
}
