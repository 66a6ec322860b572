package serve

import (
	"bytes"
	"context"
	"image"
	"io"
	"mime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

func TestReadBody(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefgh"), 1000)
	t.Run("sized bodies go into pooled buffers", func(t *testing.T) {
		for range 3 {
			got, pooled, err := readBody(iotest.OneByteReader(bytes.NewReader(data)), int64(len(data)))
			require.NoError(t, err)
			require.NotNil(t, pooled)
			assert.Equal(t, data, got)
			assert.Greater(t, cap(*pooled), len(data))
			putBodyBuffer(pooled)
		}
	})
	t.Run("unsized and oversized bodies are read as before", func(t *testing.T) {
		got, pooled, err := readBody(bytes.NewReader(data), 0)
		require.NoError(t, err)
		assert.Nil(t, pooled)
		assert.Equal(t, data, got)
		big := bytes.Repeat([]byte{1}, maxPooledBody+1)
		got, pooled, err = readBody(bytes.NewReader(big), int64(len(big)))
		require.NoError(t, err)
		assert.Nil(t, pooled)
		assert.Equal(t, big, got)
	})
	t.Run("a body shorter or longer than its Content-Length fails", func(t *testing.T) {
		for _, hint := range []int64{int64(len(data)) + 1, int64(len(data)) - 1, 1} {
			_, pooled, err := readBody(bytes.NewReader(data), hint)
			assert.Nil(t, pooled)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Content-Length")
			_, err = readAll(bytes.NewReader(data), hint)
			assert.Error(t, err, "readAll too")
		}
	})
	t.Run("read errors pass through", func(t *testing.T) {
		_, pooled, err := readBody(iotest.ErrReader(io.ErrClosedPipe), 10)
		assert.Nil(t, pooled)
		assert.ErrorIs(t, err, io.ErrClosedPipe)
	})
}

// bytesWatcher is a BatchTransformer that holds its batches until
// released, checking that the image bytes of its rows do not change while
// it holds them, and that abandoned requests leave them alone.
type bytesWatcher struct {
	started chan struct{}
	release chan struct{}

	mu      sync.Mutex
	changed int
	seen    int
}

func (*bytesWatcher) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "watcher", Reads: []labelfree.ColumnRef{labelfree.ImageBytes.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Prediction.Ref()}}
}

func (w *bytesWatcher) Transform(ctx context.Context, r *labelfree.Row) error {
	return w.TransformBatch(ctx, []*labelfree.Row{r})
}

func (*bytesWatcher) BatchSize() int { return 1 }

func (w *bytesWatcher) TransformBatch(ctx context.Context, rows []*labelfree.Row) error {
	var before [][]byte
	for _, r := range rows {
		b, _ := labelfree.Get(r, labelfree.ImageBytes)
		before = append(before, bytes.Clone(b))
	}
	w.started <- struct{}{}
	<-w.release // ignores ctx: the batch outlives its requests
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, r := range rows {
		b, _ := labelfree.Get(r, labelfree.ImageBytes)
		w.seen++
		if !bytes.Equal(b, before[i]) {
			w.changed++
		}
		labelfree.Set(r, labelfree.Prediction, 1)
	}
	return nil
}

// TestAbandonedBatchKeepsItsBytes checks that a request which gives up on
// a running micro-batch does not return its body buffer to the pool while
// the batch still reads it: later requests, which take buffers from the
// pool, must not overwrite it.
func TestAbandonedBatchKeepsItsBytes(t *testing.T) {
	watcher := &bytesWatcher{started: make(chan struct{}, 1), release: make(chan struct{})}
	batched := newTestServer(t, &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{watcher}}})
	plain := newTestServer(t, &Server{Model: loadModel(t, &byteCounter{})})
	a := pngBytes(t, scene(40, 30, image.Rect(1, 1, 20, 20)))
	done := make(chan int)
	go func() {
		resp, _ := post(t, batched.URL+"/v1/predict?timeout=100ms", "image/png", bytes.NewReader(a))
		done <- resp.StatusCode
	}()
	<-watcher.started
	assert.Equal(t, 504, <-done, "the request gave up on the running batch")
	// Same-sized bodies with other bytes, through the pool.
	other := bytes.Clone(a)
	for i := 0; i < 200; i++ {
		copy(other[len(other)-20:], strings.Repeat(string(rune('a'+i%26)), 20))
		post(t, plain.URL+"/v1/predict", "image/png", bytes.NewReader(other))
	}
	close(watcher.release)
	waitFor(t, "the batch to finish", func() bool {
		watcher.mu.Lock()
		defer watcher.mu.Unlock()
		return watcher.seen == 1
	})
	watcher.mu.Lock()
	defer watcher.mu.Unlock()
	assert.Zero(t, watcher.changed, "the abandoned batch's bytes were overwritten")
}

// FuzzSimpleMediaType checks parseRequest's shortcut: every Content-Type it
// takes as is, mime.ParseMediaType parses to itself with no parameters.
func FuzzSimpleMediaType(f *testing.F) {
	for _, ct := range []string{"image/jpeg", "image/png", "application/octet-stream", "application/json",
		"application/problem+json", "Image/JPEG", "image/jpeg; q=1", "image", "/jpeg", "image/", "image//x",
		"image/jpeg ", "multipart/form-data", "a/b{c}", "x-a/y.b"} {
		f.Add(ct)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		if !simpleMediaType(ct) {
			return
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != ct || len(params) != 0 {
			t.Fatalf("%q: mime.ParseMediaType gives %q %v %v", ct, mt, params, err)
		}
	})
}

func TestSimpleMediaType(t *testing.T) {
	for ct, want := range map[string]bool{"image/jpeg": true, "application/octet-stream": true, "application/vnd.a+json": true,
		"": false, "image": false, "Image/jpeg": false, "image/jpeg;": false, "image/jpeg; x=1": false, " image/jpeg": false,
		"image/": false, "/jpeg": false, "a/b/c": false, "image/jp\"eg": false} {
		assert.Equal(t, want, simpleMediaType(ct), "%q", ct)
	}
}
