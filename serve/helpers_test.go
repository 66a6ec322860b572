package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

// Test stages. They are registered so models built from them round-trip
// through labelfree.SaveFile and LoadFile like real ones.

// brightDetector finds the box around the pixels brighter than half-grey
// and scores it by their share of the image: a tiny, deterministic
// "detector" that reads Image and writes all three outputs.
type brightDetector struct{}

func (*brightDetector) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "bright", Reads: []labelfree.ColumnRef{labelfree.Image.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref(), labelfree.Boxes.Ref()}}
}

func (*brightDetector) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	b := img.Bounds()
	x0, y0, x1, y1, n := b.Max.X, b.Max.Y, b.Min.X, b.Min.Y, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if g := color.GrayModel.Convert(img.At(x, y)).(color.Gray); g.Y > 128 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
				n++
			}
		}
	}
	p := float64(n) / float64(b.Dx()*b.Dy())
	labelfree.Set(r, labelfree.Probabilities, []float64{1 - p, p})
	pred := 0
	if p > 0 {
		pred = 1
	}
	labelfree.Set(r, labelfree.Prediction, pred)
	var boxes []labelfree.Box
	if n > 0 {
		boxes = append(boxes, labelfree.Box{X0: float64(x0 - b.Min.X), Y0: float64(y0 - b.Min.Y), X1: float64(x1 - b.Min.X), Y1: float64(y1 - b.Min.Y), Score: p, Class: 1})
	}
	labelfree.Set(r, labelfree.Boxes, boxes)
	return nil
}

// byteCounter reads only ImageBytes: a classifier that never needs pixels.
type byteCounter struct{}

func (*byteCounter) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "bytes", Reads: []labelfree.ColumnRef{labelfree.ImageBytes.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref()}}
}

func (*byteCounter) Transform(ctx context.Context, r *labelfree.Row) error {
	b, err := labelfree.MustGet(r, labelfree.ImageBytes)
	if err != nil {
		return err
	}
	p := float64(len(b)%100) / 100
	labelfree.Set(r, labelfree.Probabilities, []float64{1 - p, p})
	labelfree.Set(r, labelfree.Prediction, 0)
	return nil
}

// behave controls the hostile stage; it is set by tests and read under
// its lock.
type behaviour struct {
	mu      sync.Mutex
	release chan struct{} // when set, Transform blocks until it is closed (or ctx ends)
	started chan struct{} // receives one value per Transform call, if set
}

var behave behaviour

// hostile fails on images 13 pixels wide, panics on 7 wide, sleeps
// respecting ctx on 5 wide, blocks on behave.release otherwise when set,
// and is an identity otherwise.
type hostile struct{}

func (*hostile) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "hostile", Reads: []labelfree.ColumnRef{labelfree.Image.Ref()}}
}

func (*hostile) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	switch img.Bounds().Dx() {
	case 13:
		return errors.New("13 pixels is unlucky\nsecond line must not reach the client")
	case 7:
		panic("seven")
	case 5:
		select {
		case <-time.After(10 * time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	behave.mu.Lock()
	rel, st := behave.release, behave.started
	behave.mu.Unlock()
	if st != nil {
		st <- struct{}{}
	}
	if rel != nil {
		select {
		case <-rel:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// batchProbe is a BatchTransformer that records the size of every batch.
// Its per-row result is the image's width mod 10 as the prediction.
type batchProbe struct {
	Size int

	mu    sync.Mutex
	sizes []int
	delay time.Duration
}

func (*batchProbe) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "probe", Reads: []labelfree.ColumnRef{labelfree.Image.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Prediction.Ref()}}
}

func (p *batchProbe) Transform(ctx context.Context, r *labelfree.Row) error {
	return p.TransformBatch(ctx, []*labelfree.Row{r})
}

func (p *batchProbe) BatchSize() int { return p.Size }

func (p *batchProbe) TransformBatch(ctx context.Context, rows []*labelfree.Row) error {
	p.mu.Lock()
	p.sizes = append(p.sizes, len(rows))
	d := p.delay
	p.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	for _, r := range rows {
		img, err := labelfree.MustGet(r, labelfree.Image)
		if err != nil {
			r.Fail("probe", err)
			continue
		}
		if img.Bounds().Dx() == 7 {
			panic("seven in a batch")
		}
		labelfree.Set(r, labelfree.Prediction, img.Bounds().Dx()%10)
	}
	return nil
}

func (p *batchProbe) batchSizes() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.sizes...)
}

// pathReader reads a column no request provides.
type pathReader struct{}

func (*pathReader) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "path", Reads: []labelfree.ColumnRef{labelfree.ImagePath.Ref()}}
}

func (*pathReader) Transform(ctx context.Context, r *labelfree.Row) error { return nil }

func init() {
	labelfree.Register[*brightDetector]()
	labelfree.Register[*byteCounter]()
	labelfree.Register[*hostile]()
}

// loadModel saves the stages as a model file and loads it back, the way a
// server gets its model in production.
func loadModel(t testing.TB, stages ...labelfree.Stage) *labelfree.PipelineModel {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.lfp")
	m := &labelfree.PipelineModel{Stages: stages, Classes: []string{"background", "bright"}}
	require.NoError(t, labelfree.SaveFile(path, m))
	m, err := labelfree.LoadFile(path)
	require.NoError(t, err)
	return m
}

// scene is a w×h dark image with a bright rectangle at r.
func scene(w, h int, r image.Rectangle) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{20, 30, 40, 255}
			if image.Pt(x, y).In(r) {
				c = color.RGBA{250, 240, 230, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func jpegBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}))
	return buf.Bytes()
}

// quietLogger discards logs but still formats them, as a real one would.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

// newTestServer starts s on an httptest server.
func newTestServer(t testing.TB, s *Server) *httptest.Server {
	t.Helper()
	if s.Logger == nil {
		s.Logger = quietLogger()
	}
	h, err := s.Handler()
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return ts
}

// post sends body with the content type and decodes the JSON reply into
// a map, checking that every reply is JSON.
func post(t testing.TB, url, contentType string, body io.Reader, hdr ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp, decodeReply(t, resp)
}

func decodeReply(t testing.TB, resp *http.Response) map[string]any {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"), "reply %s", raw)
	var v map[string]any
	require.NoError(t, json.Unmarshal(raw, &v), "reply %s", raw)
	return v
}

// errCode returns the error code of an ErrorResponse, "" for a success.
func errCode(v map[string]any) string {
	e, ok := v["error"].(map[string]any)
	if !ok {
		return ""
	}
	s, _ := e["code"].(string)
	return s
}
