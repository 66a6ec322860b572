package dataset

import (
	"image"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/search"
)

// The columns this package reads and writes, besides the well-known
// labelfree columns (ImageBytes, Image, Label, TrueBoxes).
var (
	// Source is the search result that found the row's image: provider,
	// query, rank, URLs, licence and attribution.
	Source = labelfree.NewColumn[search.Result]("dataset.source", "search result that found the image")
	// AlsoFound holds the other search results with the same normalised
	// URL, merged into this row by Stitch.
	AlsoFound = labelfree.NewColumn[[]search.Result]("dataset.also_found", "other search results for the same image URL")
	// Format is the image format sniffed from the bytes: "jpeg", "png",
	// "gif" or "webp".
	Format = labelfree.NewColumn[string]("dataset.format", "image format from magic numbers")
	// Size is the image's width and height in pixels.
	Size = labelfree.NewColumn[image.Point]("dataset.size", "image width and height")
	// ContentHash is the lowercase hex SHA-256 of the image bytes.
	ContentHash = labelfree.NewColumn[string]("dataset.sha256", "SHA-256 of the image bytes, hex")
	// PerceptualHash is the 64-bit DCT perceptual hash of the image (see
	// PHash).
	PerceptualHash = labelfree.NewColumn[uint64]("dataset.phash", "64-bit perceptual hash")
	// DifferenceHash is a 64-bit difference hash of the image (see DHash).
	DifferenceHash = labelfree.NewColumn[uint64]("dataset.dhash", "64-bit difference hash")
	// DuplicateOf is the ID of the row a duplicate row was found to repeat.
	DuplicateOf = labelfree.NewColumn[string]("dataset.duplicate_of", "ID of the row this row duplicates")
	// Split is the row's partition: SplitTrain or SplitTest.
	Split = labelfree.NewColumn[string]("dataset.split", "train or test")
	// Augmentation describes the augmentation applied to the row's Image.
	Augmentation = labelfree.NewColumn[string]("dataset.augmentation", "augmentation applied to the image")
)

// Split names.
const (
	SplitTrain = "train"
	SplitTest  = "test"
)

func pt(s [2]int) image.Point { return image.Point{X: s[0], Y: s[1]} }
