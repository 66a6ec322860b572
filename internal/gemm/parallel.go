package gemm

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// minParallelWork is the m*n*k below which SgemmParallel runs on the calling
// goroutine only: about 2 MFLOP, some 15 µs of work, where handing work to
// another goroutine no longer pays.
const minParallelWork = 1 << 20

// SgemmParallel is [Sgemm] with the work split over up to workers goroutines:
// the caller's and workers-1 long-lived helper goroutines. workers <= 0 means
// runtime.GOMAXPROCS(0). C is cut into disjoint blocks of whole micro-tiles
// along its longer side, so the result is bitwise identical to [Sgemm]'s.
// Small products run on the caller alone. Calls from several goroutines at
// once are safe; they share the helpers.
func SgemmParallel(workers int, tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	j := jobPool.Get().(*job)
	defer jobPool.Put(j)
	if j.p.init(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		j.run(best, workers)
	}
}

// run computes j.p with up to workers goroutines and clears j.p.
func (j *job) run(ks *kernelSet, workers int) {
	p := &j.p
	m, n, k := p.m, p.n, p.k
	// Split along the longer side of C in units of whole register tiles.
	unit, extent := ks.nr, n
	if m > n {
		unit, extent = ks.mr, m
	}
	units := (extent + unit - 1) / unit
	parts := min(workers, units)
	if parts <= 1 || m*n*k < minParallelWork {
		buf := getBuffers()
		ks.run(p, 0, m, 0, n, buf)
		putBuffers(buf)
		*p = problem{}
		return
	}
	ensureHelpers(parts - 1)
	bounds := func(t int) (int, int) {
		return min(extent, t*units/parts*unit), min(extent, (t+1)*units/parts*unit)
	}
	j.wg.Add(parts - 1)
	for t := 1; t < parts; t++ {
		lo, hi := bounds(t)
		tk := task{ks: ks, p: p, i0: 0, i1: m, j0: lo, j1: hi, wg: &j.wg}
		if m > n {
			tk.i0, tk.i1, tk.j0, tk.j1 = lo, hi, 0, n
		}
		helpers.ch <- tk
	}
	lo, hi := bounds(0)
	buf := getBuffers()
	if m > n {
		ks.run(p, lo, hi, 0, n, buf)
	} else {
		ks.run(p, 0, m, lo, hi, buf)
	}
	putBuffers(buf)
	j.wg.Wait()
	*p = problem{} // drop references to the caller's slices
}

// job is the per-call state shared with the helpers; pooled so that steady
// state calls allocate nothing.
type job struct {
	p  problem
	wg sync.WaitGroup
}

var jobPool = sync.Pool{New: func() any { return new(job) }}

// task is one block of C for a helper.
type task struct {
	ks             *kernelSet
	p              *problem
	i0, i1, j0, j1 int
	wg             *sync.WaitGroup
}

// helpers are the long-lived goroutines that run tasks. They are started on
// demand and never exit; there are at most as many as the largest worker
// count ever asked for, minus one.
var helpers struct {
	mu sync.Mutex
	n  int
	ch chan task
}

func ensureHelpers(n int) {
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	if helpers.ch == nil {
		helpers.ch = make(chan task, 64)
	}
	for ; helpers.n < n; helpers.n++ {
		go helperLoop(helpers.ch)
	}
}

func helperLoop(ch <-chan task) {
	for t := range ch {
		buf := getBuffers()
		t.ks.run(t.p, t.i0, t.i1, t.j0, t.j1, buf)
		putBuffers(buf)
		t.wg.Done()
	}
}
