package labelfree

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// A ProgressBar renders executor progress as one text line per stage,
// redrawn in place, with rate and time left:
//
//	featurize  [██████████░░░░░░░░░░]  512/1024  38.2/s  13s left
//
// It draws at most ten times a second. Create it with NewProgressBar.
type ProgressBar struct {
	w      io.Writer
	stage  string
	start  time.Time
	last   time.Time
	ended  bool
	width  int
	now    func() time.Time
	minGap time.Duration
}

// NewProgressBar returns a ProgressBar that draws on w (usually os.Stderr).
func NewProgressBar(w io.Writer) *ProgressBar {
	return &ProgressBar{w: w, width: 24, now: time.Now, minGap: 100 * time.Millisecond}
}

// Progress implements Progress.
func (p *ProgressBar) Progress(stage string, done, total int) {
	now := p.now()
	if stage != p.stage {
		if p.stage != "" && !p.ended {
			fmt.Fprintln(p.w)
		}
		p.stage, p.start, p.ended = stage, now, false
		p.last = time.Time{}
	}
	if p.ended {
		return
	}
	finished := done >= total
	if !finished && now.Sub(p.last) < p.minGap {
		return
	}
	p.last = now
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	fill := int(frac * float64(p.width))
	bar := strings.Repeat("█", fill) + strings.Repeat("░", p.width-fill)
	elapsed := now.Sub(p.start).Seconds()
	line := fmt.Sprintf("\r%-16s [%s] %*d/%d", stage, bar, len(fmt.Sprint(total)), done, total)
	if elapsed > 0 && done > 0 {
		rate := float64(done) / elapsed
		line += fmt.Sprintf("  %.1f/s", rate)
		if !finished {
			line += fmt.Sprintf("  %v left", (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second))
		} else {
			line += fmt.Sprintf("  %v", time.Duration(elapsed*float64(time.Second)).Round(time.Millisecond))
		}
	}
	fmt.Fprint(p.w, line+"\x1b[K")
	if finished {
		fmt.Fprintln(p.w)
		p.ended = true
	}
}
