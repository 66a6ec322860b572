package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // GIF input
	_ "image/jpeg" // JPEG input
	_ "image/png"  // PNG input
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"

	_ "golang.org/x/image/webp" // WebP input

	"github.com/labelfree/labelfree"
)

// needs says which of the columns a request provides the model reads.
type needs struct{ image, bytes bool }

// needsOf checks that the model reads nothing a request cannot provide.
func needsOf(m *labelfree.PipelineModel) (needs, error) {
	var n needs
	for _, ref := range m.Info().Reads {
		var want labelfree.ColumnRef
		switch ref.Name {
		case labelfree.Image.Name():
			n.image, want = true, labelfree.Image.Ref()
		case labelfree.ImageBytes.Name():
			n.bytes, want = true, labelfree.ImageBytes.Ref()
		default:
			return n, fmt.Errorf("reads column %s, which a request cannot provide (requests provide %s and %s)",
				ref, labelfree.Image.Ref(), labelfree.ImageBytes.Ref())
		}
		if ref.Type != want.Type {
			return n, fmt.Errorf("reads column %q as %v, but requests provide %v", ref.Name, ref.Type, want.Type)
		}
	}
	return n, nil
}

// A request is a parsed prediction request whose image is not decoded yet:
// either the image's bytes or a URL to fetch them from.
type request struct {
	data []byte
	url  string
	id   string
	// pooled, when set, is the pooled buffer data lies in (see
	// getBodyBuffer).
	pooled *[]byte
}

const (
	maxIDLen    = 256
	maxURLLen   = 4096
	maxMIMEPart = 32
)

// parseRequest reads a prediction request's body according to its
// Content-Type: raw image bytes (image/*, application/octet-stream or no
// type), multipart/form-data with an "image" (or "file") part, or a JSON
// PredictRequest. body should be limited with http.MaxBytesReader; its
// limit error becomes a 413.
func parseRequest(contentType string, body io.Reader, sizeHint int64) (request, *apiError) {
	mediaType, params := "", map[string]string(nil)
	if simpleMediaType(contentType) {
		mediaType = contentType
	} else if contentType != "" {
		var err error
		mediaType, params, err = mime.ParseMediaType(contentType)
		if err != nil {
			return request{}, &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: fmt.Sprintf("cannot parse Content-Type %q: %v", contentType, err)}
		}
	}
	switch {
	case mediaType == "" || mediaType == "application/octet-stream" || strings.HasPrefix(mediaType, "image/"):
		data, pooled, err := readBody(body, sizeHint)
		if err != nil {
			return request{}, readError(err)
		}
		if len(data) == 0 {
			return request{}, badRequest("missing_image", "the request body is empty: send the image's bytes")
		}
		return request{data: data, pooled: pooled}, nil
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return parseJSON(body)
	case mediaType == "multipart/form-data":
		return parseMultipart(body, params["boundary"])
	default:
		return request{}, &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: fmt.Sprintf("Content-Type %q is not accepted: send image bytes (image/jpeg, image/png, ...), multipart/form-data or application/json", mediaType)}
	}
}

// simpleMediaType reports whether ct is a bare lower-case media type such
// as "image/jpeg": a token, a slash and a token, nothing else. For those,
// mime.ParseMediaType would return ct itself and no parameters, so it and
// its map are skipped.
func simpleMediaType(ct string) bool {
	slash := -1
	for i := 0; i < len(ct); i++ {
		switch c := ct[i]; {
		case c == '/':
			if slash >= 0 {
				return false
			}
			slash = i
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return slash > 0 && slash < len(ct)-1
}

// readBody reads r to its end. With a known size (a Content-Length) of at
// most maxPooledBody it reads into a pooled buffer, returned as pooled for
// putBodyBuffer once the request is done with the bytes; otherwise it
// reads as readAll does and pooled is nil. The body limit still applies.
func readBody(r io.Reader, sizeHint int64) (data []byte, pooled *[]byte, err error) {
	if sizeHint <= 0 || sizeHint > maxPooledBody {
		data, err = readAll(r, sizeHint)
		return data, nil, err
	}
	bp := getBodyBuffer(int(sizeHint))
	if err := readSized(r, *bp); err != nil {
		putBodyBuffer(bp)
		return nil, nil, err
	}
	return *bp, bp, nil
}

// Request bodies of up to maxPooledBody bytes with a Content-Length are
// read into pooled buffers: a camera-trap JPEG is tens to hundreds of
// kilobytes, which would otherwise be allocated and zeroed per request.
const maxPooledBody = 4 << 20

var bodyBuffers sync.Pool // of *[]byte

// getBodyBuffer returns a pooled buffer of length n.
func getBodyBuffer(n int) *[]byte {
	if bp, _ := bodyBuffers.Get().(*[]byte); bp != nil && cap(*bp) > n {
		*bp = (*bp)[:n]
		return bp
	}
	// A pooled buffer too small for this body is dropped; sizes are
	// rounded up so that bodies of similar sizes share buffers, with room
	// for readSized's look past the end.
	b := make([]byte, n, (n+16<<10)&^(16<<10-1))
	return &b
}

// putBodyBuffer returns a buffer from getBodyBuffer to the pool. Nothing
// may use its bytes afterwards.
func putBodyBuffer(bp *[]byte) { bodyBuffers.Put(bp) }

// readAll reads r to its end. With a known size (a Content-Length) it
// reads into one exactly sized buffer; the body limit still applies.
func readAll(r io.Reader, sizeHint int64) ([]byte, error) {
	if sizeHint > 0 && sizeHint <= 1<<30 {
		b := make([]byte, sizeHint, sizeHint+1)
		if err := readSized(r, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// readSized fills b from r and checks that r ends there, as a body with a
// Content-Length of len(b) must. It looks past the end into b's spare
// capacity, which must be at least one byte.
func readSized(r io.Reader, b []byte) error {
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("the body ended after fewer bytes than its Content-Length of %d", len(b))
		}
		return err
	}
	if n, err := r.Read(b[len(b) : len(b)+1]); n > 0 || (err != nil && err != io.EOF) {
		if err == nil {
			err = fmt.Errorf("the body is longer than its Content-Length of %d", len(b))
		}
		return err
	}
	return nil
}

func readError(err error) *apiError {
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
			Message: fmt.Sprintf("the request body is larger than the %d bytes allowed", mbe.Limit), Err: err}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "read_failed", Message: "reading the request body failed: " + err.Error(), Err: err}
}

func parseJSON(body io.Reader) (request, *apiError) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var pr PredictRequest
	if err := dec.Decode(&pr); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return request{}, readError(err)
		}
		return request{}, badRequest("malformed_json", "the JSON body is malformed: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return request{}, readError(err)
		}
		return request{}, badRequest("malformed_json", "the JSON body has data after its object")
	}
	if len(pr.ID) > maxIDLen {
		return request{}, badRequest("bad_id", "id is %d bytes long; at most %d are allowed", len(pr.ID), maxIDLen)
	}
	switch {
	case pr.Image != "" && pr.URL != "":
		return request{}, badRequest("bad_request", `give either "image" or "url", not both`)
	case pr.Image != "":
		data, err := decodeBase64(pr.Image)
		if err != nil {
			return request{}, badRequest("bad_base64", `"image" is not valid base64: %v`, err)
		}
		if len(data) == 0 {
			return request{}, badRequest("missing_image", `"image" is empty`)
		}
		return request{data: data, id: pr.ID}, nil
	case pr.URL != "":
		if err := checkURL(pr.URL); err != nil {
			return request{}, badRequest("bad_url", "%v", err)
		}
		return request{url: pr.URL, id: pr.ID}, nil
	default:
		return request{}, badRequest("missing_image", `the JSON body needs "image" (base64) or "url"`)
	}
}

// decodeBase64 accepts standard and URL-safe base64, padded or not, with
// line breaks, optionally inside a data: URL.
func decodeBase64(s string) ([]byte, error) {
	if strings.HasPrefix(s, "data:") {
		_, payload, ok := strings.Cut(s, ",")
		if !ok || !strings.Contains(s[:len(s)-len(payload)], ";base64") {
			return nil, errors.New("a data: URL must be base64-encoded")
		}
		s = payload
	}
	s = strings.TrimRight(s, "=\r\n ")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	return enc.DecodeString(s)
}

func checkURL(raw string) error {
	if len(raw) > maxURLLen {
		return fmt.Errorf("url is %d bytes long; at most %d are allowed", len(raw), maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url does not parse: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url scheme %q is not accepted: use http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("url has no host")
	}
	return nil
}

func parseMultipart(body io.Reader, boundary string) (request, *apiError) {
	if boundary == "" {
		return request{}, badRequest("bad_multipart", "multipart/form-data without a boundary parameter")
	}
	mr := multipart.NewReader(body, boundary)
	var req request
	for range maxMIMEPart {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return request{}, readError(err)
			}
			return request{}, badRequest("bad_multipart", "the multipart body is malformed: %v", err)
		}
		switch p.FormName() {
		case "image", "file":
			if req.data != nil {
				return request{}, badRequest("bad_multipart", "the multipart body has more than one image part")
			}
			data, err := readAll(p, 0)
			if err != nil {
				if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
					return request{}, readError(err)
				}
				return request{}, badRequest("bad_multipart", "reading the image part failed: %v", err)
			}
			if len(data) == 0 {
				return request{}, badRequest("missing_image", "the image part is empty")
			}
			req.data = data
		case "id":
			b, err := io.ReadAll(io.LimitReader(p, maxIDLen+1))
			if err != nil {
				return request{}, badRequest("bad_multipart", "reading the id part failed: %v", err)
			}
			if len(b) > maxIDLen {
				return request{}, badRequest("bad_id", "id is longer than %d bytes", maxIDLen)
			}
			req.id = string(b)
		}
		p.Close()
	}
	if req.data == nil {
		return request{}, badRequest("missing_image", `the multipart body has no part named "image" (or "file"); at most %d parts are read`, maxMIMEPart)
	}
	return req, nil
}

// decodeImage checks the image's header against the pixel limit before
// decoding any pixel, then decodes it when the model reads Image. For a
// model that reads only the bytes the check reads the header alone: a
// JPEG's frame size (jpegSize), other formats' image.DecodeConfig.
func decodeImage(data []byte, maxPixels int64, decode bool) (image.Image, ImageInfo, *apiError) {
	var cfg image.Config
	format := "jpeg"
	var err error
	var ok bool
	if cfg.Width, cfg.Height, ok = jpegSize(data); !ok {
		cfg, format, err = image.DecodeConfig(&peekReader{b: data})
	}
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, ImageInfo{}, &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_image_format",
				Message: "the image's format is not recognised: send JPEG, PNG, GIF or WebP"}
		}
		return nil, ImageInfo{}, badRequest("bad_image", "the image's header does not decode: %v", err)
	}
	info := ImageInfo{Width: cfg.Width, Height: cfg.Height, Format: format}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, info, badRequest("bad_image", "the image is %d×%d pixels", cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, info, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "image_too_large",
			Message: fmt.Sprintf("the image is %d×%d = %d pixels; at most %d are allowed", cfg.Width, cfg.Height, px, maxPixels)}
	}
	if !decode {
		return nil, info, nil
	}
	img, _, err := image.Decode(&peekReader{b: data})
	if err != nil {
		return nil, info, badRequest("bad_image", "the %s image does not decode: %v", format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, info, badRequest("bad_image", "the %s image's header says %d×%d but it decodes to %d×%d", format, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	return img, info, nil
}

// peekReader reads a byte slice and can Peek, so the image package reads
// it directly instead of copying it through a bufio.Reader.
type peekReader struct {
	b   []byte
	off int
}

func (p *peekReader) Read(b []byte) (int, error) {
	if p.off >= len(p.b) {
		return 0, io.EOF
	}
	n := copy(b, p.b[p.off:])
	p.off += n
	return n, nil
}

// Peek returns the next n bytes without advancing, like bufio.Reader.Peek.
func (p *peekReader) Peek(n int) ([]byte, error) {
	rest := p.b[p.off:]
	if n > len(rest) {
		return rest, io.EOF
	}
	return rest[:n], nil
}
