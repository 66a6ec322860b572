package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

// Strings and numbers that exercise every escaping and formatting rule of
// encoding/json.
var (
	jsonStrings = []string{"", "snow leopard", `quote " backslash \ slash /`, "<script>&amp;</script>",
		"tab\tnl\ncr\rbs\bff\f", "\x00\x01\x1f\x7f", "ünïcødé 雪豹 🐆", "\u2028\u2029", "bad \xff\xfe utf8 \xe2\x82",
		"sha256:0123456789abcdef", strings.Repeat("x", 300)}
	jsonFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1.0 / 3, 123.456, 1e-6, 9.99e-7, 1e-7, 5e-324,
		1e20, 1e21, 123456789e15, -1e21, math.MaxFloat64, -math.SmallestNonzeroFloat64, 0.1 + 0.2, 1e-10, 2.5e-9}
)

func marshalled(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonStrings {
		assert.Equal(t, marshalled(t, s), string(appendJSONString(nil, s)), "%q", s)
	}
	for _, f := range jsonFloats {
		got, err := appendJSONFloat(nil, f)
		require.NoError(t, err)
		assert.Equal(t, marshalled(t, f), string(got), "%v", f)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, err := appendJSONFloat(nil, f)
		assert.Error(t, err, "%v", f)
		_, err = json.Marshal(f)
		assert.Error(t, err, "json.Marshal refuses %v too", f)
	}
}

// randomResponse makes a Response with every optional part present or
// absent, nil or empty, at random.
func randomResponse(rng *rand.Rand) *Response {
	str := func() string { return jsonStrings[rng.IntN(len(jsonStrings))] }
	num := func() float64 { return jsonFloats[rng.IntN(len(jsonFloats))] }
	r := &Response{APIVersion: APIVersion, ID: str(), ElapsedMS: num(),
		Model: ModelInfo{Name: str(), Version: str()},
		Image: ImageInfo{Width: rng.IntN(5000), Height: rng.IntN(5000), Format: str()}}
	if rng.IntN(4) > 0 {
		r.Model.Stages = []string{}
		for range rng.IntN(4) {
			r.Model.Stages = append(r.Model.Stages, str())
		}
	}
	score := func() ClassScore {
		cs := ClassScore{Class: rng.IntN(10) - 1, Name: str()}
		if rng.IntN(3) > 0 {
			p := num()
			cs.Probability = &p
		}
		return cs
	}
	switch rng.IntN(3) {
	case 1:
		r.Probabilities = []ClassScore{}
	case 2:
		for range 1 + rng.IntN(12) {
			r.Probabilities = append(r.Probabilities, score())
		}
	}
	if rng.IntN(2) == 0 {
		cs := score()
		r.Prediction = &cs
	}
	switch rng.IntN(3) {
	case 1:
		r.Boxes = []Box{}
	case 2:
		for range 1 + rng.IntN(12) {
			r.Boxes = append(r.Boxes, Box{X0: num(), Y0: num(), X1: num(), Y1: num(), Score: num(), Class: rng.IntN(3), Name: str()})
		}
	}
	return r
}

func TestAppendResponseMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for i := range 5000 {
		r := randomResponse(rng)
		got, err := appendResponse([]byte("prefix"), r)
		require.NoError(t, err)
		require.Equal(t, "prefix"+marshalled(t, r), string(got), "response %d", i)
	}
	r := &Response{APIVersion: APIVersion, Image: ImageInfo{Format: "png"}, ElapsedMS: 1}
	for _, bad := range []func(){
		func() { r.ElapsedMS = math.NaN() },
		func() { r.Boxes = []Box{{Score: math.Inf(1)}} },
		func() { p := math.Inf(-1); r.Prediction = &ClassScore{Probability: &p} },
		func() { p := math.NaN(); r.Probabilities = []ClassScore{{Probability: &p}} },
	} {
		r.ElapsedMS, r.Boxes, r.Prediction, r.Probabilities = 1, nil, nil, nil
		_, err := appendResponse(nil, r)
		assert.NoError(t, err)
		bad()
		_, err = appendResponse(nil, r)
		assert.ErrorIs(t, err, errUnsupportedFloat)
	}
}

func TestAppendErrorResponseMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonStrings {
		for _, stage := range []string{"", "stage " + s} {
			e := &ErrorResponse{APIVersion: APIVersion, Error: ErrorDetail{Status: 422, Code: "model_failed", Message: s, Stage: stage}}
			assert.Equal(t, marshalled(t, e), string(appendErrorResponse(nil, e)))
		}
	}
}

// FuzzAppendJSON checks the hand-written encoder against encoding/json on
// arbitrary strings and numbers.
func FuzzAppendJSON(f *testing.F) {
	for i, s := range jsonStrings {
		f.Add(s, jsonFloats[i%len(jsonFloats)])
	}
	f.Fuzz(func(t *testing.T, s string, x float64) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("string %q: got %s, want %s", s, got, want)
		}
		want, werr := json.Marshal(x)
		got, err := appendJSONFloat(nil, x)
		if (err != nil) != (werr != nil) || (err == nil && !bytes.Equal(got, want)) {
			t.Fatalf("number %v: got %s (%v), want %s (%v)", x, got, err, want, werr)
		}
		r := &Response{APIVersion: APIVersion, ID: s, Model: ModelInfo{Name: s, Stages: []string{s}},
			Image: ImageInfo{Format: s}, Probabilities: []ClassScore{{Name: s, Probability: &x}},
			Boxes: []Box{{X0: x, Name: s}}, ElapsedMS: 1}
		want, werr = json.Marshal(r)
		got, err = appendResponse(nil, r)
		if (err != nil) != (werr != nil) || (err == nil && !bytes.Equal(got, want)) {
			t.Fatalf("response: got %s (%v), want %s (%v)", got, err, want, werr)
		}
	})
}

// nanModel writes a NaN probability, which JSON cannot carry.
type nanModel struct{}

func (*nanModel) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "nan", Reads: []labelfree.ColumnRef{labelfree.ImageBytes.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref()}}
}

func (*nanModel) Transform(ctx context.Context, r *labelfree.Row) error {
	labelfree.Set(r, labelfree.Probabilities, []float64{math.NaN(), 1})
	return nil
}

// TestReplyNotEncodable checks that a model output JSON cannot carry gets
// a 500 error reply, counted and logged as one.
func TestReplyNotEncodable(t *testing.T) {
	var logs syncBuffer
	srv := &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{&nanModel{}}},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	h, err := srv.Handler()
	require.NoError(t, err)
	defer srv.Close()
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/v1/predict", bytes.NewReader(pngBytes(t, scene(4, 4, image.Rectangle{}))))
	r.Header.Set("Content-Type", "image/png")
	h.ServeHTTP(w, r)
	assert.Equal(t, 500, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"api_version":"v1","error":{"status":500,"code":"internal","message":"reply could not be encoded"}}`, w.Body.String())
	lines := logLines(t, logs.String(), "serve: request")
	require.Len(t, lines, 1)
	assert.EqualValues(t, 500, lines[0]["status"])
	assert.Equal(t, "internal", lines[0]["error"])
}

// TestReplyHeadersAreSeparate checks that the header values a reply shares
// one array for do not alias: appending to one leaves the others alone.
func TestReplyHeadersAreSeparate(t *testing.T) {
	w := httptest.NewRecorder()
	writeReply(w, 200, []byte(`{}`))
	h := w.Result().Header
	w2 := httptest.NewRecorder()
	writeReply(w2, 200, []byte(`{"a":1}`))
	h2 := w2.Header()
	h2.Add("Content-Type", "x")
	h2.Add("X-Content-Type-Options", "y")
	h2.Add("Cache-Control", "z")
	assert.Equal(t, []string{"application/json", "x"}, h2.Values("Content-Type"))
	assert.Equal(t, []string{"nosniff", "y"}, h2.Values("X-Content-Type-Options"))
	assert.Equal(t, []string{"no-store", "z"}, h2.Values("Cache-Control"))
	assert.Equal(t, []string{"8"}, h2.Values("Content-Length"))
	assert.Equal(t, "3", h.Get("Content-Length"))
	assert.Equal(t, "{}\n", w.Body.String())
	assert.Equal(t, "{\"a\":1}\n", w2.Body.String())
}

// TestReplyTypesMatchEncoder pins the fields of the reply types that
// appendResponse and appendErrorResponse write by hand: a field added,
// removed, renamed or re-tagged fails here until the encoder and
// randomResponse are brought along.
func TestReplyTypesMatchEncoder(t *testing.T) {
	var got []string
	for _, v := range []any{Response{}, ModelInfo{}, ImageInfo{}, ClassScore{}, Box{}, ErrorResponse{}, ErrorDetail{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			got = append(got, fmt.Sprintf("%s.%s %s `%s`", typ.Name(), f.Name, f.Type, f.Tag.Get("json")))
		}
	}
	require.Equal(t, []string{
		"Response.APIVersion string `api_version`",
		"Response.Model serve.ModelInfo `model`",
		"Response.ID string `id,omitempty`",
		"Response.Image serve.ImageInfo `image`",
		"Response.Probabilities []serve.ClassScore `probabilities,omitempty`",
		"Response.Prediction *serve.ClassScore `prediction,omitempty`",
		"Response.Boxes []serve.Box `boxes,omitzero`",
		"Response.ElapsedMS float64 `elapsed_ms`",
		"ModelInfo.Name string `name,omitempty`",
		"ModelInfo.Version string `version,omitempty`",
		"ModelInfo.Stages []string `stages`",
		"ImageInfo.Width int `width`",
		"ImageInfo.Height int `height`",
		"ImageInfo.Format string `format`",
		"ClassScore.Class int `class`",
		"ClassScore.Name string `name,omitempty`",
		"ClassScore.Probability *float64 `probability,omitempty`",
		"Box.X0 float64 `x0`",
		"Box.Y0 float64 `y0`",
		"Box.X1 float64 `x1`",
		"Box.Y1 float64 `y1`",
		"Box.Score float64 `score`",
		"Box.Class int `class`",
		"Box.Name string `name,omitempty`",
		"ErrorResponse.APIVersion string `api_version`",
		"ErrorResponse.Error serve.ErrorDetail `error`",
		"ErrorDetail.Status int `status`",
		"ErrorDetail.Code string `code`",
		"ErrorDetail.Message string `message`",
		"ErrorDetail.Stage string `stage,omitempty`",
	}, got)
}
