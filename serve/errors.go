package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// An apiError is a failed request's status and JSON error.
type apiError struct {
	Status  int
	Code    string
	Message string
	Stage   string
	// RetryAfter adds a Retry-After header (503 replies).
	RetryAfter bool
	// Err is the underlying error, logged but not sent.
	Err error
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func (e *apiError) Unwrap() error { return e.Err }

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

func errNotFound(path string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no endpoint %q: see /v1/openapi.json", path)}
}

func errMethod(allow string) *apiError {
	return &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "use " + allow}
}

func errOverloaded(why string) *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: "overloaded", Message: why, RetryAfter: true}
}

// writeError sends e as an ErrorResponse.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	if e.RetryAfter {
		secs := int((or(s.RetryAfter, DefaultRetryAfter) + 999_999_999) / 1e9)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
	}
	writeJSON(w, e.Status, ErrorResponse{
		APIVersion: APIVersion,
		Error:      ErrorDetail{Status: e.Status, Code: e.Code, Message: e.Message, Stage: e.Stage},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"api_version":"v1","error":{"status":500,"code":"internal","message":"reply could not be encoded"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	b = append(b, '\n')
	w.Write(b)
}
