package serve

import (
	"embed"
	"net/http"
	"strconv"
)

//go:embed openapi.json
var openAPIDoc []byte

//go:embed web
var webFiles embed.FS

// OpenAPI returns the OpenAPI 3 document of the API, as served at
// /v1/openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, "application/json", openAPIDoc)
}

// pageCSP allows the page its own script and style and the photo's blob:
// URL, nothing else.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	page, _ := webFiles.ReadFile("web/index.html")
	w.Header().Set("Content-Security-Policy", pageCSP)
	serveAsset(w, r, "text/html; charset=utf-8", page)
}

func (s *Server) staticHandler() http.Handler {
	types := map[string]string{"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		typ, ok := types[name]
		if !ok {
			s.writeError(w, r, errNotFound(r.URL.Path))
			return
		}
		b, _ := webFiles.ReadFile("web/" + name)
		serveAsset(w, r, typ, b)
	})
}

func serveAsset(w http.ResponseWriter, r *http.Request, typ string, b []byte) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, ErrorResponse{APIVersion: APIVersion,
			Error: ErrorDetail{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "use GET"}})
		return
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	w.Write(b)
}
