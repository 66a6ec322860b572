package serve

import (
	"bytes"
	"image"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labelfree/labelfree"
)

// BenchmarkHandler measures the handler's own cost per request, without
// the network: body parsing, the header check, the model, the reply, the
// metrics and the log line.
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
		{"decode/jpeg", &brightDetector{}, jpegBytes(b, img), "image/jpeg"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{bc.stage}}, Logger: quietLogger()}
			h, err := srv.Handler()
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/v1/predict", bytes.NewReader(bc.data))
				r.Header.Set("Content-Type", bc.ct)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
	}
}
