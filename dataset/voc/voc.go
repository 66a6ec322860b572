package voc

import "encoding/xml"

// ClassesFile is the file, at the dataset root, listing the class names.
const ClassesFile = "classes.txt"

type annotation struct {
	XMLName   xml.Name `xml:"annotation"`
	Folder    string   `xml:"folder"`
	Filename  string   `xml:"filename"`
	Path      string   `xml:"path,omitempty"`
	Source    source   `xml:"source"`
	Size      *size    `xml:"size"`
	Segmented int      `xml:"segmented"`
	Objects   []object `xml:"object"`
}

type source struct {
	Database string `xml:"database"`
}

type size struct {
	Width  string `xml:"width"`
	Height string `xml:"height"`
	Depth  string `xml:"depth"`
}

type object struct {
	Name      string  `xml:"name"`
	Pose      string  `xml:"pose"`
	Truncated int     `xml:"truncated"`
	Difficult int     `xml:"difficult"`
	BndBox    *bndbox `xml:"bndbox"`
}

type bndbox struct {
	XMin string `xml:"xmin"`
	YMin string `xml:"ymin"`
	XMax string `xml:"xmax"`
	YMax string `xml:"ymax"`
}
