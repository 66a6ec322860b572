package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"image"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

// blockModel makes the hostile stage block until the returned release
// function runs; started receives one value per request entering it.
func blockModel(t *testing.T) (started chan struct{}, release func()) {
	t.Helper()
	rel := make(chan struct{})
	started = make(chan struct{}, 64)
	behave.mu.Lock()
	behave.release, behave.started = rel, started
	behave.mu.Unlock()
	var once sync.Once
	release = func() { once.Do(func() { close(rel) }) }
	t.Cleanup(func() {
		release()
		behave.mu.Lock()
		behave.release, behave.started = nil, nil
		behave.mu.Unlock()
	})
	return started, release
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLoadShedding(t *testing.T) {
	started, release := blockModel(t)
	srv := &Server{Model: loadModel(t, &hostile{}), MaxConcurrent: 1, MaxQueue: 1, RetryAfter: 2 * time.Second}
	ts := newTestServer(t, srv)
	img := pngBytes(t, scene(4, 4, image.Rectangle{}))
	codes := make(chan int, 2)
	go func() {
		resp, _ := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img))
		codes <- resp.StatusCode
	}()
	<-started // the first request holds the only slot
	go func() {
		resp, _ := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img))
		codes <- resp.StatusCode
	}()
	waitFor(t, "the second request to queue", func() bool { return srv.adm.inFlight() == 2 })

	start := time.Now()
	resp, v := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img))
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "overloaded", errCode(v))
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	assert.Less(t, time.Since(start), time.Second, "shedding is immediate, not a wait")

	release()
	assert.Equal(t, 200, <-codes)
	assert.Equal(t, 200, <-codes)
	assert.Equal(t, int64(0), srv.adm.inFlight())
}

func TestQueuedRequestDeadline(t *testing.T) {
	started, release := blockModel(t)
	defer release()
	srv := &Server{Model: loadModel(t, &hostile{}), MaxConcurrent: 1, MaxQueue: 4}
	ts := newTestServer(t, srv)
	img := pngBytes(t, scene(4, 4, image.Rectangle{}))
	go post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img))
	<-started
	start := time.Now()
	resp, v := post(t, ts.URL+"/v1/predict?timeout=100ms", "image/png", bytes.NewReader(img))
	assert.Equal(t, 503, resp.StatusCode, "%v", v)
	assert.Equal(t, "overloaded", errCode(v))
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestMicroBatching(t *testing.T) {
	t.Run("MaxWait gathers concurrent requests", func(t *testing.T) {
		probe := &batchProbe{Size: 8}
		srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{probe}}, MaxWait: 500 * time.Millisecond}
		ts := newTestServer(t, srv)
		var wg sync.WaitGroup
		for w := 10; w < 18; w++ {
			img := pngBytes(t, scene(w, 3, image.Rectangle{}))
			wg.Go(func() {
				resp, v := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img))
				assert.Equal(t, 200, resp.StatusCode, "%v", v)
				assert.Equal(t, float64(w%10), v["prediction"].(map[string]any)["class"], "each request gets its own row's result")
			})
		}
		wg.Wait()
		sizes := probe.batchSizes()
		total := 0
		for _, s := range sizes {
			total += s
			assert.LessOrEqual(t, s, 8)
		}
		assert.Equal(t, 8, total, "every row ran exactly once: %v", sizes)
		assert.Less(t, len(sizes), 8, "concurrent requests shared batches: %v", sizes)
	})
	t.Run("MaxBatch caps batches; zero MaxWait batches what queued", func(t *testing.T) {
		probe := &batchProbe{Size: 64, delay: 100 * time.Millisecond}
		srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{&brightDetector{}, probe, &hostile{}}}, MaxBatch: 3, MaxConcurrent: 16}
		ts := newTestServer(t, srv)
		var wg sync.WaitGroup
		for w := range 7 {
			img := pngBytes(t, scene(20+w, 3, image.Rect(0, 0, 1, 1)))
			wg.Go(func() {
				resp, v := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img))
				assert.Equal(t, 200, resp.StatusCode, "%v", v)
				assert.Equal(t, float64(w%10), v["prediction"].(map[string]any)["class"], "the batched stage's result")
				assert.Len(t, v["boxes"], 1, "the row-wise stage before the batch ran")
			})
		}
		wg.Wait()
		sizes := probe.batchSizes()
		total := 0
		for _, s := range sizes {
			total += s
			assert.LessOrEqual(t, s, 3, "MaxBatch caps the batch")
		}
		assert.Equal(t, 7, total, "%v", sizes)
		assert.Less(t, len(sizes), 7, "requests that queued during a batch formed the next one: %v", sizes)
	})
	t.Run("a request whose deadline passes in the queue leaves promptly", func(t *testing.T) {
		probe := &batchProbe{Size: 1, delay: time.Second}
		srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{probe}}}
		ts := newTestServer(t, srv)
		img := pngBytes(t, scene(3, 3, image.Rectangle{}))
		done := make(chan struct{})
		go func() {
			defer close(done)
			post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img))
		}()
		waitFor(t, "the first batch", func() bool { return len(probe.batchSizes()) == 1 })
		start := time.Now()
		resp, v := post(t, ts.URL+"/v1/predict?timeout=50ms", "image/png", bytes.NewReader(img))
		assert.Equal(t, 504, resp.StatusCode, "%v", v)
		assert.Equal(t, "deadline_exceeded", errCode(v))
		assert.Less(t, time.Since(start), 700*time.Millisecond, "it did not wait for the running batch")
		<-done
		time.Sleep(200 * time.Millisecond) // let the batcher look at the expired job
		assert.Len(t, probe.batchSizes(), 1, "the expired request was left out of later batches")
	})
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	probe := &batchProbe{Size: 4}
	srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{probe}}, Registerer: reg}
	ts := newTestServer(t, srv)
	img := pngBytes(t, scene(3, 3, image.Rectangle{}))
	for range 3 {
		resp, _ := post(t, ts.URL+"/v1/predict", "image/png", bytes.NewReader(img))
		require.Equal(t, 200, resp.StatusCode)
	}
	post(t, ts.URL+"/v1/predict", "application/json", strings.NewReader("{"))
	resp, err := http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`labelfree_serve_requests_total{code="200"} 3`,
		`labelfree_serve_requests_total{code="400"} 1`,
		`labelfree_serve_errors_total{error="malformed_json"} 1`,
		`labelfree_serve_request_duration_seconds_count{code="200"} 3`,
		`labelfree_serve_request_duration_seconds_bucket{code="200",le="+Inf"} 3`,
		`labelfree_serve_model_duration_seconds_count 3`,
		`labelfree_serve_batch_size_count{stage="probe"} 3`,
		`labelfree_serve_batch_size_sum{stage="probe"} 3`,
		`labelfree_serve_in_flight_requests 0`,
		`labelfree_serve_queued_requests 0`,
		`labelfree_serve_shed_total 0`,
		`go_goroutines`,
	} {
		assert.Contains(t, text, want)
	}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	assert.Contains(t, names, "labelfree_serve_request_duration_seconds", "the caller's Registerer gets the metrics too")
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines decodes the JSON log lines with the given message.
func logLines(t *testing.T, logs string, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &v), line)
		if v["msg"] == msg {
			out = append(out, v)
		}
	}
	return out
}

func TestGracefulShutdown(t *testing.T) {
	started, release := blockModel(t)
	var logs syncBuffer
	srv := &Server{Model: loadModel(t, &hostile{}), Addr: "127.0.0.1:0", DrainDelay: 300 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	get := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, "readiness", func() bool { return get("/readyz") == 200 })

	inflight := make(chan int, 1)
	go func() {
		resp, _ := post(t, base+"/v1/predict", "image/png", bytes.NewReader(pngBytes(t, scene(4, 4, image.Rectangle{}))), "Connection", "close")
		inflight <- resp.StatusCode
	}()
	<-started
	cancel()
	waitFor(t, "draining", func() bool { return get("/readyz") == 503 })
	assert.Equal(t, 200, get("/healthz"), "alive while draining")
	time.Sleep(400 * time.Millisecond) // past the drain delay: the listener closes, the request still runs
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	default:
	}
	release()
	assert.Equal(t, 200, <-inflight, "the in-flight request finished")
	require.NoError(t, <-served)
	assert.Equal(t, 0, get("/healthz"), "the listener is closed")

	reqs := logLines(t, logs.String(), "serve: request")
	require.Len(t, reqs, 1)
	assert.Equal(t, 200.0, reqs[0]["status"])
	assert.Equal(t, "/v1/predict", reqs[0]["path"])
	assert.Len(t, logLines(t, logs.String(), "serve: stopped"), 1)
}

func TestListenAndServeDefaultsToLoopback(t *testing.T) {
	var logs syncBuffer
	srv := &Server{Model: loadModel(t, &brightDetector{}), Addr: "localhost:0", Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	waitFor(t, "the listening log line", func() bool { return strings.Contains(logs.String(), "serve: listening") })
	addr := logLines(t, logs.String(), "serve: listening")[0]["addr"].(string)
	host, _, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	assert.True(t, net.ParseIP(host).IsLoopback(), "listening on %s", addr)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, "127.0.0.1:8080", DefaultAddr)
}

func TestHostileConnections(t *testing.T) {
	srv := &Server{Model: loadModel(t, &brightDetector{}), ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 400 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, Logger: quietLogger()}
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	// closedWithin reads until the server closes the connection.
	closedWithin := func(t *testing.T, c net.Conn, limit time.Duration) string {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(limit))
		b, err := io.ReadAll(c)
		var ne net.Error
		if assertErr := err; assertErr != nil {
			require.False(t, errorsAs(assertErr, &ne) && ne.Timeout(), "connection still open after %v", limit)
		}
		return string(b)
	}
	t.Run("slow headers", func(t *testing.T) {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		io.WriteString(c, "POST /v1/predict HTTP/1.1\r\nHost: x\r\n")
		closedWithin(t, c, 3*time.Second)
	})
	t.Run("slow body", func(t *testing.T) {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		io.WriteString(c, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n\x89PNG")
		reply := closedWithin(t, c, 3*time.Second)
		if reply != "" { // the handler answered the failed read before closing
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(reply)), nil)
			require.NoError(t, err)
			assert.Equal(t, 400, resp.StatusCode)
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		assert.Equal(t, 200, resp.StatusCode)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, err = br.ReadByte()
		var ne net.Error
		assert.False(t, errorsAs(err, &ne) && ne.Timeout(), "idle connection closed by the server")
	})
}

func errorsAs(err error, target *net.Error) bool {
	if err == nil {
		return false
	}
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "labelfree test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))

	srv := &Server{Model: loadModel(t, &brightDetector{}), TLSCertFile: certFile, TLSKeyFile: keyFile, Token: "tok", Logger: quietLogger()}
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("POST", "https://"+ln.Addr().String()+"/v1/predict", bytes.NewReader(pngBytes(t, scene(8, 8, image.Rect(0, 0, 2, 2)))))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := client.Do(req)
	require.NoError(t, err)
	v := decodeReply(t, resp)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "%v", v)
	assert.NotNil(t, resp.TLS)

	_, err = http.Get("http://" + ln.Addr().String() + "/healthz")
	if err == nil {
		// Go's TLS server answers plain HTTP with a 400; either way no plain service.
		r2, _ := http.Get("http://" + ln.Addr().String() + "/healthz")
		if r2 != nil {
			assert.Equal(t, 400, r2.StatusCode)
			r2.Body.Close()
		}
	}
}

func TestConcurrencyDefaults(t *testing.T) {
	srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{&batchProbe{Size: 24}}}, Logger: quietLogger()}
	_, err := srv.Handler()
	require.NoError(t, err)
	defer srv.Close()
	assert.Equal(t, max(2*runtime.GOMAXPROCS(0), 48), cap(srv.adm.slots), "a batch can fill while another runs")
	assert.Equal(t, int64(5*cap(srv.adm.slots)), srv.adm.limit, "queue of 4×MaxConcurrent")

	srv2 := &Server{Model: loadModel(t, &brightDetector{}), MaxConcurrent: 3, MaxQueue: -1, Logger: quietLogger()}
	_, err = srv2.Handler()
	require.NoError(t, err)
	defer srv2.Close()
	assert.Equal(t, 3, cap(srv2.adm.slots))
	assert.Equal(t, int64(3), srv2.adm.limit, "a negative MaxQueue means no waiting")
}
