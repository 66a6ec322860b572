package serve

import (
	"context"
	"sync/atomic"
)

// admission bounds the work a server takes on: at most conc requests are
// decoded and run at once, at most queue more wait for a slot, and any
// request beyond that is shed at once instead of joining an unbounded
// queue. A request counts against the bound from its arrival (before its
// body is read), so the memory held by request bodies is bounded too.
type admission struct {
	slots    chan struct{}
	limit    int64 // conc + queue
	admitted atomic.Int64
}

func newAdmission(conc, queue int) *admission {
	return &admission{slots: make(chan struct{}, conc), limit: int64(conc + queue)}
}

// enter admits a request, or reports false when the server is full.
func (a *admission) enter() bool {
	if a.admitted.Add(1) > a.limit {
		a.admitted.Add(-1)
		return false
	}
	return true
}

// leave ends a request admitted by enter.
func (a *admission) leave() { a.admitted.Add(-1) }

// acquire waits for a work slot until ctx is done.
func (a *admission) acquire(ctx context.Context) error {
	select {
	case a.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case a.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees a slot taken by acquire.
func (a *admission) release() { <-a.slots }

func (a *admission) inFlight() int64 { return a.admitted.Load() }
