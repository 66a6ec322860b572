package capture

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

// DefaultGap is the event gap used when Config.Gap is zero (see the
// package documentation for why).
const DefaultGap = 5 * time.Minute

// Config says how to read and group capture times. The zero value reads
// times as UTC wall-clock, applies no clock correction and groups with
// DefaultGap.
type Config struct {
	// Offsets corrects camera clocks per folder: the duration of the
	// longest folder prefix of an image's File (slash path) is added to its
	// EXIF time. Use "" for a correction of every image.
	Offsets map[string]time.Duration
	// Location is the zone of camera clocks that record no offset; UTC
	// when nil.
	Location *time.Location
	// Gap starts a new event when consecutive photos of a deployment are
	// further apart; DefaultGap when zero.
	Gap time.Duration
	// Deployment names an image's deployment when it has none; the
	// image's folder when nil.
	Deployment func(file string) string
}

// Validate reports a bad field as a *labelfree.ParamError.
func (c *Config) Validate() error {
	if c.Gap < 0 {
		return &labelfree.ParamError{Stage: "capture", Field: "Gap", Reason: "must not be negative"}
	}
	for k := range c.Offsets {
		if k != "" && !annot.ValidPath(k) {
			return &labelfree.ParamError{Stage: "capture", Field: "Offsets", Reason: fmt.Sprintf("folder %q is not a relative slash path", k)}
		}
	}
	return nil
}

func (c *Config) gap() time.Duration {
	if c.Gap == 0 {
		return DefaultGap
	}
	return c.Gap
}

// Offset returns the clock correction for an image file.
func (c *Config) Offset(file string) time.Duration {
	best, bestLen := time.Duration(0), -1
	for k, d := range c.Offsets {
		if (k == "" || file == k || strings.HasPrefix(file, k+"/")) && len(k) > bestLen {
			best, bestLen = d, len(k)
		}
	}
	return best
}

func (c *Config) deployment(file string) string {
	if c.Deployment != nil {
		return c.Deployment(file)
	}
	if d := path.Dir(file); d != "." {
		return d
	}
	return ""
}

// A Summary says what Times found.
type Summary struct {
	// Read counts images given a time; NoTime lists those without one
	// (no EXIF DateTimeOriginal); Failed those that could not be read.
	Read   int
	NoTime []string
	Failed []annot.Skip
}

// Times fills in the capture time of every image of s that has none and did
// not fail, reading EXIF from the file under root and adding the folder's
// clock offset. Images without a time are listed in the summary; the set
// is not otherwise changed.
func Times(ctx context.Context, s *annot.Set, root string, cfg *Config) (*Summary, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sum := &Summary{}
	for i := range s.Images {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		im := &s.Images[i]
		if !im.Time.IsZero() || im.Failure != "" {
			continue
		}
		t, err := fileTime(filepath.Join(root, filepath.FromSlash(im.File)), cfg.Location)
		switch {
		case err == nil:
			im.Time = t.Add(cfg.Offset(im.File))
			sum.Read++
		case isNoTime(err):
			sum.NoTime = append(sum.NoTime, im.File)
		default:
			sum.Failed = append(sum.Failed, annot.Skip{File: im.File, Reason: err.Error()})
		}
	}
	return sum, nil
}

func fileTime(p string, loc *time.Location) (time.Time, error) {
	f, err := os.Open(p)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	return ReadTime(f, loc)
}

// GroupEvents sets the Event of every image of s that has a capture time:
// per deployment (the image's Deployment, or cfg.Deployment of its file,
// which is also recorded), photos sorted by time form one event while
// consecutive photos are at most cfg.Gap apart. Event ids are the
// deployment and a 4-digit ordinal ("cam01-0001"), so they are stable for
// the same photos. Images without a time get no event. It returns the
// number of events.
func GroupEvents(s *annot.Set, cfg *Config) (int, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	byDep := map[string][]int{}
	for i := range s.Images {
		im := &s.Images[i]
		if im.Deployment == "" {
			im.Deployment = cfg.deployment(im.File)
		}
		if im.Time.IsZero() {
			im.Event = ""
			continue
		}
		byDep[im.Deployment] = append(byDep[im.Deployment], i)
	}
	deps := make([]string, 0, len(byDep))
	for d := range byDep {
		deps = append(deps, d)
	}
	sort.Strings(deps)
	n := 0
	for _, d := range deps {
		idx := byDep[d]
		sort.SliceStable(idx, func(a, b int) bool {
			ta, tb := s.Images[idx[a]].Time, s.Images[idx[b]].Time
			if !ta.Equal(tb) {
				return ta.Before(tb)
			}
			return s.Images[idx[a]].File < s.Images[idx[b]].File
		})
		k := 0
		var prev time.Time
		for j, i := range idx {
			t := s.Images[i].Time
			if j == 0 || t.Sub(prev) > cfg.gap() {
				k++
				n++
			}
			prev = t
			prefix := d
			if prefix == "" {
				prefix = "event"
			}
			s.Images[i].Event = fmt.Sprintf("%s-%04d", prefix, k)
		}
	}
	return n, nil
}
