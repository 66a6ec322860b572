package serve

// The JSON schema of the /v1/ API. openapi.json describes the same types;
// a test checks that real replies validate against it.

// A Response is the reply to a successful POST /v1/predict. Fields the
// model does not produce are absent: a classifier's replies have no boxes,
// a detector's may have no probabilities. A model that writes boxes always
// reports the list, empty when it found nothing.
type Response struct {
	// APIVersion is the schema version, APIVersion ("v1").
	APIVersion string `json:"api_version"`
	// Model identifies the model that answered.
	Model ModelInfo `json:"model"`
	// ID echoes the request's id, when it gave one.
	ID string `json:"id,omitempty"`
	// Image describes the decoded input image.
	Image ImageInfo `json:"image"`
	// Probabilities has one entry per class, in class order.
	Probabilities []ClassScore `json:"probabilities,omitempty"`
	// Prediction is the most probable class.
	Prediction *ClassScore `json:"prediction,omitempty"`
	// Boxes are the objects found, in the image's pixel coordinates.
	Boxes []Box `json:"boxes,omitzero"`
	// ElapsedMS is the server-side time spent on the request, in
	// milliseconds, from arrival to reply.
	ElapsedMS float64 `json:"elapsed_ms"`
}

// ModelInfo identifies a served model.
type ModelInfo struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	// Stages names the model's stages, in order.
	Stages []string `json:"stages"`
}

// ImageInfo describes a request's image.
type ImageInfo struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	// Format is the decoder's name: "jpeg", "png", "gif", ...
	Format string `json:"format"`
}

// A ClassScore is one class and its probability. Name is set when the
// server knows the class names. Probability is absent for a prediction
// made by a model that writes no probabilities.
type ClassScore struct {
	Class       int      `json:"class"`
	Name        string   `json:"name,omitempty"`
	Probability *float64 `json:"probability,omitempty"`
}

// A Box is a labelfree.Box in a reply: pixel coordinates with the origin at
// the image's top-left corner, X0 ≤ x < X1 and Y0 ≤ y < Y1.
type Box struct {
	X0    float64 `json:"x0"`
	Y0    float64 `json:"y0"`
	X1    float64 `json:"x1"`
	Y1    float64 `json:"y1"`
	Score float64 `json:"score"`
	Class int     `json:"class"`
	Name  string  `json:"name,omitempty"`
}

// An ErrorResponse is the reply to any request that failed: every 4xx and
// 5xx status carries one.
type ErrorResponse struct {
	APIVersion string      `json:"api_version"`
	Error      ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong. Code is stable and machine-readable
// (see the OpenAPI document for the list); Message is for people.
type ErrorDetail struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Stage names the model stage that failed the request, for
	// model_failed errors.
	Stage string `json:"stage,omitempty"`
}

// A PredictRequest is the JSON form of a prediction request (Content-Type
// application/json). Exactly one of Image and URL must be set.
type PredictRequest struct {
	// Image is the encoded image (JPEG, PNG, ...) in standard or URL-safe
	// base64, padded or not, optionally as a data: URL.
	Image string `json:"image,omitempty"`
	// URL is an http or https address to fetch the image from; it needs a
	// server with a Fetcher.
	URL string `json:"url,omitempty"`
	// ID is echoed in the reply and the server's logs.
	ID string `json:"id,omitempty"`
}
