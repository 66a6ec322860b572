package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
)

// rowID is the ID of every request's row. Row.Seed derives per-row
// randomness from it, so a fixed ID makes replies depend on the image
// alone: the same image gets the same answer from every replica.
const rowID = "request"

// statusClientClosed is logged (never sent) when the client went away.
const statusClientClosed = 499

func (s *Server) handlePredict(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	res, aerr := s.predict(w, r, start)
	if aerr == nil {
		// The reply is assembled here, on this goroutine's stack, and
		// encoded into a pooled buffer: no allocation for it.
		var (
			resp   = Response{APIVersion: APIVersion, Model: s.info, ID: res.id, Image: res.info}
			scores [8]ClassScore
			pred   ClassScore
			boxes  [8]Box
		)
		probs, _ := labelfree.Get(res.row, labelfree.Probabilities)
		if len(probs) > 0 {
			resp.Probabilities = scores[:0]
			for i := range probs {
				resp.Probabilities = append(resp.Probabilities, ClassScore{Class: i, Name: s.className(i), Probability: &probs[i]})
			}
		}
		if p, ok := labelfree.Get(res.row, labelfree.Prediction); ok {
			pred = ClassScore{Class: p, Name: s.className(p)}
			if p >= 0 && p < len(probs) {
				pred.Probability = &probs[p]
			}
			resp.Prediction = &pred
		}
		if bs, ok := labelfree.Get(res.row, labelfree.Boxes); ok || s.boxes {
			// A model that writes boxes always reports the list, empty when
			// it found nothing.
			resp.Boxes = boxes[:0]
			for _, b := range bs {
				resp.Boxes = append(resp.Boxes, Box{X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1, Score: b.Score, Class: b.Class, Name: s.className(b.Class)})
			}
		}
		resp.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
		bp := replyBuffers.Get().(*[]byte)
		b, err := appendResponse((*bp)[:0], &resp)
		if err == nil {
			writeReply(w, http.StatusOK, b)
		} else {
			aerr = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "reply could not be encoded", Err: err}
		}
		putReplyBuffer(bp, b)
	}
	status := http.StatusOK
	code := ""
	if aerr != nil {
		status, code = aerr.Status, aerr.Code
		s.writeError(w, r, aerr)
		if r.Context().Err() != nil && aerr.Code == "client_closed" {
			status = statusClientClosed
		}
	}
	end := time.Now()
	s.metrics.observe(status, end.Sub(start).Seconds(), code)
	s.logRequest(r, status, code, res.id, start, end, aerr)
	res.release()
}

// logRequest logs a prediction request that arrived at start and was
// answered at end.
func (s *Server) logRequest(r *http.Request, status int, code, id string, start, end time.Time, aerr *apiError) {
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelWarn
	}
	// A log handler is given the request's context (its values), but not
	// its cancellation when the client has gone.
	ctx := r.Context()
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := [...]slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("duration_us", end.Sub(start).Microseconds()),
		slog.Int64("bytes_in", r.ContentLength),
		slog.String("remote", r.RemoteAddr),
	}
	rec := slog.NewRecord(end, level, "serve: request", 0)
	rec.AddAttrs(attrs[:]...)
	if id != "" {
		rec.AddAttrs(slog.String("id", id))
	}
	if aerr != nil {
		rec.AddAttrs(slog.String("error", code), slog.String("message", aerr.Message))
		if aerr.Err != nil {
			rec.AddAttrs(slog.String("cause", aerr.Err.Error()))
		}
		if pe, ok := errors.AsType[*panicError](aerr.Err); ok {
			rec.AddAttrs(slog.String("stack", string(pe.stack)))
		}
	}
	s.log.Handler().Handle(ctx, rec)
}

// A result is a request's row after the model ran, for the reply.
type result struct {
	row  *labelfree.Row
	id   string
	info ImageInfo
	// body is the pooled buffer holding the request's image, returned to
	// its pool by release; nil when the image is not in a pooled buffer
	// or a micro-batch may still be reading it.
	body *[]byte
}

// release returns the request's body buffer to its pool, once the reply
// and the log line no longer need the row.
func (res *result) release() {
	if res.body != nil {
		putBodyBuffer(res.body)
		res.body = nil
	}
}

// predict handles one prediction request up to the model's output. The
// caller releases the result once done with it, error or not.
func (s *Server) predict(w http.ResponseWriter, r *http.Request, start time.Time) (res result, _ *apiError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return res, errMethod("POST with an image: see /v1/openapi.json")
	}
	if s.closed.Load() {
		return res, &apiError{Status: http.StatusServiceUnavailable, Code: "shutting_down", Message: "the server is shutting down", RetryAfter: true}
	}
	if !s.adm.enter() {
		s.metrics.shed.Inc()
		return res, errOverloaded(fmt.Sprintf("the server is at its limit of %d requests; retry later", s.adm.limit))
	}
	defer s.adm.leave()
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()

	timeout := or(s.RequestTimeout, DefaultRequestTimeout)
	if r.URL.RawQuery != "" {
		if t := r.URL.Query().Get("timeout"); t != "" {
			d, err := time.ParseDuration(t)
			if err != nil || d <= 0 {
				return res, badRequest("bad_timeout", "timeout %q is not a positive duration such as 250ms", t)
			}
			timeout = min(timeout, d)
		}
	}
	maxBody := or(s.MaxBodyBytes, DefaultMaxBodyBytes)
	if r.ContentLength > maxBody {
		return res, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
			Message: fmt.Sprintf("the request body is %d bytes; at most %d are allowed", r.ContentLength, maxBody)}
	}
	req, aerr := parseRequest(r.Header.Get("Content-Type"), http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength)
	if aerr != nil {
		return res, aerr
	}
	res.id, res.body = req.id, req.pooled
	ctx, cancel := context.WithDeadline(r.Context(), start.Add(timeout))
	defer cancel()
	if req.url != "" {
		if req.data, aerr = s.fetch(ctx, req.url); aerr != nil {
			return res, aerr
		}
	}

	s.metrics.queued.Inc()
	err := s.adm.acquire(ctx)
	s.metrics.queued.Dec()
	if err != nil {
		if r.Context().Err() != nil {
			return res, deadlineError(ctx, err)
		}
		s.metrics.shed.Inc()
		return res, errOverloaded("no worker became free before the request's deadline; retry later")
	}
	defer s.adm.release()

	mstart := time.Now()
	img, info, aerr := decodeImage(req.data, or(s.MaxPixels, DefaultMaxPixels), s.needs.image)
	if aerr != nil {
		return res, aerr
	}
	row := labelfree.NewRow(rowID)
	if s.needs.image {
		labelfree.Set(row, labelfree.Image, img)
	}
	if s.needs.bytes {
		labelfree.Set(row, labelfree.ImageBytes, req.data)
	}
	abandoned, err := s.run.transform(ctx, row)
	if abandoned {
		// A micro-batch may still be reading the row's bytes.
		res.body = nil
	}
	s.metrics.modelTime.Observe(time.Since(mstart).Seconds())
	if err != nil {
		return res, s.modelError(ctx, err)
	}
	res.row, res.info = row, info
	return res, nil
}

// modelError maps a failed model run to a reply.
func (s *Server) modelError(ctx context.Context, err error) *apiError {
	if pe, ok := errors.AsType[*panicError](err); ok {
		return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "the model panicked; see the server's log", Err: pe}
	}
	if re, ok := errors.AsType[*labelfree.RowError](err); ok {
		msg := re.Err.Error()
		if strings.HasPrefix(msg, "panic: ") {
			return &apiError{Status: http.StatusInternalServerError, Code: "internal", Stage: re.Stage,
				Message: "the model panicked; see the server's log", Err: err}
		}
		if ctx.Err() != nil && (errors.Is(re.Err, context.DeadlineExceeded) || errors.Is(re.Err, context.Canceled)) {
			return deadlineError(ctx, err)
		}
		msg, _, _ = strings.Cut(msg, "\n")
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "model_failed", Stage: re.Stage,
			Message: fmt.Sprintf("stage %s could not process the image: %s", re.Stage, msg), Err: err}
	}
	if errors.Is(err, errClosed) {
		return &apiError{Status: http.StatusServiceUnavailable, Code: "shutting_down", Message: "the server is shutting down", RetryAfter: true, Err: err}
	}
	if ctx.Err() != nil {
		return deadlineError(ctx, err)
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "the model failed; see the server's log", Err: err}
}

// deadlineError tells a request whose deadline passed from one whose
// client went away.
func deadlineError(ctx context.Context, err error) *apiError {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &apiError{Status: http.StatusGatewayTimeout, Code: "deadline_exceeded",
			Message: "the request's deadline passed before the model finished", Err: err}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "client_closed", Message: "the client closed the request", Err: err}
}

func (s *Server) className(i int) string {
	if i >= 0 && i < len(s.classes) {
		return s.classes[i]
	}
	return ""
}
