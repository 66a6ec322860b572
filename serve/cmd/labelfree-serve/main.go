// Command labelfree-serve serves a saved labelfree pipeline over HTTP.
//
//	labelfree-serve -model snowleopard.lfp
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
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/labelfree/labelfree"
	_ "github.com/labelfree/labelfree/dataset"  // registers its stages
	_ "github.com/labelfree/labelfree/detect"   // registers the fitted Detector
	_ "github.com/labelfree/labelfree/features" // registers its fitted stages
	"github.com/labelfree/labelfree/serve"
	_ "github.com/labelfree/labelfree/superpixel" // registers its stages
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "labelfree-serve:", err)
		os.Exit(1)
	}
}

// run serves until ctx is cancelled; logs go to logw as JSON lines.
func run(ctx context.Context, args []string, getenv func(string) string, logw io.Writer) error {
	fs := flag.NewFlagSet("labelfree-serve", flag.ContinueOnError)
	fs.SetOutput(logw)
	var (
		modelPath  = fs.String("model", "", "saved pipeline file (labelfree.SaveFile); required")
		addr       = fs.String("addr", serve.DefaultAddr, `listen address; ":8080" for every interface`)
		classes    = fs.String("classes", "", "comma-separated class names, class 0 first; default: the names saved with the model")
		name       = fs.String("name", "", "model name reported in replies")
		tokenEnv   = fs.String("token-env", "LABELFREE_TOKEN", "environment variable holding the bearer token; unset or empty means no token")
		certFile   = fs.String("tls-cert", "", "TLS certificate file (PEM)")
		keyFile    = fs.String("tls-key", "", "TLS key file (PEM)")
		maxBatch   = fs.Int("max-batch", 0, "micro-batch cap; 0 means each stage's BatchSize")
		maxWait    = fs.Duration("max-wait", 0, "how long a micro-batch waits to fill")
		concurrent = fs.Int("max-concurrent", 0, "requests decoded and run at once; 0 means 2×GOMAXPROCS")
		timeout    = fs.Duration("timeout", serve.DefaultRequestTimeout, "per-request deadline")
		drain      = fs.Duration("drain-delay", 0, "time /readyz reports 503 before the listener closes on shutdown")
		fetchURLs  = fs.Bool("fetch-urls", false, "accept JSON requests with a URL, fetched through the dataset package's SSRF guard (public addresses only)")
		logLevel   = fs.String("log-level", "info", "debug, info, warn or error")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *modelPath == "" {
		fs.Usage()
		return fmt.Errorf("-model is required")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(logw, &slog.HandlerOptions{Level: level}))
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
		Token:          getenv(*tokenEnv),
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
	start := time.Now()
	err = srv.ListenAndServe(ctx)
	logger.Info("labelfree-serve: exit", "uptime", time.Since(start).Round(time.Second).String())
	return err
}
