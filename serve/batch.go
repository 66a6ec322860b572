package serve

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/prometheus/client_golang/prometheus"
)

// A runner runs the model on one request's row. Stages that are
// BatchTransformers go through a micro-batcher shared by all requests; the
// runs of other stages between them go through PipelineModel.TransformRow
// in the request's own goroutine. A model without BatchTransformer stages
// is run with one TransformRow call.
type runner struct {
	whole *labelfree.PipelineModel
	segs  []segment
	wg    sync.WaitGroup
	quit  chan struct{}
}

// A segment is either a run of row-wise stages or one batched stage.
type segment struct {
	rows  *labelfree.PipelineModel
	batch *batcher
}

func newRunner(m *labelfree.PipelineModel, maxBatch int, maxWait time.Duration, workers int, met *metrics) *runner {
	rn := &runner{whole: m, quit: make(chan struct{})}
	var pending []labelfree.Stage
	flush := func() {
		if len(pending) > 0 {
			rn.segs = append(rn.segs, segment{rows: &labelfree.PipelineModel{Stages: pending}})
			pending = nil
		}
	}
	for _, st := range m.Stages {
		bt, ok := st.(labelfree.BatchTransformer)
		if !ok {
			pending = append(pending, st)
			continue
		}
		flush()
		size := maxBatch
		if size == 0 {
			size = bt.BatchSize()
		}
		name := bt.Info().Name
		rn.segs = append(rn.segs, segment{batch: &batcher{
			stage:   bt,
			name:    name,
			max:     max(1, size),
			wait:    maxWait,
			workers: max(1, workers),
			sizes:   met.batchSize.WithLabelValues(name),
		}})
	}
	flush()
	return rn
}

func (rn *runner) maxBatch() int {
	n := 1
	for _, s := range rn.segs {
		if s.batch != nil {
			n = max(n, s.batch.max)
		}
	}
	return n
}

func (rn *runner) batched() bool {
	return len(rn.segs) != 1 || rn.segs[0].batch != nil
}

// start launches the batchers; queue is the most requests that can be
// waiting for one at once.
func (rn *runner) start(queue int) {
	for _, s := range rn.segs {
		if b := s.batch; b != nil {
			b.in = make(chan *job, queue)
			for range b.workers {
				rn.wg.Go(func() { b.loop(rn.quit) })
			}
		}
	}
}

func (rn *runner) stop() {
	close(rn.quit)
	rn.wg.Wait()
}

// transform runs the model on r. A stage's failure on the row is returned
// as a *labelfree.RowError; other errors are the context's or the
// server's. abandoned reports that the request stopped waiting for a
// micro-batch that holds r and may still be running: r and the values in
// it must then be left alone.
func (rn *runner) transform(ctx context.Context, r *labelfree.Row) (abandoned bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{val: p, stack: debug.Stack()}
		}
	}()
	if !rn.batched() {
		return false, rn.whole.TransformRow(ctx, r)
	}
	for _, s := range rn.segs {
		if s.rows != nil {
			err = s.rows.TransformRow(ctx, r)
		} else {
			abandoned, err = s.batch.do(ctx, r, rn.quit)
		}
		if err != nil {
			return abandoned, err
		}
	}
	return false, nil
}

type panicError struct {
	val   any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.val) }

// A batcher gathers rows from concurrent requests into micro-batches for
// one BatchTransformer stage.
type batcher struct {
	stage   labelfree.BatchTransformer
	name    string
	max     int
	wait    time.Duration
	workers int
	sizes   prometheus.Observer
	in      chan *job
}

type job struct {
	ctx  context.Context
	row  *labelfree.Row
	done chan error // buffered: the batcher never blocks on a gone request
}

var jobPool = sync.Pool{New: func() any { return &job{done: make(chan error, 1)} }}

// do hands r to the batcher and waits for its batch, or for ctx.
// abandoned reports that it stopped waiting while r was in a batch.
func (b *batcher) do(ctx context.Context, r *labelfree.Row, quit <-chan struct{}) (abandoned bool, err error) {
	j := jobPool.Get().(*job)
	j.ctx, j.row = ctx, r
	select {
	case b.in <- j:
	case <-ctx.Done():
		j.ctx, j.row = nil, nil
		jobPool.Put(j)
		return false, ctx.Err()
	case <-quit:
		return false, errClosed
	}
	select {
	case err := <-j.done:
		j.ctx, j.row = nil, nil
		jobPool.Put(j) // only reused once the batcher is done with it
		if err == nil && r.Err != nil {
			return false, r.Err
		}
		return false, err
	case <-ctx.Done():
		// The batch may still be running on the row; the job is left to the
		// garbage collector rather than reused.
		return true, ctx.Err()
	case <-quit:
		return true, errClosed
	}
}

func (b *batcher) loop(quit <-chan struct{}) {
	jobs := make([]*job, 0, b.max)
	rows := make([]*labelfree.Row, 0, b.max)
	var timer *time.Timer
	for {
		jobs = jobs[:0]
		select {
		case j := <-b.in:
			jobs = append(jobs, j)
		case <-quit:
			return
		}
		// Take what is already waiting; then, with a MaxWait, wait for
		// more until the batch is full or the wait is over.
	drain:
		for len(jobs) < b.max {
			select {
			case j := <-b.in:
				jobs = append(jobs, j)
			default:
				break drain
			}
		}
		if b.wait > 0 && len(jobs) < b.max {
			if timer == nil {
				timer = time.NewTimer(b.wait)
			} else {
				timer.Reset(b.wait)
			}
		wait:
			for len(jobs) < b.max {
				select {
				case j := <-b.in:
					jobs = append(jobs, j)
				case <-timer.C:
					break wait
				case <-quit:
					break wait
				}
			}
			timer.Stop()
		}
		// Requests whose deadline passed while queued are answered now and
		// left out of the batch.
		rows = rows[:0]
		live := jobs[:0]
		for _, j := range jobs {
			if err := j.ctx.Err(); err != nil {
				j.done <- err
				continue
			}
			live = append(live, j)
			rows = append(rows, j.row)
		}
		if len(live) == 0 {
			continue
		}
		b.sizes.Observe(float64(len(rows)))
		err := b.runBatch(live, rows, quit)
		for _, j := range live {
			j.done <- err
		}
	}
}

// runBatch runs one batch. Its context is cancelled only when every request
// in it has gone, so one impatient client does not fail the others.
func (b *batcher) runBatch(jobs []*job, rows []*labelfree.Row, quit <-chan struct{}) (err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var left atomic.Int64
	left.Store(int64(len(jobs)))
	for _, j := range jobs {
		stop := context.AfterFunc(j.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	go func() {
		select {
		case <-quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			perr := &panicError{val: p, stack: debug.Stack()}
			for _, r := range rows {
				r.Fail(b.name, perr)
			}
			err = nil
		}
	}()
	if err := b.stage.TransformBatch(ctx, rows); err != nil {
		return fmt.Errorf("serve: stage %s: %w", b.name, err)
	}
	return nil
}
