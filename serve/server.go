package serve

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/labelfree/labelfree"
)

// APIVersion is the version of the HTTP schema served under /v1/ and
// reported in every reply's api_version field.
const APIVersion = "v1"

// DefaultAddr is the address ListenAndServe uses when Server.Addr is empty:
// loopback only, so a server is never exposed by accident.
const DefaultAddr = "127.0.0.1:8080"

// Defaults of the Server fields whose zero value means "the default".
const (
	DefaultMaxBodyBytes      = 32 << 20
	DefaultMaxPixels         = 40_000_000
	DefaultRequestTimeout    = 30 * time.Second
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 90 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultRetryAfter        = time.Second
)

// A Server serves a fitted pipeline over HTTP. Set Model and whatever else
// differs from the defaults, then call ListenAndServe, or mount Handler in
// your own http.Server. The zero value of every other field is a sensible
// default. A Server must not be copied or reconfigured after first use.
//
// Endpoints:
//
//	POST /v1/predict       run the model on one image (see the OpenAPI document)
//	GET  /v1/openapi.json  the OpenAPI 3 description of the API
//	GET  /healthz          200 while the process runs
//	GET  /readyz           200 when ready for traffic, 503 while draining
//	GET  /metrics          Prometheus metrics
//	GET  /                 a page to upload a photo and see the boxes
//	GET  /static/{name}    the page's script and style sheet
type Server struct {
	// Model is the fitted pipeline to serve, typically from
	// labelfree.LoadFile. It must read only the Image and/or ImageBytes
	// columns, which each request provides. Required.
	Model *labelfree.PipelineModel
	// Classes names the model's classes: Classes[i] names class i in
	// replies. When empty, the model's own Classes (saved with it) name
	// them; when both are empty, replies carry class indices only.
	Classes []string
	// ModelName and ModelVersion are reported in every reply, so clients
	// and logs can tell which model answered (FileVersion gives a
	// content hash of a model file).
	ModelName, ModelVersion string

	// Addr is the TCP address to listen on; empty means DefaultAddr
	// (loopback). Use ":8080" to listen on every interface.
	Addr string
	// Token, when set, must be presented as "Authorization: Bearer <Token>"
	// on /v1/predict and /metrics; it is compared in constant time. The
	// health endpoints, the web page and the OpenAPI document stay open.
	Token string
	// TLSConfig, TLSCertFile and TLSKeyFile enable TLS in ListenAndServe
	// when TLSConfig is non-nil or both files are set.
	TLSConfig               *tls.Config
	TLSCertFile, TLSKeyFile string

	// MaxBodyBytes bounds a request body (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxPixels bounds width×height of an image, checked from its header
	// before any pixel is decoded (0: DefaultMaxPixels).
	MaxPixels int64
	// RequestTimeout bounds the work on one request once its body is read:
	// waiting for a slot, decoding and the model (0: DefaultRequestTimeout).
	// A client may ask for less with the "timeout" query parameter
	// (a Go duration such as "250ms").
	RequestTimeout time.Duration
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// http.Server timeouts ListenAndServe uses (0: the Default constants).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds how long ListenAndServe waits for in-flight
	// requests to finish once its context is cancelled
	// (0: DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// DrainDelay is how long ListenAndServe keeps accepting requests after
	// its context is cancelled while /readyz already answers 503, so load
	// balancers take the replica out of rotation before its listener
	// closes (0: close at once). A few seconds suits Kubernetes.
	DrainDelay time.Duration

	// MaxConcurrent bounds the requests being decoded and run at once
	// (0: 2×GOMAXPROCS, raised to twice the largest batch size so that
	// the next micro-batch can fill while one runs).
	MaxConcurrent int
	// MaxQueue bounds the requests waiting for one of the MaxConcurrent
	// slots (0: 4×MaxConcurrent; negative: no waiting). A request beyond it
	// is shed at once with 503 and a Retry-After header.
	MaxQueue int
	// RetryAfter is the delay suggested to shed clients
	// (0: DefaultRetryAfter; rounded up to whole seconds).
	RetryAfter time.Duration

	// MaxBatch caps the micro-batches handed to the model's
	// BatchTransformer stages (0: each stage's own BatchSize).
	MaxBatch int
	// MaxWait is how long a micro-batch waits for more requests once its
	// first has arrived. Zero batches only the requests already waiting
	// while the previous batch ran: no added latency at low load, full
	// batches under high load.
	MaxWait time.Duration
	// BatchWorkers is the number of micro-batches of one stage that may
	// run at once (0: 1).
	BatchWorkers int

	// Fetcher fetches images for JSON requests that give a "url". Nil
	// disables URL input: such requests get 501 url_input_disabled. Use a
	// fetcher built on the dataset package's SSRF-guarded HTTP client.
	Fetcher Fetcher

	// Logger receives structured logs: one line per request and the
	// server's life cycle (nil: slog.Default()).
	Logger *slog.Logger
	// Registerer, when set, receives the server's metrics in addition to
	// the server's own registry (served at /metrics).
	Registerer prometheus.Registerer

	once     sync.Once
	initErr  error
	handler  http.Handler
	log      *slog.Logger
	metrics  *metrics
	adm      *admission
	run      *runner
	needs    needs
	classes  []string
	info     ModelInfo
	boxes    bool
	draining atomic.Bool
	closed   atomic.Bool
}

// Validate checks the server's configuration and model without starting
// anything. Errors name the bad field as *labelfree.ParamError values.
func (s *Server) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: "serve.Server", Field: field, Reason: reason}
	}
	switch {
	case s.Model == nil:
		return bad("Model", "is nil: load a fitted pipeline with labelfree.LoadFile")
	case len(s.Model.Stages) == 0:
		return bad("Model", "has no stages")
	case s.MaxBodyBytes < 0:
		return bad("MaxBodyBytes", "must not be negative")
	case s.MaxPixels < 0:
		return bad("MaxPixels", "must not be negative")
	case s.RequestTimeout < 0:
		return bad("RequestTimeout", "must not be negative")
	case s.ReadHeaderTimeout < 0, s.ReadTimeout < 0, s.WriteTimeout < 0, s.IdleTimeout < 0:
		return bad("ReadTimeout", "the http.Server timeouts must not be negative")
	case s.ShutdownTimeout < 0:
		return bad("ShutdownTimeout", "must not be negative")
	case s.DrainDelay < 0:
		return bad("DrainDelay", "must not be negative")
	case s.RetryAfter < 0:
		return bad("RetryAfter", "must not be negative")
	case s.MaxConcurrent < 0:
		return bad("MaxConcurrent", "must not be negative")
	case s.MaxBatch < 0:
		return bad("MaxBatch", "must not be negative")
	case s.MaxWait < 0:
		return bad("MaxWait", "must not be negative")
	case s.BatchWorkers < 0:
		return bad("BatchWorkers", "must not be negative")
	case (s.TLSCertFile == "") != (s.TLSKeyFile == ""):
		return bad("TLSCertFile", "TLSCertFile and TLSKeyFile must be set together")
	}
	for i, st := range s.Model.Stages {
		switch st.(type) {
		case labelfree.Transformer, labelfree.DatasetTransformer:
		default:
			return bad("Model", fmt.Sprintf("stage %d (%s) is not fitted", i, st.Info().Name))
		}
		if err := labelfree.ValidateStage(st); err != nil {
			return fmt.Errorf("serve: model stage %d: %w", i, err)
		}
	}
	if _, err := needsOf(s.Model); err != nil {
		return bad("Model", err.Error())
	}
	return nil
}

func (s *Server) init() error {
	s.once.Do(func() {
		if err := s.Validate(); err != nil {
			s.initErr = err
			return
		}
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.Default()
		}
		s.needs, _ = needsOf(s.Model)
		s.classes = s.Classes
		if len(s.classes) == 0 {
			s.classes = s.Model.Classes
		}
		s.initModelInfo()
		if df, ok := s.Fetcher.(*DownloadFetcher); ok {
			df.limitBytes(or(s.MaxBodyBytes, DefaultMaxBodyBytes))
		}
		s.metrics = newMetrics()
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		for _, r := range []prometheus.Registerer{reg, s.Registerer} {
			if r == nil {
				continue
			}
			if err := s.metrics.register(r); err != nil {
				s.initErr = fmt.Errorf("serve: register metrics: %w", err)
				return
			}
		}
		s.run = newRunner(s.Model, s.MaxBatch, s.MaxWait, s.BatchWorkers, s.metrics)
		conc := s.MaxConcurrent
		if conc == 0 {
			conc = max(2*runtime.GOMAXPROCS(0), 2*s.run.maxBatch())
		}
		queue := s.MaxQueue
		switch {
		case queue == 0:
			queue = 4 * conc
		case queue < 0:
			queue = 0
		}
		s.adm = newAdmission(conc, queue)
		s.run.start(conc)
		s.handler = s.routes(reg)
	})
	return s.initErr
}

// Handler returns the server's HTTP handler, starting its micro-batchers on
// first use. Call Close when done with a handler mounted elsewhere;
// ListenAndServe and Serve do so themselves.
func (s *Server) Handler() (http.Handler, error) {
	if err := s.init(); err != nil {
		return nil, err
	}
	return s.handler, nil
}

// Close stops the micro-batchers. Requests still running get an error; use
// Shutdown (through ListenAndServe's context) to drain them first.
func (s *Server) Close() {
	if s.closed.Swap(true) || s.run == nil {
		return
	}
	s.draining.Store(true)
	s.run.stop()
}

// ListenAndServe listens on Addr (loopback by default) and serves until
// ctx is cancelled, then drains: /readyz turns 503, the listener closes,
// and in-flight requests get up to ShutdownTimeout to finish. It returns
// nil after a clean drain.
func (s *Server) ListenAndServe(ctx context.Context) error {
	if err := s.init(); err != nil {
		return err
	}
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on a listener of the caller's; it closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.init(); err != nil {
		ln.Close()
		return err
	}
	hs := s.httpServer()
	useTLS := s.TLSConfig != nil || s.TLSCertFile != ""
	errc := make(chan error, 1)
	go func() {
		var err error
		if useTLS {
			err = hs.ServeTLS(ln, s.TLSCertFile, s.TLSKeyFile)
		} else {
			err = hs.Serve(ln)
		}
		errc <- err
	}()
	s.log.Info("serve: listening", "addr", ln.Addr().String(), "tls", useTLS,
		"model", s.ModelName, "model_version", s.ModelVersion, "stages", len(s.Model.Stages))
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("serve: draining", "in_flight", s.adm.inFlight(), "drain_delay", s.DrainDelay)
	if s.DrainDelay > 0 {
		select {
		case <-time.After(s.DrainDelay):
		case err := <-errc:
			s.Close()
			return fmt.Errorf("serve: %w", err)
		}
	}
	timeout := or(s.ShutdownTimeout, DefaultShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	s.Close()
	if err != nil {
		s.log.Warn("serve: shutdown did not drain", "err", err)
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	s.log.Info("serve: stopped")
	return nil
}

func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.TLSConfig,
		ReadHeaderTimeout: or(s.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       or(s.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      or(s.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       or(s.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) routes(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/predict", s.authed(http.HandlerFunc(s.handlePredict), true))
	mux.HandleFunc("/v1/openapi.json", s.handleOpenAPI)
	mux.HandleFunc("/healthz", s.handleHealth)
	mux.HandleFunc("/readyz", s.handleReady)
	mux.Handle("/metrics", s.authed(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), false))
	mux.HandleFunc("/{$}", s.handleIndex)
	mux.Handle("/static/{name}", s.staticHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errNotFound(r.URL.Path))
	})
	return mux
}

// authed requires the bearer token when one is configured. Refusals of
// prediction requests are counted and logged like other failed
// predictions.
func (s *Server) authed(h http.Handler, predict bool) http.Handler {
	if s.Token == "" {
		return h
	}
	want := []byte(s.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			start := time.Now()
			w.Header().Set("WWW-Authenticate", `Bearer realm="labelfree"`)
			aerr := &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "missing or wrong bearer token"}
			s.writeError(w, r, aerr)
			if predict {
				end := time.Now()
				s.metrics.observe(aerr.Status, end.Sub(start).Seconds(), aerr.Code)
				s.logRequest(r, aerr.Status, aerr.Code, "", start, end, aerr)
			}
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

var errClosed = errors.New("serve: server is closed")
