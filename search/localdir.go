package search

import (
	"context"
	"fmt"
	"image"
	_ "image/gif"  // register GIF for DecodeConfig
	_ "image/jpeg" // register JPEG for DecodeConfig
	_ "image/png"  // register PNG for DecodeConfig
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	_ "golang.org/x/image/webp" // register WebP for DecodeConfig

	"github.com/labelfree/labelfree"
)

// LocalDir is a provider over image files in a local directory tree, for
// photos you already have (camera-trap cards, a previous download) and for
// offline runs. A file matches a query when every word of the query
// appears as a word of its path below Root (case-insensitive, up to a
// plural ending; "_", "-", "." and "/" separate words), so "snow leopard" finds snow_leopard/0001.jpg and
// cams/Snow-Leopard-3.png; an empty query matches every image.
//
// Results are in lexical path order, ImageURL is a file:// URL, and Width,
// Height and Format come from the file's header (image.DecodeConfig), not
// its name; a file whose header does not decode is still returned, with
// zero size, so the download stage reports it rather than losing it
// silently. Symbolic links are not followed. The tree is walked on every
// call: it may change between pages.
type LocalDir struct {
	// Root is the directory searched (required).
	Root string
	// Extensions are the file extensions considered images, lower case
	// with the dot; nil means .jpg .jpeg .png .gif .webp.
	Extensions []string
	// SkipHidden skips files and directories whose names start with ".".
	SkipHidden bool
}

// Name returns "localdir".
func (l *LocalDir) Name() string { return "localdir" }

// Validate checks the fields.
func (l *LocalDir) Validate() error {
	if l.Root == "" {
		return &labelfree.ParamError{Stage: "search.localdir", Field: "Root", Reason: "must be set"}
	}
	for _, e := range l.Extensions {
		if !strings.HasPrefix(e, ".") || e != strings.ToLower(e) {
			return &labelfree.ParamError{Stage: "search.localdir", Field: "Extensions", Reason: fmt.Sprintf("%q is not a lower-case extension starting with a dot", e)}
		}
	}
	return nil
}

// Search returns one page of matching files.
func (l *LocalDir) Search(ctx context.Context, q Query) (Page, error) {
	if err := checkQuery(l.Name(), q); err != nil {
		return Page{}, err
	}
	if err := l.Validate(); err != nil {
		return Page{}, err
	}
	root, err := filepath.Abs(l.Root)
	if err != nil {
		return Page{}, fmt.Errorf("search: localdir: %w", err)
	}
	exts := l.Extensions
	if exts == nil {
		exts = []string{".jpg", ".jpeg", ".png", ".gif", ".webp"}
	}
	words := strings.Fields(normPath(q.Text))
	var matches []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if l.SkipHidden && path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		ext := strings.ToLower(filepath.Ext(path))
		ok := false
		for _, e := range exts {
			ok = ok || ext == e
		}
		if !ok {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if !matchWords(strings.Fields(normPath(rel)), words) {
			return nil
		}
		matches = append(matches, rel)
		return nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("search: localdir: %w", err)
	}
	sort.Strings(matches)
	size := pageSize(q.PageSize, 100, 1<<20)
	start := q.Page * size
	p := Page{Total: len(matches)}
	if start >= len(matches) {
		return p, nil
	}
	end := min(start+size, len(matches))
	for _, rel := range matches[start:end] {
		abs := filepath.Join(root, rel)
		r := Result{
			Provider: "localdir",
			ID:       filepath.ToSlash(rel),
			Query:    q.Text,
			Rank:     len(p.Results),
			ImageURL: (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(),
			Title:    filepath.Base(rel),
		}
		if f, err := os.Open(abs); err == nil {
			if cfg, format, err := image.DecodeConfig(f); err == nil {
				r.Width, r.Height, r.Format = cfg.Width, cfg.Height, format
			}
			f.Close()
		}
		p.Results = append(p.Results, r)
	}
	p.More = end < len(matches)
	return p, nil
}

// normPath lower-cases s and turns path and word separators into spaces.
func normPath(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', '/', '\\':
			return ' '
		}
		return r
	}, strings.ToLower(s))
}

// matchWords reports whether every query word is one of the path words.
func matchWords(path, query []string) bool {
	for _, q := range query {
		found := false
		for _, p := range path {
			if sameWord(p, q) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
