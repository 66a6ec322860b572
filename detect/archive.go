package detect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // decoders for archive photos
	_ "image/jpeg" // decoders for archive photos
	_ "image/png"  // decoders for archive photos
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	_ "golang.org/x/image/bmp"  // decoders for archive photos
	_ "golang.org/x/image/tiff" // decoders for archive photos
	_ "golang.org/x/image/webp" // decoders for archive photos

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// Archive runs a Detector over a folder tree of photos: the job that turns
// a camera-trap archive of hundreds of thousands of images into
// MegaDetector batch output and COCO (see ArchiveResult.Set and the
// dataset/megadetector and dataset/coco writers).
//
// Workers decode and detect in parallel; at most Workers images are in
// memory at once, each bounded by MaxPixels. Every finished image (boxes,
// or the reason it failed) is appended to the Journal, a JSON-lines file;
// a run that finds a journal skips the files it lists, so an interrupted
// job resumes without redoing finished photos. Unreadable, truncated,
// oversized and undecodable files are recorded as failures, never
// dropped. Symbolic links to files are followed, links to folders are not.
// The file list and the per-photo results (a few hundred bytes each) stay
// in memory for the final Set: a few hundred MB for a million photos.
type Archive struct {
	// Detector finds the boxes; required.
	Detector *Detector
	// Root is the folder searched recursively; required.
	Root string
	// Journal is the resume file; required. It is created when missing.
	Journal string
	// Workers is the number of images processed at once; 0 means
	// GOMAXPROCS.
	Workers int
	// Extensions lists the file name endings treated as photos, matched
	// case-insensitively; nil means .jpg, .jpeg, .png, .gif, .bmp, .tif,
	// .tiff and .webp.
	Extensions []string
	// MaxBytes fails files larger than this; 0 means 256 MiB.
	MaxBytes int64
	// MaxPixels fails images with more pixels than this, read from the
	// header before decoding; 0 means 100 megapixels.
	MaxPixels int
	// Classes names the Detector's class indices in the result; nil means
	// "class 0", "class 1", ...
	Classes []string
	// Progress, if non-nil, receives "archive" reports of finished files
	// (resumed ones included) out of all photos found.
	Progress labelfree.Progress
}

// ArchiveResult reports an archive run.
type ArchiveResult struct {
	// Set holds one annot.Image per photo found, sorted by path, with its
	// size and boxes or its Failure; write it with megadetector.Write or
	// coco.Write.
	Set *annot.Set
	// Found counts the photos under Root; Resumed those already in the
	// journal; Processed those done by this run; Failed the photos (of
	// either run) that could not be processed.
	Found, Resumed, Processed, Failed int
}

// journalEntry is one line of the journal.
type journalEntry struct {
	File    string          `json:"file"`
	Width   int             `json:"width,omitempty"`
	Height  int             `json:"height,omitempty"`
	Boxes   []labelfree.Box `json:"boxes,omitempty"`
	Failure string          `json:"failure,omitempty"`
}

var defaultExtensions = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// Run processes every photo under Root not yet in the journal. A cancelled
// context stops it promptly; what finished is in the journal.
func (a *Archive) Run(ctx context.Context) (*ArchiveResult, error) {
	switch {
	case a.Detector == nil:
		return nil, &labelfree.ParamError{Stage: "detect.Archive", Field: "Detector", Reason: "is required"}
	case a.Root == "":
		return nil, &labelfree.ParamError{Stage: "detect.Archive", Field: "Root", Reason: "is required"}
	case a.Journal == "":
		return nil, &labelfree.ParamError{Stage: "detect.Archive", Field: "Journal", Reason: "is required"}
	case a.Workers < 0 || a.MaxBytes < 0 || a.MaxPixels < 0:
		return nil, &labelfree.ParamError{Stage: "detect.Archive", Field: "Workers", Reason: "Workers, MaxBytes and MaxPixels must not be negative"}
	}
	if err := a.Detector.Validate(); err != nil {
		return nil, err
	}
	exts := a.Extensions
	if exts == nil {
		exts = defaultExtensions
	}
	var files []string
	err := filepath.WalkDir(a.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// Follow links to files (not to folders, which could loop).
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		if !slices.Contains(exts, ext) {
			return nil
		}
		rel, err := filepath.Rel(a.Root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("detect: listing %s: %w", a.Root, err)
	}
	slices.Sort(files)
	done, valid, err := readJournal(a.Journal)
	if err != nil {
		return nil, err
	}
	if valid >= 0 {
		// Drop a line truncated by a crash before appending.
		if err := os.Truncate(a.Journal, valid); err != nil {
			return nil, fmt.Errorf("detect: repairing journal: %w", err)
		}
	}
	res := &ArchiveResult{Found: len(files)}
	var todo []string
	for _, f := range files {
		if _, ok := done[f]; ok {
			res.Resumed++
		} else {
			todo = append(todo, f)
		}
	}
	jf, err := os.OpenFile(a.Journal, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("detect: opening journal: %w", err)
	}
	defer jf.Close()
	jw := bufio.NewWriter(jf)

	workers := a.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	threads := a.Detector.Threads
	if workers > 1 {
		threads = 1
	}
	jobs := make(chan string)
	results := make(chan journalEntry, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				e, err := a.process(ctx, threads, f)
				if err != nil { // cancelled: leave it for the next run
					continue
				}
				results <- e
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range todo {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var werr error
	n := res.Resumed
	for e := range results {
		done[e.File] = e
		res.Processed++
		n++
		if werr == nil {
			b, _ := json.Marshal(e)
			if _, err := jw.Write(append(b, '\n')); err != nil {
				werr = err
			} else if res.Processed%64 == 0 {
				werr = jw.Flush()
			}
		}
		if a.Progress != nil {
			a.Progress.Progress("archive", n, len(files))
		}
	}
	if err := jw.Flush(); werr == nil {
		werr = err
	}
	if werr != nil {
		return nil, fmt.Errorf("detect: writing journal: %w", werr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	classes := a.Classes
	maxClass := -1
	for _, c := range a.Detector.Classes {
		maxClass = max(maxClass, c)
	}
	for len(classes) <= maxClass {
		classes = append(classes, fmt.Sprintf("class %d", len(classes)))
	}
	res.Set = &annot.Set{Classes: classes}
	for _, f := range files {
		e := done[f]
		if e.Failure != "" {
			res.Failed++
		}
		res.Set.Images = append(res.Set.Images, annot.Image{File: f, Width: e.Width, Height: e.Height, Boxes: e.Boxes, Failure: e.Failure})
	}
	return res, nil
}

// process detects one file. Only cancellation is returned as an error;
// everything else is the entry's Failure.
func (a *Archive) process(ctx context.Context, threads int, rel string) (journalEntry, error) {
	e := journalEntry{File: rel}
	if err := ctx.Err(); err != nil {
		return e, err
	}
	maxBytes := a.MaxBytes
	if maxBytes == 0 {
		maxBytes = 256 << 20
	}
	maxPixels := a.MaxPixels
	if maxPixels == 0 {
		maxPixels = 100_000_000
	}
	fail := func(err error) (journalEntry, error) {
		e.Failure = err.Error()
		return e, nil
	}
	f, err := os.Open(filepath.Join(a.Root, filepath.FromSlash(rel)))
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if st.Size() > maxBytes {
		return fail(fmt.Errorf("file has %d bytes, over the limit of %d", st.Size(), maxBytes))
	}
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return fail(fmt.Errorf("reading image header: %w", err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels || cfg.Width > 1<<20 || cfg.Height > 1<<20 {
		return fail(fmt.Errorf("image is %dx%d, over the limit of %d pixels", cfg.Width, cfg.Height, maxPixels))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	img, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return fail(fmt.Errorf("decoding image: %w", err))
	}
	b := img.Bounds()
	e.Width, e.Height = b.Dx(), b.Dy()
	out, err := a.Detector.detectBatch(ctx, []image.Image{img}, threads)
	if err != nil {
		if ctx.Err() != nil {
			return e, ctx.Err()
		}
		return fail(err)
	}
	boxes := out[0]
	for i := range boxes {
		boxes[i].X0 -= float64(b.Min.X)
		boxes[i].X1 -= float64(b.Min.X)
		boxes[i].Y0 -= float64(b.Min.Y)
		boxes[i].Y1 -= float64(b.Min.Y)
	}
	e.Boxes = boxes
	return e, nil
}

// readJournal reads the finished entries. A last line without its newline
// (a crash mid-write) is ignored and its file redone; valid is then the
// length to truncate the file to, and -1 when nothing needs repair. Any
// other bad line is an error.
func readJournal(path string) (done map[string]journalEntry, valid int64, err error) {
	done = map[string]journalEntry{}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return done, -1, nil
	}
	if err != nil {
		return nil, -1, fmt.Errorf("detect: reading journal: %w", err)
	}
	valid = -1
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		valid = int64(i + 1)
		data = data[:i+1]
	}
	for i, l := range strings.Split(string(data), "\n") {
		if l == "" {
			continue
		}
		var e journalEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.File == "" {
			return nil, -1, fmt.Errorf("detect: journal %s line %d is corrupt", path, i+1)
		}
		done[e.File] = e
	}
	return done, valid, nil
}
