package megadetector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// FormatVersion is the format version this package writes.
const FormatVersion = "1.6"

// Default confidence thresholds recommended to downstream tools when
// Options leaves them zero: the values MegaDetector v5 files carry.
const (
	DefaultTypicalThreshold      = 0.2
	DefaultConservativeThreshold = 0.05
)

// AnimalCategory is the detection category id and name used for every box
// when Options.Classifications is set.
const (
	AnimalCategory     = "1"
	AnimalCategoryName = "animal"
)

// file is the JSON document.
type file struct {
	Info                     info              `json:"info"`
	DetectionCategories      map[string]string `json:"detection_categories"`
	ClassificationCategories map[string]string `json:"classification_categories,omitempty"`
	Images                   []imageEntry      `json:"images"`
}

type info struct {
	FormatVersion           json.RawMessage `json:"format_version"`
	Detector                string          `json:"detector,omitempty"`
	DetectionCompletionTime string          `json:"detection_completion_time,omitempty"`
	Classifier              string          `json:"classifier,omitempty"`
	DetectorMetadata        *metadata       `json:"detector_metadata,omitempty"`
}

type metadata struct {
	DetectorVersion                string `json:"detector_version,omitempty"`
	TypicalDetectionThreshold      float  `json:"typical_detection_threshold"`
	ConservativeDetectionThreshold float  `json:"conservative_detection_threshold"`
}

type imageEntry struct {
	File string `json:"file"`
	// Detections is null for a failed image and [] for one without
	// detections.
	Detections *[]detection `json:"detections"`
	Failure    *string      `json:"failure,omitempty"`
}

type detection struct {
	Category        string           `json:"category"`
	Conf            float            `json:"conf"`
	BBox            []float          `json:"bbox"`
	Classifications []classification `json:"classifications,omitempty"`
}

// classification is a [category, conf] pair.
type classification struct {
	Category string
	Conf     float
}

func (c classification) MarshalJSON() ([]byte, error) {
	cat, _ := json.Marshal(c.Category)
	conf, _ := c.Conf.MarshalJSON()
	return []byte("[" + string(cat) + "," + string(conf) + "]"), nil
}

func (c *classification) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("classification %s is not a [category, conf] pair", clip(b))
	}
	if err := json.Unmarshal(pair[0], &c.Category); err != nil {
		return fmt.Errorf("classification category %s is not a string", clip(pair[0]))
	}
	return c.Conf.UnmarshalJSON(pair[1])
}

// float is a float64 that always marshals as a JSON float literal (with a
// fraction or exponent), because the format's validator requires Python
// floats for conf.
type float float64

func (f float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("non-finite number %v", v)
	}
	b := strconv.AppendFloat(nil, v, 'g', -1, 64)
	if !bytes.ContainsAny(b, ".eE") {
		b = append(b, ".0"...)
	}
	return b, nil
}

func (f *float) UnmarshalJSON(b []byte) error {
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("%s is not a number", clip(b))
	}
	*f = float(v)
	return nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
