package serve

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The replies to /v1/predict are appended by hand into pooled buffers:
// encoding/json's reflection was the largest cost of a trivial pipeline's
// request. The output is byte for byte what json.Marshal writes for the
// same Response or ErrorResponse (HTML-safe string escaping, ES6 number
// formatting, the omitempty and omitzero rules of the struct tags); tests
// and a fuzz target check that.

// errUnsupportedFloat is returned for NaN and ±Inf, which JSON cannot
// carry (json.Marshal fails on them too).
var errUnsupportedFloat = errors.New("serve: NaN or infinite number in a reply")

// appendResponse appends r as JSON.
func appendResponse(b []byte, r *Response) ([]byte, error) {
	b = append(b, `{"api_version":`...)
	b = appendJSONString(b, r.APIVersion)
	b = append(b, `,"model":`...)
	b = appendModelInfo(b, &r.Model)
	if r.ID != "" {
		b = append(b, `,"id":`...)
		b = appendJSONString(b, r.ID)
	}
	b = append(b, `,"image":{"width":`...)
	b = strconv.AppendInt(b, int64(r.Image.Width), 10)
	b = append(b, `,"height":`...)
	b = strconv.AppendInt(b, int64(r.Image.Height), 10)
	b = append(b, `,"format":`...)
	b = appendJSONString(b, r.Image.Format)
	b = append(b, '}')
	var err error
	if len(r.Probabilities) > 0 {
		b = append(b, `,"probabilities":[`...)
		for i := range r.Probabilities {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendClassScore(b, &r.Probabilities[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if r.Prediction != nil {
		b = append(b, `,"prediction":`...)
		if b, err = appendClassScore(b, r.Prediction); err != nil {
			return b, err
		}
	}
	if r.Boxes != nil {
		b = append(b, `,"boxes":[`...)
		for i := range r.Boxes {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendBox(b, &r.Boxes[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"elapsed_ms":`...)
	if b, err = appendJSONFloat(b, r.ElapsedMS); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func appendModelInfo(b []byte, m *ModelInfo) []byte {
	b = append(b, '{')
	if m.Name != "" {
		b = append(b, `"name":`...)
		b = appendJSONString(b, m.Name)
		b = append(b, ',')
	}
	if m.Version != "" {
		b = append(b, `"version":`...)
		b = appendJSONString(b, m.Version)
		b = append(b, ',')
	}
	b = append(b, `"stages":`...)
	if m.Stages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range m.Stages {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendClassScore(b []byte, c *ClassScore) ([]byte, error) {
	b = append(b, `{"class":`...)
	b = strconv.AppendInt(b, int64(c.Class), 10)
	if c.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, c.Name)
	}
	if c.Probability != nil {
		b = append(b, `,"probability":`...)
		var err error
		if b, err = appendJSONFloat(b, *c.Probability); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendBox(b []byte, x *Box) ([]byte, error) {
	var err error
	for _, f := range [...]struct {
		key string
		v   float64
	}{{`{"x0":`, x.X0}, {`,"y0":`, x.Y0}, {`,"x1":`, x.X1}, {`,"y1":`, x.Y1}, {`,"score":`, x.Score}} {
		b = append(b, f.key...)
		if b, err = appendJSONFloat(b, f.v); err != nil {
			return b, err
		}
	}
	b = append(b, `,"class":`...)
	b = strconv.AppendInt(b, int64(x.Class), 10)
	if x.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, x.Name)
	}
	return append(b, '}'), nil
}

// appendErrorResponse appends e as JSON.
func appendErrorResponse(b []byte, e *ErrorResponse) []byte {
	b = append(b, `{"api_version":`...)
	b = appendJSONString(b, e.APIVersion)
	b = append(b, `,"error":{"status":`...)
	b = strconv.AppendInt(b, int64(e.Error.Status), 10)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, e.Error.Code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.Error.Message)
	if e.Error.Stage != "" {
		b = append(b, `,"stage":`...)
		b = appendJSONString(b, e.Error.Stage)
	}
	return append(b, "}}"...)
}

// appendJSONFloat formats f as encoding/json does: like ES6's
// number-to-string conversion.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, errUnsupportedFloat
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string escaped as json.Marshal
// does: <, > and & as \u escapes (HTML-safe), control characters escaped,
// invalid UTF-8 replaced by U+FFFD, and U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// replyBuffers pools the buffers replies are encoded into. Buffers that
// grew past maxPooledReply (a detector's reply with very many boxes) are
// left to the garbage collector.
var replyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledReply = 64 << 10
