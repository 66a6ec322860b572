// Command labelfree-serve serves a saved labelfree pipeline over HTTP.
//
//	labelfree-serve -model snowleopard.lfp -classes "other,snow leopard"
//
// It listens on 127.0.0.1:8080 unless given -addr, requires the bearer
// token in the environment variable named by -token-env when that is set
// (never on the command line, where other users could read it), serves
// TLS with -tls-cert and -tls-key, and drains in-flight requests on
// SIGTERM or Ctrl-C. Stage types of the labelfree packages are linked in;
// a pipeline with stages of your own needs your own main built around
// serve.Server.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/labelfree/labelfree"
	_ "github.com/labelfree/labelfree/features" // registers its fitted stages
	"github.com/labelfree/labelfree/serve"
	_ "github.com/labelfree/labelfree/superpixel" // registers its stages
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "labelfree-serve:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		modelPath  = flag.String("model", "", "saved pipeline file (labelfree.SaveFile); required")
		addr       = flag.String("addr", serve.DefaultAddr, `listen address; ":8080" for every interface`)
		classes    = flag.String("classes", "", "comma-separated class names, class 0 first")
		name       = flag.String("name", "", "model name reported in replies")
		tokenEnv   = flag.String("token-env", "LABELFREE_TOKEN", "environment variable holding the bearer token; unset or empty means no token")
		certFile   = flag.String("tls-cert", "", "TLS certificate file (PEM)")
		keyFile    = flag.String("tls-key", "", "TLS key file (PEM)")
		maxBatch   = flag.Int("max-batch", 0, "micro-batch cap; 0 means each stage's BatchSize")
		maxWait    = flag.Duration("max-wait", 0, "how long a micro-batch waits to fill")
		concurrent = flag.Int("max-concurrent", 0, "requests decoded and run at once; 0 means 2×GOMAXPROCS")
		timeout    = flag.Duration("timeout", serve.DefaultRequestTimeout, "per-request deadline")
		drain      = flag.Duration("drain-delay", 0, "time /readyz reports 503 before the listener closes on shutdown")
		fetchURLs  = flag.Bool("fetch-urls", false, "accept JSON requests with a URL, fetched through the dataset package's SSRF guard (public addresses only)")
		logLevel   = flag.String("log-level", "info", "debug, info, warn or error")
	)
	flag.Parse()
	if *modelPath == "" {
		flag.Usage()
		return fmt.Errorf("-model is required")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	model, err := labelfree.LoadFile(*modelPath)
	if err != nil {
		return err
	}
	version, err := serve.FileVersion(*modelPath)
	if err != nil {
		return err
	}
	srv := &serve.Server{
		Model:          model,
		ModelName:      *name,
		ModelVersion:   version,
		Addr:           *addr,
		Token:          os.Getenv(*tokenEnv),
		TLSCertFile:    *certFile,
		TLSKeyFile:     *keyFile,
		MaxBatch:       *maxBatch,
		MaxWait:        *maxWait,
		MaxConcurrent:  *concurrent,
		RequestTimeout: *timeout,
		DrainDelay:     *drain,
		Logger:         logger,
	}
	if *classes != "" {
		srv.Classes = strings.Split(*classes, ",")
	}
	if *fetchURLs {
		srv.Fetcher = &serve.DownloadFetcher{}
	}
	if srv.Token == "" && !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "localhost:") && !strings.HasPrefix(*addr, "[::1]:") {
		logger.Warn("serving beyond loopback without a bearer token", "addr", *addr, "token_env", *tokenEnv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	start := time.Now()
	err = srv.ListenAndServe(ctx)
	logger.Info("labelfree-serve: exit", "uptime", time.Since(start).Round(time.Second).String())
	return err
}
