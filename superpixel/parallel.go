package superpixel

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// A crew runs the parallel phases of one call (a segmentation has about
// twenty: colour conversion, each k-means iteration, the connectivity
// passes, statistics) over contiguous bands of rows or items. Its helper
// goroutines stay on their cores from one phase to the next, yielding to
// other goroutines but never parking: waking a parked thread for every
// phase cost 100–250 µs each on this project's virtual machines, whose
// idle CPUs halt, a fifth of a photo's segmentation. A crew is used by
// one goroutine; stop it when done.
type crew struct {
	n     int // bands per phase
	phase atomic.Uint64
	done  atomic.Int64
	fn    func(band, lo, hi int)
	h     int
	wg    sync.WaitGroup
}

const crewStop = math.MaxUint64

// newCrew returns a crew of n bands (at least 1), with n−1 helpers.
func newCrew(n int) *crew {
	c := &crew{n: max(1, n)}
	for band := 1; band < c.n; band++ {
		c.wg.Go(func() { c.help(band) })
	}
	return c
}

func (c *crew) help(band int) {
	var seen uint64
	for {
		p := c.phase.Load()
		for p == seen {
			runtime.Gosched()
			p = c.phase.Load()
		}
		if p == crewStop {
			return
		}
		seen = p
		if w := min(c.n, c.h); band < w {
			c.fn(band, band*c.h/w, (band+1)*c.h/w)
		}
		c.done.Add(1)
	}
}

// bands runs fn over min(n, h) contiguous bands of [0, h), the first on
// the calling goroutine, and returns when all are done. Band i of w covers
// [i*h/w, (i+1)*h/w).
func (c *crew) bands(h int, fn func(band, lo, hi int)) {
	if c.n <= 1 || h <= 1 {
		fn(0, 0, h)
		return
	}
	c.fn, c.h = fn, h
	c.done.Store(0)
	c.phase.Add(1)
	fn(0, 0, h/min(c.n, h))
	for c.done.Load() < int64(c.n-1) {
		runtime.Gosched()
	}
	c.fn = nil
}

// stop ends the helpers.
func (c *crew) stop() {
	if c.n > 1 {
		c.phase.Store(crewStop)
		c.wg.Wait()
	}
}
