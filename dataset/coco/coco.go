package coco

import (
	"encoding/json"
)

// EmptyCategory is the category name (id 0) COCO Camera Traps reserves for
// images without animals.
const EmptyCategory = "empty"

// DateTimeLayout is the layout of COCO Camera Traps' datetime field.
const DateTimeLayout = "2006-01-02 15:04:05"

type file struct {
	Info        info         `json:"info"`
	Licenses    []any        `json:"licenses,omitempty"`
	Images      []image      `json:"images"`
	Categories  []category   `json:"categories"`
	Annotations []annotation `json:"annotations"`
}

type info struct {
	Version     string `json:"version"`
	Description string `json:"description"`
	Year        int    `json:"year,omitempty"`
	Contributor string `json:"contributor,omitempty"`
	DateCreated string `json:"date_created,omitempty"`
}

type image struct {
	ID           json.RawMessage `json:"id"`
	FileName     string          `json:"file_name"`
	Width        int             `json:"width,omitempty"`
	Height       int             `json:"height,omitempty"`
	DateTime     string          `json:"datetime,omitempty"`
	SeqID        string          `json:"seq_id,omitempty"`
	SeqNumFrames int             `json:"seq_num_frames,omitempty"`
	FrameNum     *int            `json:"frame_num,omitempty"`
	Location     json.RawMessage `json:"location,omitempty"`
	Corrupt      bool            `json:"corrupt,omitempty"`
	Failure      string          `json:"failure,omitempty"`
}

type category struct {
	ID            int    `json:"id"`
	Name          string `json:"name"`
	Supercategory string `json:"supercategory,omitempty"`
}

type annotation struct {
	ID         json.RawMessage `json:"id"`
	ImageID    json.RawMessage `json:"image_id"`
	CategoryID int             `json:"category_id"`
	BBox       []float64       `json:"bbox,omitempty"`
	Area       *float64        `json:"area,omitempty"`
	IsCrowd    *int            `json:"iscrowd,omitempty"`
	Score      *float64        `json:"score,omitempty"`
}
