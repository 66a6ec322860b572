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
	resp, id, aerr := s.predict(w, r, start)
	status := http.StatusOK
	if aerr != nil {
		status = aerr.Status
		s.writeError(w, r, aerr)
	} else {
		resp.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
		writeJSON(w, status, resp)
	}
	elapsed := time.Since(start)
	code := ""
	if aerr != nil {
		code = aerr.Code
		if r.Context().Err() != nil && aerr.Code == "client_closed" {
			status = statusClientClosed
		}
	}
	s.metrics.observe(status, elapsed.Seconds(), code)
	s.logRequest(r, status, code, id, elapsed, aerr)
}

func (s *Server) logRequest(r *http.Request, status int, code, id string, elapsed time.Duration, aerr *apiError) {
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelWarn
	}
	ctx := context.WithoutCancel(r.Context())
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("duration_us", elapsed.Microseconds()),
		slog.Int64("bytes_in", r.ContentLength),
		slog.String("remote", r.RemoteAddr),
	}
	if id != "" {
		attrs = append(attrs, slog.String("id", id))
	}
	if aerr != nil {
		attrs = append(attrs, slog.String("error", code), slog.String("message", aerr.Message))
		if aerr.Err != nil {
			attrs = append(attrs, slog.String("cause", aerr.Err.Error()))
		}
		if pe, ok := errors.AsType[*panicError](aerr.Err); ok {
			attrs = append(attrs, slog.String("stack", string(pe.stack)))
		}
	}
	s.log.LogAttrs(ctx, level, "serve: request", attrs...)
}

// predict handles one prediction request up to its reply.
func (s *Server) predict(w http.ResponseWriter, r *http.Request, start time.Time) (*Response, string, *apiError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, "", errMethod("POST with an image: see /v1/openapi.json")
	}
	if s.closed.Load() {
		return nil, "", &apiError{Status: http.StatusServiceUnavailable, Code: "shutting_down", Message: "the server is shutting down", RetryAfter: true}
	}
	if !s.adm.enter() {
		s.metrics.shed.Inc()
		return nil, "", errOverloaded(fmt.Sprintf("the server is at its limit of %d requests; retry later", s.adm.limit))
	}
	defer s.adm.leave()
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()

	timeout := or(s.RequestTimeout, DefaultRequestTimeout)
	if r.URL.RawQuery != "" {
		if t := r.URL.Query().Get("timeout"); t != "" {
			d, err := time.ParseDuration(t)
			if err != nil || d <= 0 {
				return nil, "", badRequest("bad_timeout", "timeout %q is not a positive duration such as 250ms", t)
			}
			timeout = min(timeout, d)
		}
	}
	maxBody := or(s.MaxBodyBytes, DefaultMaxBodyBytes)
	if r.ContentLength > maxBody {
		return nil, "", &apiError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
			Message: fmt.Sprintf("the request body is %d bytes; at most %d are allowed", r.ContentLength, maxBody)}
	}
	req, aerr := parseRequest(r.Header.Get("Content-Type"), http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength)
	if aerr != nil {
		return nil, "", aerr
	}
	ctx, cancel := context.WithDeadline(r.Context(), start.Add(timeout))
	defer cancel()
	if req.url != "" {
		if req.data, aerr = s.fetch(ctx, req.url); aerr != nil {
			return nil, req.id, aerr
		}
	}

	s.metrics.queued.Inc()
	err := s.adm.acquire(ctx)
	s.metrics.queued.Dec()
	if err != nil {
		if r.Context().Err() != nil {
			return nil, req.id, deadlineError(ctx, err)
		}
		s.metrics.shed.Inc()
		return nil, req.id, errOverloaded("no worker became free before the request's deadline; retry later")
	}
	defer s.adm.release()

	mstart := time.Now()
	img, info, aerr := decodeImage(req.data, or(s.MaxPixels, DefaultMaxPixels), s.needs.image)
	if aerr != nil {
		return nil, req.id, aerr
	}
	row := labelfree.NewRow(rowID)
	if s.needs.image {
		labelfree.Set(row, labelfree.Image, img)
	}
	if s.needs.bytes {
		labelfree.Set(row, labelfree.ImageBytes, req.data)
	}
	err = s.run.transform(ctx, row)
	s.metrics.modelTime.Observe(time.Since(mstart).Seconds())
	if err != nil {
		return nil, req.id, s.modelError(ctx, err)
	}
	return s.response(row, req.id, info), req.id, nil
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

func (s *Server) response(row *labelfree.Row, id string, info ImageInfo) *Response {
	resp := &Response{APIVersion: APIVersion, Model: s.modelInfo(), ID: id, Image: info}
	probs, hasProbs := labelfree.Get(row, labelfree.Probabilities)
	if hasProbs {
		resp.Probabilities = make([]ClassScore, len(probs))
		for i := range probs {
			resp.Probabilities[i] = ClassScore{Class: i, Name: s.className(i), Probability: &probs[i]}
		}
	}
	if pred, ok := labelfree.Get(row, labelfree.Prediction); ok {
		cs := &ClassScore{Class: pred, Name: s.className(pred)}
		if pred >= 0 && pred < len(probs) {
			cs.Probability = &probs[pred]
		}
		resp.Prediction = cs
	}
	if boxes, ok := labelfree.Get(row, labelfree.Boxes); ok || s.writesBoxes() {
		resp.Boxes = make([]Box, len(boxes))
		for i, b := range boxes {
			resp.Boxes[i] = Box{X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1, Score: b.Score, Class: b.Class, Name: s.className(b.Class)}
		}
	}
	return resp
}

func (s *Server) className(i int) string {
	if i >= 0 && i < len(s.classes) {
		return s.classes[i]
	}
	return ""
}
