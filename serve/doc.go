// Package serve serves any fitted labelfree pipeline over HTTP.
//
// Load a model saved with labelfree.SaveFile, put it in a Server and
// listen:
//
//	model, err := labelfree.LoadFile("snowleopard.lfp")
//	srv := &serve.Server{Model: model, Classes: []string{"other", "snow leopard"}}
//	err = srv.ListenAndServe(ctx) // 127.0.0.1:8080 until ctx is cancelled
//
// # API
//
// POST /v1/predict takes one image as raw bytes (Content-Type image/jpeg,
// image/png, image/gif, image/webp or application/octet-stream), as a multipart upload
// (a part named "image"), or as JSON {"image": base64} or {"url": ...}, and
// answers with a Response: class probabilities with their names, the
// prediction and boxes, whichever the model writes, plus the API and model
// versions. Every error is a JSON ErrorResponse with a stable code. The
// schema is versioned by the /v1/ prefix and described by the OpenAPI 3
// document at /v1/openapi.json; a test validates real replies against it.
// Replies are JSON only: no image, so no EXIF or GPS metadata, ever leaves
// the server.
//
// Each request's image becomes one row holding labelfree.Image (decoded
// only when the model reads it) and labelfree.ImageBytes, run through
// PipelineModel.TransformRow in the request's goroutine: no executor, no
// copies, no added latency. Stages that are labelfree.BatchTransformers
// (a CNN, a detector) are instead fed by a micro-batcher that gathers the
// rows of concurrent requests into batches of up to MaxBatch, waiting at
// most MaxWait; with the default MaxWait of zero a batch is whatever
// arrived while the previous one ran, so a lone request waits for nothing
// and a busy server runs full batches.
//
// # Hostile input and overload
//
// A body over MaxBodyBytes gets 413; an image whose header announces more
// than MaxPixels pixels gets 413 before any pixel is decoded; malformed
// JSON, multipart or base64 gets 400; an unknown Content-Type or image
// format gets 415. The read, write, idle and header timeouts of the
// underlying http.Server close slow or stuck connections. At most
// MaxConcurrent requests are decoded and run at once and at most MaxQueue
// more wait; a request beyond that is shed at once with 503 and
// Retry-After, and one that cannot get a slot before its deadline gets the
// same. Each request has a deadline (RequestTimeout, or less if the client
// asks with ?timeout=250ms); a model still running at the deadline gets
// 504. A panicking stage fails its request with 500, not the server.
//
// URL input is off (501) unless the Server has a Fetcher. DownloadFetcher
// fetches with a dataset.Downloader, whose Guard checks the resolved
// address of every connection, redirects included, so no request can make
// the server reach loopback, private or link-local addresses (the cloud
// metadata service) unless explicitly allowed; it also applies the
// Downloader's byte and pixel limits and strips image metadata.
//
// # Operations
//
// /healthz answers 200 while the process runs; /readyz answers 503 once a
// shutdown has begun, so load balancers stop sending traffic while
// in-flight requests drain. /metrics exposes Prometheus metrics: request
// latency histograms and counts by status, errors by code, shed requests,
// in-flight and queued requests, micro-batch sizes per stage and model
// time. Each request is logged with log/slog (status, duration, bytes,
// error code). The server listens on loopback unless given an Addr, can
// require a bearer token (compared in constant time) and can serve TLS.
//
// A Server holds no state between requests, so scaling out is running
// more replicas behind any load balancer; deploy/ holds a Kubernetes
// example and notes on sizing.
//
// # Command
//
// cmd/labelfree-serve serves a saved pipeline whose stages come from the
// labelfree packages:
//
//	LABELFREE_TOKEN=... labelfree-serve -model snowleopard.lfp -classes "other,snow leopard"
//
// Pipelines with stage types of your own need a main of your own around
// Server that imports the packages registering them.
package serve
