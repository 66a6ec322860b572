package superpixel

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// A crew runs the parallel phases of one call (a segmentation has about
// twenty: colour conversion, each k-means iteration, the connectivity
// passes, statistics), over contiguous bands of rows or items, one per
// member (bands), or over small chunks its members take in turn (chunks),
// which balances phases whose cost differs across the image. Its helper
// goroutines stay on their cores from one phase to the next, yielding to
// other goroutines but never parking: waking a parked thread for every
// phase cost 100–250 µs each on this project's virtual machines, whose
// idle CPUs halt, a fifth of a photo's segmentation. A crew is used by
// one goroutine; stop it when done.
type crew struct {
	n     int // members: the caller and n−1 helpers
	phase atomic.Uint64
	done  atomic.Int64
	job   func(member int)
	wg    sync.WaitGroup
}

const crewStop = math.MaxUint64

// newCrew returns a crew of n members (at least 1): the caller and n−1
// helpers.
func newCrew(n int) *crew {
	c := &crew{n: max(1, n)}
	for m := 1; m < c.n; m++ {
		c.wg.Go(func() { c.help(m) })
	}
	return c
}

func (c *crew) help(member int) {
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
		c.job(member)
		c.done.Add(1)
	}
}

// run runs job(m) on every member m, the caller being member 0, and
// returns when all are done.
func (c *crew) run(job func(member int)) {
	if c.n <= 1 {
		job(0)
		return
	}
	c.job = job
	c.done.Store(0)
	c.phase.Add(1)
	job(0)
	for c.done.Load() < int64(c.n-1) {
		runtime.Gosched()
	}
	c.job = nil
}

// bands runs fn over min(n, h) contiguous bands of [0, h), band i of w
// covering [i*h/w, (i+1)*h/w) on member i.
func (c *crew) bands(h int, fn func(band, lo, hi int)) {
	w := min(c.n, h)
	if w <= 1 {
		fn(0, 0, h)
		return
	}
	c.run(func(m int) {
		if m < w {
			fn(m, m*h/w, (m+1)*h/w)
		}
	})
}

// chunkSize is the size of the chunks chunks cuts [0, h) into for this
// crew: about eight per member, at least min.
func (c *crew) chunkSize(h, min int) int {
	return max(min, h/(8*c.n))
}

// chunks runs fn over the chunks [lo, hi) of size (the last shorter) that
// cover [0, h), each on whichever member takes it first; member is the
// member's index, for per-member scratch. Use it where the result does
// not depend on which member ran which chunk.
func (c *crew) chunks(h, size int, fn func(member, lo, hi int)) {
	if c.n <= 1 || h <= size {
		for lo := 0; lo < h; lo += size {
			fn(0, lo, min(h, lo+size))
		}
		return
	}
	var next atomic.Int64
	c.run(func(m int) {
		for {
			lo := int(next.Add(1)-1) * size
			if lo >= h {
				return
			}
			fn(m, lo, min(h, lo+size))
		}
	})
}

// stop ends the helpers.
func (c *crew) stop() {
	if c.n > 1 {
		c.phase.Store(crewStop)
		c.wg.Wait()
	}
}
