package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "the document is valid OpenAPI 3")
	return doc
}

// TestOpenAPIDescribesReplies sends requests that produce every documented
// kind of reply and validates each real reply against the schema the
// document gives for its path and status.
func TestOpenAPIDescribesReplies(t *testing.T) {
	doc := loadOpenAPI(t)
	assert.Equal(t, APIVersion, doc.Info.Version)

	started, release := blockModel(t)
	defer release()
	img := pngBytes(t, scene(16, 12, image.Rect(2, 2, 9, 6)))
	detector := newTestServer(t, &Server{Model: loadModel(t, &brightDetector{}), ModelName: "d", ModelVersion: "1", Token: "tok", MaxPixels: 1000})
	classifier := newTestServer(t, &Server{Model: loadModel(t, &byteCounter{})})
	batched := newTestServer(t, &Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{&batchProbe{Size: 2}}}})
	// failing fails 13-pixel-wide images and panics on 7-pixel-wide ones.
	failing := newTestServer(t, &Server{Model: loadModel(t, &hostile{})})
	// full's only slot is held by a blocked request, so the next is shed.
	full := newTestServer(t, &Server{Model: loadModel(t, &hostile{}), MaxConcurrent: 1, MaxQueue: -1})
	go post(t, full.URL+"/v1/predict", "image/png", bytes.NewReader(pngBytes(t, scene(4, 4, image.Rectangle{}))))
	<-started

	auth := []string{"Authorization", "Bearer tok"}
	cases := []struct {
		name, url, contentType string
		body                   []byte
		hdr                    []string
		status                 int
	}{
		{"detector", detector.URL + "/v1/predict", "image/png", img, auth, 200},
		{"classifier", classifier.URL + "/v1/predict", "image/png", img, nil, 200},
		{"batched, prediction only", batched.URL + "/v1/predict", "image/png", img, nil, 200},
		{"malformed", detector.URL + "/v1/predict", "application/json", []byte("{"), auth, 400},
		{"unauthorized", detector.URL + "/v1/predict", "image/png", img, nil, 401},
		{"too many pixels", detector.URL + "/v1/predict", "image/png", pngBytes(t, scene(40, 40, image.Rectangle{})), auth, 413},
		{"wrong type", detector.URL + "/v1/predict", "text/csv", []byte("a,b"), auth, 415},
		{"model failed", failing.URL + "/v1/predict", "image/png", pngBytes(t, scene(13, 2, image.Rectangle{})), nil, 422},
		{"panic", failing.URL + "/v1/predict", "image/png", pngBytes(t, scene(7, 2, image.Rectangle{})), nil, 500},
		{"deadline", failing.URL + "/v1/predict?timeout=20ms", "image/png", pngBytes(t, scene(5, 2, image.Rectangle{})), nil, 504},
		{"url disabled", detector.URL + "/v1/predict", "application/json", []byte(`{"url":"https://example.org/x.jpg"}`), auth, 501},
		{"shed", full.URL + "/v1/predict", "image/png", img, nil, 503},
	}
	op := doc.Paths.Find("/v1/predict").Post
	seen := map[int]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, v := post(t, tc.url, tc.contentType, bytes.NewReader(tc.body), tc.hdr...)
			require.Equal(t, tc.status, resp.StatusCode, "%v", v)
			seen[tc.status] = true
			ref := op.Responses.Status(tc.status)
			require.NotNil(t, ref, "status %d is documented", tc.status)
			mt := ref.Value.Content.Get("application/json")
			require.NotNil(t, mt)
			require.NoError(t, mt.Schema.Value.VisitJSON(any(v)), "reply %v", v)
			for name := range ref.Value.Headers {
				assert.NotEmpty(t, resp.Header.Get(name), "documented header %s is sent", name)
			}
		})
	}
	assert.Len(t, seen, len(cases)-2, "the cases cover %d statuses", len(cases)-2)

	// The operational endpoints match their documented schemas too.
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(classifier.URL + path)
		require.NoError(t, err)
		v := decodeReply(t, resp)
		resp.Body.Close()
		schema := doc.Paths.Find(path).Get.Responses.Status(resp.StatusCode).Value.Content.Get("application/json").Schema.Value
		require.NoError(t, schema.VisitJSON(any(v)), "%s reply %v", path, v)
	}
	resp, err := http.Get(classifier.URL + "/v1/openapi.json")
	require.NoError(t, err)
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, OpenAPI(), served)
}

// TestOpenAPIMatchesTypes checks the document against the Go types: every
// JSON field of the reply types is a documented property, and every error
// code the source can produce is in the documented enum.
func TestOpenAPIMatchesTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	schemas := doc.Components.Schemas
	for name, v := range map[string]any{
		"Response": Response{}, "ModelInfo": ModelInfo{}, "ImageInfo": ImageInfo{}, "ClassScore": ClassScore{},
		"Box": Box{}, "ErrorResponse": ErrorResponse{}, "PredictRequest": PredictRequest{},
	} {
		props := schemas[name].Value.Properties
		fields := jsonFields(t, v)
		assert.ElementsMatch(t, keys(props), fields, "schema %s documents exactly the fields of the Go type", name)
	}
	// The schemas are strict: a reply with an undocumented field or a
	// wrong type fails validation, so the test above can fail.
	var bad map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"api_version":"v1","model":{"stages":[]},"image":{"width":1,"height":1,"format":"png"},"elapsed_ms":1,"extra":true}`), &bad))
	assert.Error(t, schemas["Response"].Value.VisitJSON(any(bad)))
	delete(bad, "extra")
	require.NoError(t, schemas["Response"].Value.VisitJSON(any(bad)))
	bad["boxes"] = []any{map[string]any{"x0": 1.0}}
	assert.Error(t, schemas["Response"].Value.VisitJSON(any(bad)), "a box without its required fields")

	enum := schemas["ErrorResponse"].Value.Properties["error"].Value.Properties["code"].Value.Enum
	var documented []string
	for _, e := range enum {
		documented = append(documented, e.(string))
	}
	codeRE := regexp.MustCompile(`(?:Code:\s*|badRequest\()"([a-z_]+)"`)
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var used []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range codeRE.FindAllStringSubmatch(string(src), -1) {
			used = append(used, m[1])
		}
	}
	require.NotEmpty(t, used)
	for _, c := range used {
		assert.Contains(t, documented, c, "error code %q is documented", c)
	}
}

func jsonFields(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(fill(v))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return keys(m)
}

// fill returns v with every optional field set, so omitempty fields appear.
func fill(v any) any {
	p := 0.5
	switch v.(type) {
	case Response:
		return Response{APIVersion: "v1", ID: "x", Probabilities: []ClassScore{{}}, Prediction: &ClassScore{}, Boxes: []Box{{}}}
	case ModelInfo:
		return ModelInfo{Name: "n", Version: "v"}
	case ClassScore:
		return ClassScore{Name: "n", Probability: &p}
	case Box:
		return Box{Name: "n"}
	case ErrorResponse:
		return ErrorResponse{}
	case PredictRequest:
		return PredictRequest{Image: "i", URL: "u", ID: "d"}
	}
	return v
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
