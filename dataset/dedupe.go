package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"runtime"
	"sort"
	"sync"

	"github.com/labelfree/labelfree"
)

// DedupeStage is the Dedupe stage's name.
const DedupeStage = "dataset.Dedupe"

// ErrDuplicate is wrapped by the row errors of rows Dedupe set aside.
var ErrDuplicate = errors.New("duplicate image")

// A DuplicateError says which row a duplicate repeats and how closely.
type DuplicateError struct {
	// Of is the ID of the row kept.
	Of string
	// Exact reports identical bytes (same SHA-256); otherwise the
	// perceptual hashes are Distance bits apart.
	Exact    bool
	Distance int
}

// Error describes the duplicate.
func (e *DuplicateError) Error() string {
	if e.Exact {
		return fmt.Sprintf("duplicate image: identical bytes to row %s", e.Of)
	}
	return fmt.Sprintf("duplicate image: near duplicate of row %s (perceptual hash distance %d)", e.Of, e.Distance)
}

// Unwrap returns ErrDuplicate.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// Dedupe sets aside exact duplicates (same SHA-256 of the bytes) and near
// duplicates (resized, recompressed or lightly edited copies): images whose
// PHash values are at most MaxDistance bits apart and whose DHash values,
// an independent confirmation, at most MaxDHashDistance bits apart. A duplicate row stays in the
// dataset, failed with a *DuplicateError, with DuplicateOf naming the row
// kept; Duplicates lists them.
//
// Of a group of duplicates the row with the highest Label is kept (the
// positive class, by the convention that class 0 is the background), then
// the earliest. Rows need ImageBytes or Image; Dedupe writes ContentHash
// and PerceptualHash.
//
// The near-duplicate search compares each image with the kept ones, which
// is quadratic but needs only a popcount per pair: about a second for 50 000
// images.
type Dedupe struct {
	// MaxDistance is the largest Hamming distance between perceptual
	// hashes of near duplicates; 0 means 6, negative turns near-duplicate
	// detection off.
	MaxDistance int
	// MaxDHashDistance is the largest Hamming distance between the DHash
	// values of near duplicates; 0 means 8, negative skips this check.
	// On synthetic camera-trap scenes, the few distinct scenes whose
	// PHash values lie within 8 bits are 11 or more DHash bits apart,
	// while recompressed and resized copies stay within 6.
	MaxDHashDistance int
	// MaxPixels bounds images decoded from ImageBytes; 0 means
	// DefaultMaxPixels.
	MaxPixels int
}

// DefaultMaxDistance is Dedupe's default near-duplicate threshold. With
// PHash, re-encoding a 320×240 JPEG at quality 60 or resizing it by half
// moves the hash by at most 4 bits, while distinct camera-trap scenes lie
// 20 or more bits apart.
const DefaultMaxDistance = 6

// Info describes the stage.
func (d *Dedupe) Info() labelfree.StageInfo {
	return labelfree.StageInfo{
		Name:   DedupeStage,
		Writes: []labelfree.ColumnRef{ContentHash.Ref(), PerceptualHash.Ref(), DifferenceHash.Ref(), DuplicateOf.Ref()},
	}
}

// Validate checks the parameters.
func (d *Dedupe) Validate() error {
	if d.MaxDistance > 32 {
		return &labelfree.ParamError{Stage: DedupeStage, Field: "MaxDistance", Reason: "above 32 bits every image matches half the others"}
	}
	if d.MaxPixels < 0 {
		return &labelfree.ParamError{Stage: DedupeStage, Field: "MaxPixels", Reason: "must not be negative"}
	}
	return nil
}

// TransformDataset marks the duplicates.
func (d *Dedupe) TransformDataset(ctx context.Context, ds *labelfree.Dataset) (*labelfree.Dataset, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	maxDist := d.MaxDistance
	if maxDist == 0 {
		maxDist = DefaultMaxDistance
	}
	maxD := d.MaxDHashDistance
	if maxD == 0 {
		maxD = 8
	}
	rows := ds.OK()
	// Hash in parallel.
	var wg sync.WaitGroup
	next := make(chan *labelfree.Row)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for r := range next {
				if err := d.hash(r, maxDist >= 0); err != nil {
					r.Fail(DedupeStage, err)
				}
			}
		})
	}
	for _, r := range rows {
		if ctx.Err() != nil {
			break
		}
		next <- r
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	order := make([]int, 0, len(rows))
	for i, r := range rows {
		if r.Err == nil {
			order = append(order, i)
		}
	}
	label := func(r *labelfree.Row) int { l, _ := labelfree.Get(r, labelfree.Label); return l }
	sort.SliceStable(order, func(a, b int) bool { return label(rows[order[a]]) > label(rows[order[b]]) })

	type kept struct {
		id           string
		phash, dhash uint64
	}
	bySHA := map[string]string{}
	var keepers []kept
	for n, i := range order {
		if n%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r := rows[i]
		sum, _ := labelfree.Get(r, ContentHash)
		if of, ok := bySHA[sum]; ok {
			markDuplicate(r, &DuplicateError{Of: of, Exact: true})
			continue
		}
		bySHA[sum] = r.ID
		if maxDist >= 0 {
			ph, _ := labelfree.Get(r, PerceptualHash)
			dh, _ := labelfree.Get(r, DifferenceHash)
			best, bestID := maxDist+1, ""
			for _, k := range keepers {
				if dist := Hamming(ph, k.phash); dist < best && (maxD < 0 || Hamming(dh, k.dhash) <= maxD) {
					best, bestID = dist, k.id
				}
			}
			if bestID != "" {
				markDuplicate(r, &DuplicateError{Of: bestID, Distance: best})
				continue
			}
			keepers = append(keepers, kept{r.ID, ph, dh})
		}
	}
	return ds, nil
}

func markDuplicate(r *labelfree.Row, e *DuplicateError) {
	labelfree.Set(r, DuplicateOf, e.Of)
	r.Fail(DedupeStage, e)
}

func (d *Dedupe) hash(r *labelfree.Row, perceptual bool) error {
	b, hasBytes := labelfree.Get(r, labelfree.ImageBytes)
	img, hasImg := labelfree.Get(r, labelfree.Image)
	if !hasBytes && !hasImg {
		return fmt.Errorf("row %q has neither %q nor %q", r.ID, labelfree.ImageBytes.Name(), labelfree.Image.Name())
	}
	if _, ok := labelfree.Get(r, ContentHash); !ok {
		var sum [32]byte
		if hasBytes {
			sum = sha256.Sum256(b)
		} else {
			sum = pixelHash(img)
		}
		labelfree.Set(r, ContentHash, hex.EncodeToString(sum[:]))
	}
	if !perceptual {
		return nil
	}
	if !hasImg {
		var err error
		if img, _, err = Decode(b, d.MaxPixels); err != nil {
			return err
		}
	}
	labelfree.Set(r, PerceptualHash, PHash(img))
	labelfree.Set(r, DifferenceHash, DHash(img))
	return nil
}

// pixelHash hashes decoded pixels, for rows without encoded bytes.
func pixelHash(img image.Image) [32]byte {
	h := sha256.New()
	b := img.Bounds()
	fmt.Fprintf(h, "%d,%d,%d,%d;", b.Min.X, b.Min.Y, b.Max.X, b.Max.Y)
	buf := make([]byte, 0, 8*b.Dx())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		buf = buf[:0]
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			buf = append(buf, byte(r>>8), byte(r), byte(g>>8), byte(g), byte(bl>>8), byte(bl), byte(a>>8), byte(a))
		}
		h.Write(buf)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// A DuplicateRecord describes one row set aside as a duplicate.
type DuplicateRecord struct {
	ID     string
	Of     string
	Reason string
	// Source is where the duplicate was found, when known.
	Source string
}

// Duplicates lists the rows Dedupe set aside, in dataset order. It works
// on datasets restored from checkpoints or read from disk too.
func Duplicates(ds *labelfree.Dataset) []DuplicateRecord {
	var out []DuplicateRecord
	for _, r := range ds.Rows {
		of, ok := labelfree.Get(r, DuplicateOf)
		if !ok {
			continue
		}
		rec := DuplicateRecord{ID: r.ID, Of: of}
		if r.Err != nil {
			rec.Reason = r.Err.Err.Error()
		}
		if s, ok := labelfree.Get(r, Source); ok {
			rec.Source = s.ImageURL
		}
		out = append(out, rec)
	}
	return out
}
