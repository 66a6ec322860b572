package nn

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// parTask is work split into n independent items.
type parTask interface{ do(i int) }

// workerTask is a parTask that wants to know which participant (0 to
// threads-1) runs an item, to use per-worker scratch buffers.
type workerTask interface {
	parTask
	doW(worker, i int)
}

// job is one parallel loop; a Session owns one and reuses it, so running a
// loop allocates nothing.
type job struct {
	t     parTask
	n     int64
	next  atomic.Int64
	ids   atomic.Int32
	wg    sync.WaitGroup
	panic atomic.Value
}

func (j *job) work() {
	defer func() {
		if r := recover(); r != nil {
			j.panic.CompareAndSwap(nil, fmt.Sprint(r))
			j.next.Store(j.n)
		}
	}()
	w := int(j.ids.Add(1) - 1)
	wt, _ := j.t.(workerTask)
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		if wt != nil {
			wt.doW(w, int(i))
		} else {
			j.t.do(int(i))
		}
	}
}

// helpers are GOMAXPROCS-1 goroutines shared by all sessions; a loop hands
// them its job only when they are idle, and the calling goroutine always
// works too, so loops never wait on each other.
var (
	helpersOnce sync.Once
	helperJobs  chan *job
)

func startHelpers() {
	helperJobs = make(chan *job)
	for k := 0; k < runtime.GOMAXPROCS(0)-1; k++ {
		go func() {
			for j := range helperJobs {
				j.work()
				j.wg.Done()
			}
		}()
	}
}

// parallel runs t.do(0..n-1) across the calling goroutine and idle helpers.
func (s *Session) parallel(t parTask, n int) {
	if n <= 0 {
		return
	}
	if n == 1 || s.threads <= 1 {
		wt, _ := t.(workerTask)
		for i := 0; i < n; i++ {
			if wt != nil {
				wt.doW(0, i)
			} else {
				t.do(i)
			}
		}
		return
	}
	helpersOnce.Do(startHelpers)
	j := &s.job
	j.t, j.n = t, int64(n)
	j.next.Store(0)
	j.ids.Store(0)
	for h := 0; h < s.threads-1 && h < n-1; h++ {
		j.wg.Add(1)
		select {
		case helperJobs <- j:
		default:
			j.wg.Done()
		}
	}
	j.work()
	j.wg.Wait()
	j.t = nil
	if p := j.panic.Load(); p != nil {
		panic(p)
	}
}
