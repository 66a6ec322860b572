package labelfree_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExecutorDeterministicAtAnyParallelism(t *testing.T) {
	var want []float64
	for _, workers := range []int{1, 2, 3, 8} {
		for _, part := range []int{0, 1, 7} {
			ds := rowsX(make([]float64, 100)...)
			ex := labelfree.Executor{Workers: workers, PartitionSize: part}
			out, err := ex.Transform(context.Background(), noise{Seed: 42}, ds)
			require.NoError(t, err)
			got := make([]float64, len(out.Rows))
			for i, r := range out.Rows {
				got[i], _ = labelfree.Get(r, colNoise)
			}
			if want == nil {
				want = got
				continue
			}
			assert.Equal(t, want, got, "workers=%d partition=%d", workers, part)
		}
	}
	assert.NotEqual(t, want[0], want[1], "rows get distinct seeds")
}

func TestExecutorRecordsFailuresAndSkipsThemLater(t *testing.T) {
	ds := rowsX(1, -1, 3, -5)
	p, err := labelfree.NewPipeline(centerer{}, &threshold{})
	require.NoError(t, err)
	var ex labelfree.Executor
	_, out, err := ex.Fit(context.Background(), p, ds)
	require.NoError(t, err)
	require.Len(t, out.Rows, 4, "failed rows are kept")
	failed := out.Failed()
	require.Len(t, failed, 2)
	assert.Equal(t, "Centerer", failed[0].Err.Stage)
	assert.ErrorContains(t, failed[0].Err, "negative x -1")

	var last labelfree.StageReport
	for _, r := range out.Reports {
		last = r
	}
	assert.Equal(t, "Threshold", last.Stage)
	assert.Equal(t, 2, last.Skipped)
	assert.Equal(t, 0, last.Failed)
	assert.Contains(t, out.Summary(), "4 rows, 2 failed")
}

type panicky struct{}

func (panicky) Info() labelfree.StageInfo { return labelfree.StageInfo{Name: "Panicky"} }
func (panicky) Transform(ctx context.Context, r *labelfree.Row) error {
	if r.ID == "r001" {
		panic("bad row")
	}
	return nil
}

func TestExecutorTurnsPanicsIntoRowErrors(t *testing.T) {
	var ex labelfree.Executor
	out, err := ex.Transform(context.Background(), panicky{}, rowsX(1, 2, 3))
	require.NoError(t, err)
	require.Len(t, out.Failed(), 1)
	assert.ErrorContains(t, out.Failed()[0].Err, "panic: bad row")
}

// blocker blocks every row until the context is cancelled.
type blocker struct{ started chan struct{} }

func (blocker) Info() labelfree.StageInfo { return labelfree.StageInfo{Name: "Blocker"} }
func (b blocker) Transform(ctx context.Context, r *labelfree.Row) error {
	select {
	case b.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

func TestExecutorCancellationStopsPromptly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := blocker{started: make(chan struct{}, 1)}
	done := make(chan error, 1)
	ds := rowsX(make([]float64, 1000)...)
	go func() {
		_, err := (&labelfree.Executor{Workers: 4}).Transform(ctx, b, ds)
		done <- err
	}()
	<-b.started
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("executor did not stop after cancellation")
	}
	assert.Empty(t, ds.Failed(), "cancellation is not recorded as row failures")
}

// batcher records the batch sizes it sees and fails odd rows.
type batcher struct {
	mu    sync.Mutex
	sizes []int
}

func (*batcher) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "Batcher", Writes: []labelfree.ColumnRef{colCentered.Ref()}}
}
func (*batcher) BatchSize() int { return 4 }
func (b *batcher) Transform(ctx context.Context, r *labelfree.Row) error {
	return b.TransformBatch(ctx, []*labelfree.Row{r})
}
func (b *batcher) TransformBatch(ctx context.Context, rows []*labelfree.Row) error {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(rows))
	b.mu.Unlock()
	for _, r := range rows {
		x, _ := labelfree.Get(r, colX)
		if int(x)%2 == 1 {
			r.Fail("Batcher", errors.New("odd"))
			continue
		}
		labelfree.Set(r, colCentered, x)
	}
	return nil
}

func TestExecutorBatchesAndCountsBatchFailures(t *testing.T) {
	b := &batcher{}
	ds := rowsX(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	out, err := (&labelfree.Executor{Workers: 2}).Transform(context.Background(), b, ds)
	require.NoError(t, err)
	sum := 0
	for _, s := range b.sizes {
		assert.LessOrEqual(t, s, 4)
		sum += s
	}
	assert.Equal(t, 10, sum)
	assert.Equal(t, 5, out.Reports[0].Failed)
}

func TestExecutorProgressReachesTotal(t *testing.T) {
	var mu sync.Mutex
	last := map[string][2]int{}
	ex := labelfree.Executor{Workers: 3, Progress: labelfree.ProgressFunc(func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		prev := last[stage]
		if done < prev[0] {
			t.Errorf("progress went backwards: %d after %d", done, prev[0])
		}
		last[stage] = [2]int{done, total}
	})}
	_, err := ex.Transform(context.Background(), noise{}, rowsX(make([]float64, 50)...))
	require.NoError(t, err)
	assert.Equal(t, [2]int{50, 50}, last["Noise"])
}

func TestExecutorFitHandsProgressToEstimators(t *testing.T) {
	var stages []string
	ex := labelfree.Executor{Workers: 1, Progress: labelfree.ProgressFunc(func(stage string, done, total int) {
		if done == total {
			stages = append(stages, stage)
		}
	})}
	p, err := labelfree.NewPipeline(centerer{})
	require.NoError(t, err)
	_, _, err = ex.Fit(context.Background(), p, rowsX(1, 2, 3))
	require.NoError(t, err)
	assert.Equal(t, []string{"Centerer/fit", "Centerer"}, stages)

	assert.Nil(t, labelfree.ProgressFrom(context.Background()))
	pf := labelfree.ProgressFunc(func(string, int, int) {})
	assert.NotNil(t, labelfree.ProgressFrom(labelfree.WithProgress(context.Background(), pf)))
}

// counting counts calls, to see checkpointed rows skipped.
type counting struct {
	calls atomic.Int64
	fail  string
}

func (*counting) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "Counting", Writes: []labelfree.ColumnRef{colCentered.Ref()}}
}
func (c *counting) Transform(ctx context.Context, r *labelfree.Row) error {
	c.calls.Add(1)
	if r.ID == c.fail {
		return errors.New("failed once")
	}
	x, _ := labelfree.Get(r, colX)
	labelfree.Set(r, colCentered, x*10)
	return nil
}

func TestExecutorCheckpointResumes(t *testing.T) {
	dir := t.TempDir()
	ck, err := labelfree.OpenCheckpoint(dir)
	require.NoError(t, err)

	// First run: interrupted after some rows.
	ctx, cancel := context.WithCancel(context.Background())
	first := &counting{fail: "r002"}
	ex := labelfree.Executor{Workers: 1, Checkpoint: ck, Progress: labelfree.ProgressFunc(func(_ string, done, _ int) {
		if done >= 5 {
			cancel()
		}
	})}
	_, err = ex.Transform(ctx, first, rowsX(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, ck.Close())
	doneFirst := first.calls.Load()
	require.GreaterOrEqual(t, doneFirst, int64(5))
	require.Less(t, doneFirst, int64(10))

	// Second run, new process state: only the rest is computed, and the
	// restored rows (failed one included) carry their results.
	ck, err = labelfree.OpenCheckpoint(dir)
	require.NoError(t, err)
	defer ck.Close()
	second := &counting{}
	ex = labelfree.Executor{Workers: 2, Checkpoint: ck}
	out, err := ex.Transform(context.Background(), second, rowsX(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))
	require.NoError(t, err)
	assert.Equal(t, 10-doneFirst, second.calls.Load())
	for i, r := range out.Rows {
		if r.ID == "r002" {
			require.NotNil(t, r.Err)
			assert.Contains(t, r.Err.Error(), "failed once")
			continue
		}
		v, ok := labelfree.Get(r, colCentered)
		require.True(t, ok, r.ID)
		assert.Equal(t, float64(i*10), v)
	}
}

func TestCheckpointIgnoresTornTail(t *testing.T) {
	dir := t.TempDir()
	ck, err := labelfree.OpenCheckpoint(dir)
	require.NoError(t, err)
	require.NoError(t, ck.Store("s", "a", []byte("row-a")))
	require.NoError(t, ck.Store("s", "b", []byte("row-b")))
	require.NoError(t, ck.Close())
	files, err := filepathGlob(dir)
	require.NoError(t, err)
	require.Len(t, files, 1)
	truncateBy(t, files[0], 2)

	ck, err = labelfree.OpenCheckpoint(dir)
	require.NoError(t, err)
	defer ck.Close()
	got, ok := ck.Load("s", "a")
	assert.True(t, ok)
	assert.Equal(t, "row-a", string(got))
	_, ok = ck.Load("s", "b")
	assert.False(t, ok, "a torn record is recomputed, not trusted")
}

func TestExecutorRefusesUnfittedEstimator(t *testing.T) {
	_, err := (&labelfree.Executor{}).Transform(context.Background(), centerer{}, rowsX(1))
	require.ErrorContains(t, err, "estimator")
}

func BenchmarkExecutorOverhead(b *testing.B) {
	ds := rowsX(make([]float64, 10000)...)
	ex := labelfree.Executor{}
	b.ReportAllocs()
	for b.Loop() {
		ds.Reports = ds.Reports[:0]
		if _, err := ex.Transform(context.Background(), noise{}, ds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ds.Rows)), "ns/row")
}

// cheap is a counting stage that declares itself not worth checkpointing.
type cheap struct{ counting }

func (*cheap) Recomputable() bool { return true }

func TestExecutorDoesNotCheckpointRecomputableStages(t *testing.T) {
	dir := t.TempDir()
	ck, err := labelfree.OpenCheckpoint(dir)
	require.NoError(t, err)
	defer ck.Close()
	for run := 1; run <= 2; run++ {
		c := &cheap{}
		_, err := (&labelfree.Executor{Checkpoint: ck}).Transform(context.Background(), c, rowsX(1, 2, 3))
		require.NoError(t, err)
		assert.Equal(t, int64(3), c.calls.Load(), "run %d recomputes every row", run)
	}
	files, err := filepathGlob(dir)
	require.NoError(t, err)
	assert.Empty(t, files)
}
