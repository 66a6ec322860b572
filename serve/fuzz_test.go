package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/gif"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
)

func fuzzSeeds(f *testing.F) {
	img := scene(9, 7, image.Rect(1, 1, 4, 4))
	pngData := pngBytes(f, img)
	jpegData := jpegBytes(f, img)
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, img, nil); err != nil {
		f.Fatal(err)
	}
	mpType, mpBody := multipartBody(f, "image", pngData, "id-1")
	b64 := base64.StdEncoding.EncodeToString(pngData)
	for _, s := range []struct {
		ct   string
		body []byte
	}{
		{"image/png", pngData},
		{"image/jpeg", jpegData},
		{"image/gif", gifBuf.Bytes()},
		{"", pngData},
		{"application/octet-stream", pngHeader(1<<20, 1<<20)},
		{"image/png", pngData[:40]},
		{mpType, mpBody.Bytes()},
		{"multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc\r\n--x--\r\n")},
		{"application/json", []byte(`{"image":"` + b64 + `","id":"a"}`)},
		{"application/json", []byte(`{"image":"data:image/png;base64,` + b64 + `"}`)},
		{"application/json", []byte(`{"url":"https://example.org/a.jpg"}`)},
		{"application/json", []byte(`{"image":null,"url":null}`)},
		{"application/json", []byte(`{"image":"` + b64[:20] + `"} trailing`)},
		{"text/plain", []byte("hello")},
		{"image/;;", nil},
	} {
		f.Add(s.ct, s.body)
	}
}

// FuzzParseRequest feeds arbitrary content types and bodies to the request
// decoder and the image decoder: they must return a 4xx error or a usable
// request, never panic, and never decode past the pixel limit.
func FuzzParseRequest(f *testing.F) {
	fuzzSeeds(f)
	const maxBody, maxPixels = 1 << 16, 1 << 16
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		body = body[:min(len(body), 2*maxBody)]
		rd := http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(body)), maxBody)
		req, aerr := parseRequest(contentType, rd, int64(len(body)))
		if aerr != nil {
			if aerr.Status < 400 || aerr.Status >= 500 || aerr.Code == "" || aerr.Message == "" {
				t.Fatalf("bad error for %q: %+v", contentType, aerr)
			}
			return
		}
		switch {
		case req.url != "":
			if err := checkURL(req.url); err != nil || req.data != nil {
				t.Fatalf("request with url %q: %v", req.url, err)
			}
			return
		case len(req.data) == 0:
			t.Fatalf("request without image or url for %q", contentType)
		case len(req.data) > maxBody:
			t.Fatalf("image of %d bytes from a body limited to %d", len(req.data), maxBody)
		case len(req.id) > maxIDLen:
			t.Fatalf("id of %d bytes", len(req.id))
		}
		img, info, aerr := decodeImage(req.data, maxPixels, true)
		if aerr != nil {
			if aerr.Status < 400 || aerr.Status >= 500 || aerr.Code == "" {
				t.Fatalf("bad image error: %+v", aerr)
			}
			return
		}
		if int64(info.Width)*int64(info.Height) > maxPixels || info.Width <= 0 || info.Height <= 0 {
			t.Fatalf("decoded %dx%d past the limit", info.Width, info.Height)
		}
		if b := img.Bounds(); b.Dx() != info.Width || b.Dy() != info.Height {
			t.Fatalf("image %v does not match its info %+v", b, info)
		}
	})
}

// FuzzPredictHandler sends arbitrary requests through the whole handler:
// every reply is JSON of the documented shape with a 200, 4xx or 501.
func FuzzPredictHandler(f *testing.F) {
	fuzzSeeds(f)
	srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{&brightDetector{}}},
		MaxBodyBytes: 1 << 16, MaxPixels: 1 << 16, Logger: quietLogger()}
	h, err := srv.Handler()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/predict", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { defer close(done); h.ServeHTTP(w, r) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("request hung: %q %q", contentType, body)
		}
		if w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("reply type %q", w.Header().Get("Content-Type"))
		}
		switch {
		case w.Code == 200:
			var resp Response
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.APIVersion != APIVersion || resp.Image.Width <= 0 {
				t.Fatalf("bad reply %s: %v", w.Body, err)
			}
		case w.Code >= 400 && w.Code < 500, w.Code == 501:
			var e ErrorResponse
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Status != w.Code {
				t.Fatalf("bad error reply %d %s: %v", w.Code, w.Body, err)
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, contentType, w.Body)
		}
	})
}
