package serve

import (
	"bytes"
	"image"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/internal/cputime"
	"github.com/labelfree/labelfree/internal/servetest"
)

// BenchmarkHandler measures the handler's own cost per request, without
// the network: body parsing, the header check, the model, the reply, the
// metrics and the log line (formatted as JSON and discarded). One request
// value is reused with its body rewound, and replies go to a writer that
// discards them, so the harness costs next to nothing; each request gets a
// fresh header map, as net/http gives it. Besides ns/op (wall time, noisy
// on a shared machine) it reports cpu-ns/op: the process's CPU time per
// request, garbage collection on other threads included, which is what
// the request costs a loaded server.
func BenchmarkHandler(b *testing.B) {
	img := scene(320, 240, image.Rect(40, 30, 200, 150))
	for _, bc := range []struct {
		name  string
		stage labelfree.Stage
		data  []byte
		ct    string
	}{
		{"bytes-only/jpeg", &byteCounter{}, jpegBytes(b, img), "image/jpeg"},
		{"bytes-only/png", &byteCounter{}, pngBytes(b, img), "image/png"},
		{"trivial/jpeg", &servetest.Trivial{}, jpegBytes(b, img), "image/jpeg"},
		{"decode/jpeg", &brightDetector{}, jpegBytes(b, img), "image/jpeg"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{bc.stage}}, Logger: quietLogger()}
			h, err := srv.Handler()
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			r := httptest.NewRequest(http.MethodPost, "/v1/predict", nil)
			r.Header.Set("Content-Type", bc.ct)
			body := &rewindBody{}
			r.Body = body
			r.ContentLength = int64(len(bc.data))
			w := &discardWriter{}
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			cpu0 := cputime.Process()
			for b.Loop() {
				body.Reset(bc.data)
				w.h, w.code = make(http.Header), 0
				h.ServeHTTP(w, r)
				if w.code != 200 {
					b.Fatal(w.code)
				}
			}
			if cpu := cputime.Process() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// rewindBody is a request body the benchmark rewinds for each request.
type rewindBody struct{ bytes.Reader }

func (*rewindBody) Close() error { return nil }

// discardWriter is an http.ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}
