package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
)

func multipartBody(t testing.TB, field string, data []byte, id string) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if id != "" {
		require.NoError(t, mw.WriteField("id", id))
	}
	if field != "" {
		fw, err := mw.CreateFormFile(field, "photo.png")
		require.NoError(t, err)
		fw.Write(data)
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), &buf
}

func jsonBody(v any) *bytes.Buffer {
	b, _ := json.Marshal(v)
	return bytes.NewBuffer(b)
}

func TestPredictInputForms(t *testing.T) {
	srv := &Server{Model: loadModel(t, &brightDetector{}), ModelName: "bright", ModelVersion: "test-1"}
	ts := newTestServer(t, srv)
	img := scene(64, 48, image.Rect(10, 8, 30, 20))
	pngData := pngBytes(t, img)
	jpegData := jpegBytes(t, img)
	mpType, mpBody := multipartBody(t, "image", pngData, "mp-1")
	fileType, fileBody := multipartBody(t, "file", pngData, "")

	tests := []struct {
		name, contentType string
		body              io.Reader
		id, format        string
	}{
		{"raw png", "image/png", bytes.NewReader(pngData), "", "png"},
		{"raw jpeg", "image/jpeg", bytes.NewReader(jpegData), "", "jpeg"},
		{"octet-stream", "application/octet-stream", bytes.NewReader(pngData), "", "png"},
		{"no content type", "", bytes.NewReader(pngData), "", "png"},
		{"mislabelled image type is sniffed", "image/jpeg", bytes.NewReader(pngData), "", "png"},
		{"multipart image", mpType, mpBody, "mp-1", "png"},
		{"multipart file", fileType, fileBody, "", "png"},
		{"json std base64", "application/json", jsonBody(PredictRequest{Image: base64.StdEncoding.EncodeToString(pngData), ID: "j1"}), "j1", "png"},
		{"json url-safe unpadded", "application/json; charset=utf-8", jsonBody(PredictRequest{Image: base64.RawURLEncoding.EncodeToString(pngData)}), "", "png"},
		{"json data url", "application/json", jsonBody(PredictRequest{Image: "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngData)}), "", "png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, v := post(t, ts.URL+"/v1/predict", tt.contentType, tt.body)
			require.Equal(t, http.StatusOK, resp.StatusCode, "%v", v)
			var r Response
			b, _ := json.Marshal(v)
			require.NoError(t, json.Unmarshal(b, &r))
			assert.Equal(t, "v1", r.APIVersion)
			assert.Equal(t, ModelInfo{Name: "bright", Version: "test-1", Stages: []string{"bright"}}, r.Model)
			assert.Equal(t, tt.id, r.ID)
			assert.Equal(t, ImageInfo{Width: 64, Height: 48, Format: tt.format}, r.Image)
			require.Len(t, r.Probabilities, 2)
			assert.Equal(t, "background", r.Probabilities[0].Name)
			assert.Equal(t, "bright", r.Probabilities[1].Name)
			require.NotNil(t, r.Prediction)
			assert.Equal(t, 1, r.Prediction.Class)
			assert.Equal(t, "bright", r.Prediction.Name)
			require.Len(t, r.Boxes, 1)
			box := r.Boxes[0]
			if tt.format == "png" { // lossless: exact box and share
				assert.Equal(t, Box{X0: 10, Y0: 8, X1: 30, Y1: 20, Score: 240.0 / 3072, Class: 1, Name: "bright"}, box)
				assert.InDelta(t, 240.0/3072, *r.Prediction.Probability, 1e-12)
			} else {
				assert.InDelta(t, 10, box.X0, 1)
				assert.InDelta(t, 30, box.X1, 1)
			}
			assert.Greater(t, r.ElapsedMS, 0.0)
		})
	}
}

func TestPredictBoxesPresentWhenEmpty(t *testing.T) {
	ts := newTestServer(t, &Server{Model: loadModel(t, &brightDetector{})})
	_, v := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(pngBytes(t, scene(8, 8, image.Rectangle{}))))
	boxes, ok := v["boxes"]
	require.True(t, ok, "a model that writes boxes reports the list even when empty: %v", v)
	assert.Empty(t, boxes)

	// A classifier's replies carry no boxes at all.
	ts2 := newTestServer(t, &Server{Model: loadModel(t, &byteCounter{}), Classes: []string{"a", "b"}})
	resp, v := post(t, ts2.URL+"/v1/predict", "image/png", bytes.NewReader(pngBytes(t, scene(8, 8, image.Rectangle{}))))
	require.Equal(t, 200, resp.StatusCode, "%v", v)
	assert.NotContains(t, v, "boxes")
	assert.Equal(t, "a", v["prediction"].(map[string]any)["name"])
}

// pngHeader is a PNG whose header announces w×h pixels, followed by
// nothing: decoding it would need the pixels it lacks.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestPredictErrors(t *testing.T) {
	srv := &Server{Model: loadModel(t, &brightDetector{}), MaxBodyBytes: 64 << 10, MaxPixels: 1 << 20}
	ts := newTestServer(t, srv)
	good := pngBytes(t, scene(16, 16, image.Rect(2, 2, 5, 5)))
	noImgType, noImgBody := multipartBody(t, "other", good, "x")

	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        io.Reader
		status      int
		code        string
	}{
		{"GET predict", http.MethodGet, "/v1/predict", "", nil, 405, "method_not_allowed"},
		{"unknown path", http.MethodPost, "/v2/predict", "image/png", bytes.NewReader(good), 404, "not_found"},
		{"text body", http.MethodPost, "/v1/predict", "text/plain", strings.NewReader("hello"), 415, "unsupported_media_type"},
		{"form body", http.MethodPost, "/v1/predict", "application/x-www-form-urlencoded", strings.NewReader("a=b"), 415, "unsupported_media_type"},
		{"garbage content type", http.MethodPost, "/v1/predict", "image/;;;", bytes.NewReader(good), 415, "unsupported_media_type"},
		{"empty body", http.MethodPost, "/v1/predict", "image/png", strings.NewReader(""), 400, "missing_image"},
		{"not an image", http.MethodPost, "/v1/predict", "image/png", strings.NewReader("GIF87 is not quite"), 415, "unsupported_image_format"},
		{"truncated png", http.MethodPost, "/v1/predict", "image/png", bytes.NewReader(good[:len(good)/2]), 400, "bad_image"},
		{"header only png", http.MethodPost, "/v1/predict", "image/png", bytes.NewReader(pngHeader(100, 100)), 400, "bad_image"},
		{"huge pixel count", http.MethodPost, "/v1/predict", "image/png", bytes.NewReader(pngHeader(100000, 100000)), 413, "image_too_large"},
		{"just over the pixel limit", http.MethodPost, "/v1/predict", "image/png", bytes.NewReader(pngHeader(1025, 1024)), 413, "image_too_large"},
		{"body too large", http.MethodPost, "/v1/predict", "image/png", bytes.NewReader(make([]byte, 65<<10)), 413, "payload_too_large"},
		{"chunked body too large", http.MethodPost, "/v1/predict", "image/png", io.MultiReader(bytes.NewReader(good), bytes.NewReader(make([]byte, 65<<10))), 413, "payload_too_large"},
		{"malformed json", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`{"image": `), 400, "malformed_json"},
		{"json array", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`[1,2]`), 400, "malformed_json"},
		{"json unknown field", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`{"img": "AAAA"}`), 400, "malformed_json"},
		{"json trailing data", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`{"image": "AAAA"} {}`), 400, "malformed_json"},
		{"json neither", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`{"id": "x"}`), 400, "missing_image"},
		{"json both", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`{"image": "AAAA", "url": "https://example.org/a.png"}`), 400, "bad_request"},
		{"json bad base64", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`{"image": "!!!notbase64"}`), 400, "bad_base64"},
		{"json long id", http.MethodPost, "/v1/predict", "application/json", jsonBody(PredictRequest{Image: "AAAA", ID: strings.Repeat("x", 300)}), 400, "bad_id"},
		{"json url disabled", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`{"url": "https://example.org/leopard.jpg"}`), 501, "url_input_disabled"},
		{"json file url", http.MethodPost, "/v1/predict", "application/json", strings.NewReader(`{"url": "file:///etc/passwd"}`), 400, "bad_url"},
		{"multipart no boundary", http.MethodPost, "/v1/predict", "multipart/form-data", bytes.NewReader(good), 400, "bad_multipart"},
		{"multipart garbage", http.MethodPost, "/v1/predict", "multipart/form-data; boundary=xyz", strings.NewReader("--xyz\r\nbroken"), 400, "bad_multipart"},
		{"multipart without image", http.MethodPost, "/v1/predict", noImgType, noImgBody, 400, "missing_image"},
		{"bad timeout", http.MethodPost, "/v1/predict?timeout=soon", "image/png", bytes.NewReader(good), 400, "bad_timeout"},
		{"negative timeout", http.MethodPost, "/v1/predict?timeout=-1s", "image/png", bytes.NewReader(good), 400, "bad_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, tt.body)
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			v := decodeReply(t, resp)
			assert.Equal(t, tt.status, resp.StatusCode, "%v", v)
			assert.Equal(t, tt.code, errCode(v), "%v", v)
			assert.Equal(t, "v1", v["api_version"])
			e := v["error"].(map[string]any)
			assert.Equal(t, float64(tt.status), e["status"])
			assert.NotEmpty(t, e["message"])
			if tt.status == 405 {
				assert.Equal(t, "POST", resp.Header.Get("Allow"))
			}
		})
	}
	// The server still answers properly after all that.
	resp, v := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(good))
	require.Equal(t, 200, resp.StatusCode, "%v", v)
}

func TestModelFailures(t *testing.T) {
	srv := &Server{Model: loadModel(t, &hostile{}), RequestTimeout: 5 * time.Second}
	ts := newTestServer(t, srv)
	send := func(w int, query string) (*http.Response, map[string]any) {
		return post(t, ts.URL+"/v1/predict"+query, "image/png", bytes.NewReader(pngBytes(t, scene(w, 4, image.Rectangle{}))))
	}

	resp, v := send(13, "")
	assert.Equal(t, 422, resp.StatusCode)
	assert.Equal(t, "model_failed", errCode(v))
	e := v["error"].(map[string]any)
	assert.Equal(t, "hostile", e["stage"])
	assert.Contains(t, e["message"], "13 pixels is unlucky")
	assert.NotContains(t, e["message"], "second line")

	resp, v = send(7, "")
	assert.Equal(t, 500, resp.StatusCode)
	assert.Equal(t, "internal", errCode(v))
	assert.NotContains(t, fmt.Sprint(v), "goroutine", "no stack trace reaches the client")

	start := time.Now()
	resp, v = send(5, "?timeout=50ms")
	assert.Equal(t, 504, resp.StatusCode)
	assert.Equal(t, "deadline_exceeded", errCode(v))
	assert.Less(t, time.Since(start), 2*time.Second, "the deadline stops the model promptly")

	resp, v = send(4, "")
	assert.Equal(t, 200, resp.StatusCode, "the server survives a panicking stage: %v", v)
}

func TestBatchPanicFailsOnlyThatBatch(t *testing.T) {
	probe := &batchProbe{Size: 4}
	ts := newTestServer(t, &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{probe}}})
	resp, v := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(pngBytes(t, scene(7, 3, image.Rectangle{}))))
	assert.Equal(t, 500, resp.StatusCode)
	assert.Equal(t, "internal", errCode(v))
	resp, v = post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(pngBytes(t, scene(12, 3, image.Rectangle{}))))
	require.Equal(t, 200, resp.StatusCode, "%v", v)
	assert.Equal(t, 2.0, v["prediction"].(map[string]any)["class"])
}

func TestValidate(t *testing.T) {
	model := &labelfree.PipelineModel{Stages: []labelfree.Stage{&brightDetector{}}}
	tests := []struct {
		name  string
		srv   *Server
		field string
	}{
		{"no model", &Server{}, "Model"},
		{"empty model", &Server{Model: &labelfree.PipelineModel{}}, "Model"},
		{"unprovidable input", &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{&pathReader{}}}}, "Model"},
		{"negative body", &Server{Model: model, MaxBodyBytes: -1}, "MaxBodyBytes"},
		{"negative pixels", &Server{Model: model, MaxPixels: -1}, "MaxPixels"},
		{"negative timeout", &Server{Model: model, RequestTimeout: -time.Second}, "RequestTimeout"},
		{"negative read timeout", &Server{Model: model, ReadTimeout: -time.Second}, "ReadTimeout"},
		{"negative concurrency", &Server{Model: model, MaxConcurrent: -1}, "MaxConcurrent"},
		{"negative batch", &Server{Model: model, MaxBatch: -1}, "MaxBatch"},
		{"negative wait", &Server{Model: model, MaxWait: -1}, "MaxWait"},
		{"negative drain", &Server{Model: model, DrainDelay: -1}, "DrainDelay"},
		{"half TLS", &Server{Model: model, TLSCertFile: "cert.pem"}, "TLSCertFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.srv.Validate()
			var pe *labelfree.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.field, pe.Field)
			_, herr := tt.srv.Handler()
			assert.Error(t, herr, "Handler refuses what Validate refuses")
		})
	}
	require.NoError(t, (&Server{Model: model}).Validate())
}

func TestAuth(t *testing.T) {
	srv := &Server{Model: loadModel(t, &brightDetector{}), Token: "s3cret-token"}
	ts := newTestServer(t, srv)
	img := pngBytes(t, scene(8, 8, image.Rect(1, 1, 3, 3)))
	for _, hdr := range []string{"", "Bearer wrong", "Basic czNjcmV0LXRva2Vu", "Bearer s3cret-toke", "bearer s3cret-token"} {
		resp, v := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img), "Authorization", hdr)
		assert.Equal(t, 401, resp.StatusCode, "header %q", hdr)
		assert.Equal(t, "unauthorized", errCode(v))
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
	}
	resp, v := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img), "Authorization", "Bearer s3cret-token")
	assert.Equal(t, 200, resp.StatusCode, "%v", v)
	assert.Equal(t, 5.0, testutil.ToFloat64(srv.metrics.errors.WithLabelValues("unauthorized")), "refusals are counted")

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/v1/openapi.json": 200, "/": 200, "/metrics": 401} {
		resp, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

func TestURLInput(t *testing.T) {
	img := pngBytes(t, scene(20, 10, image.Rect(0, 0, 4, 4)))
	var mu sync.Mutex
	var asked []string
	fetcher := FetcherFunc(func(ctx context.Context, url string) (io.ReadCloser, error) {
		mu.Lock()
		asked = append(asked, url)
		mu.Unlock()
		switch url {
		case "https://images.example.org/leopard.png":
			return io.NopCloser(bytes.NewReader(img)), nil
		case "http://169.254.169.254/latest/meta-data":
			return nil, fmt.Errorf("dataset: address 169.254.169.254 is link-local: %w", ErrURLRefused)
		case "https://images.example.org/huge.png":
			return io.NopCloser(io.LimitReader(zeros{}, 1<<30)), nil
		case "https://images.example.org/slow.png":
			<-ctx.Done()
			return nil, ctx.Err()
		default:
			return nil, errors.New("404 Not Found")
		}
	})
	ts := newTestServer(t, &Server{Model: loadModel(t, &brightDetector{}), Fetcher: fetcher, MaxBodyBytes: 1 << 20})
	tests := []struct {
		url, query string
		status     int
		code       string
	}{
		{"https://images.example.org/leopard.png", "", 200, ""},
		{"http://169.254.169.254/latest/meta-data", "", 403, "url_refused"},
		{"https://images.example.org/missing.png", "", 502, "fetch_failed"},
		{"https://images.example.org/huge.png", "", 413, "payload_too_large"},
		{"https://images.example.org/slow.png", "?timeout=50ms", 504, "deadline_exceeded"},
		{"ftp://images.example.org/a.png", "", 400, "bad_url"},
		{"https:///nohost", "", 400, "bad_url"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			resp, v := post(t, ts.URL+"/v1/predict"+tt.query, "application/json", jsonBody(PredictRequest{URL: tt.url, ID: "u"}))
			assert.Equal(t, tt.status, resp.StatusCode, "%v", v)
			assert.Equal(t, tt.code, errCode(v))
			if tt.status == 200 {
				assert.Equal(t, 20.0, v["image"].(map[string]any)["width"])
				assert.Equal(t, "u", v["id"])
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	assert.NotContains(t, asked, "ftp://images.example.org/a.png", "bad URLs never reach the fetcher")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDownloadFetcher(t *testing.T) {
	img := pngBytes(t, scene(30, 20, image.Rect(3, 3, 9, 9)))
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/leopard.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(img)
		case "/text":
			w.Write([]byte("not an image at all, just some words"))
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer origin.Close()

	model := loadModel(t, &brightDetector{})
	guarded := newTestServer(t, &Server{Model: model, Fetcher: &DownloadFetcher{}})
	loopbackOK := newTestServer(t, &Server{Model: model, Fetcher: &DownloadFetcher{
		Downloader: &dataset.Downloader{Guard: dataset.Guard{AllowLoopback: true}, Retries: -1}}})
	tests := []struct {
		name   string
		srv    *httptest.Server
		path   string
		status int
		code   string
	}{
		{"the default guard refuses loopback", guarded, "/leopard.png", 403, "url_refused"},
		{"allowed origin", loopbackOK, "/leopard.png", 200, ""},
		{"redirect to the metadata service", loopbackOK, "/to-metadata", 403, "url_refused"},
		{"missing", loopbackOK, "/missing.png", 502, "fetch_failed"},
		{"not an image", loopbackOK, "/text", 415, "unsupported_image_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, v := post(t, tt.srv.URL+"/v1/predict", "application/json", jsonBody(PredictRequest{URL: origin.URL + tt.path}))
			assert.Equal(t, tt.status, resp.StatusCode, "%v", v)
			assert.Equal(t, tt.code, errCode(v), "%v", v)
			if tt.status == 200 {
				assert.Equal(t, 30.0, v["image"].(map[string]any)["width"])
				assert.Len(t, v["boxes"], 1)
			}
		})
	}
}

func TestPredictWebP(t *testing.T) {
	data, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	require.NoError(t, err)
	ts := newTestServer(t, &Server{Model: loadModel(t, &brightDetector{})})
	resp, v := post(t, ts.URL+"/v1/predict", "image/webp", bytes.NewReader(data))
	require.Equal(t, 200, resp.StatusCode, "%v", v)
	assert.Equal(t, "webp", v["image"].(map[string]any)["format"])
}

// TestDownloadFetcherTakesTheBodyLimit checks that a default DownloadFetcher
// stops reading at the Server's MaxBodyBytes (the smallest of the Servers
// sharing it), not at the dataset.Downloader's larger default.
func TestDownloadFetcherTakesTheBodyLimit(t *testing.T) {
	model := loadModel(t, &brightDetector{})
	df := &DownloadFetcher{}
	for _, limit := range []int64{50_000, 20_000, 0} {
		srv := &Server{Model: model, Fetcher: df, MaxBodyBytes: limit}
		_, err := srv.Handler()
		require.NoError(t, err)
		defer srv.Close()
	}
	_, err := df.Fetch(context.Background(), "http://127.0.0.1:1/a.png")
	assert.ErrorIs(t, err, ErrURLRefused, "the guard still refuses loopback")
	assert.EqualValues(t, 20_000, df.d.MaxBytes)

	def := &DownloadFetcher{}
	srv := &Server{Model: model, Fetcher: def}
	_, err = srv.Handler()
	require.NoError(t, err)
	defer srv.Close()
	def.Fetch(context.Background(), "http://127.0.0.1:1/a.png")
	assert.Zero(t, def.d.MaxBytes, "the Downloader's default when it is below the Server's")

	own := &dataset.Downloader{MaxBytes: 1 << 30}
	custom := &DownloadFetcher{Downloader: own}
	srv = &Server{Model: model, Fetcher: custom, MaxBodyBytes: 1000}
	_, err = srv.Handler()
	require.NoError(t, err)
	defer srv.Close()
	custom.Fetch(context.Background(), "http://127.0.0.1:1/a.png")
	assert.Same(t, own, custom.d, "a Downloader of the caller's is used as given")
}
