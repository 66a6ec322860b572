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
	bp := replyBuffers.Get().(*[]byte)
	b := appendErrorResponse((*bp)[:0], &ErrorResponse{
		APIVersion: APIVersion,
		Error:      ErrorDetail{Status: e.Status, Code: e.Code, Message: e.Message, Stage: e.Stage},
	})
	writeReply(w, e.Status, b)
	putReplyBuffer(bp, b)
}

// errEncodeReply is the reply sent when a reply cannot be encoded (a
// model wrote NaN or an infinite number).
const errEncodeReply = `{"api_version":"v1","error":{"status":500,"code":"internal","message":"reply could not be encoded"}}`

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(errEncodeReply)
	}
	writeReply(w, status, b)
}

// writeReply sends the JSON document b and a newline, with the headers
// every JSON reply carries. b is not retained.
func writeReply(w http.ResponseWriter, status int, b []byte) {
	// One array holds the four header values rather than one per
	// Header.Set; each value is a slice of capacity one, so a later Add by
	// a middleware reallocates rather than writing into its neighbour.
	vals := make([]string, 4)
	vals[0], vals[1], vals[2], vals[3] = "application/json", "nosniff", "no-store", strconv.Itoa(len(b)+1)
	h := w.Header()
	h["Content-Type"] = vals[0:1:1]
	h["X-Content-Type-Options"] = vals[1:2:2]
	h["Cache-Control"] = vals[2:3:3]
	h["Content-Length"] = vals[3:4:4]
	w.WriteHeader(status)
	// The newline goes into b's spare capacity when it has some, so the
	// reply is one Write.
	if len(b) < cap(b) {
		w.Write(append(b, '\n'))
		return
	}
	w.Write(b)
	w.Write(newline)
}

var newline = []byte{'\n'}

// putReplyBuffer returns a reply buffer to the pool; b is what the buffer
// grew into.
func putReplyBuffer(bp *[]byte, b []byte) {
	if cap(b) > maxPooledReply {
		return
	}
	*bp = b[:0]
	replyBuffers.Put(bp)
}
