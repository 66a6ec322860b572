package features

import (
	"bytes"
	"context"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // decoders for ImageBytes
	_ "image/jpeg" //
	_ "image/png"  //
	"math"
	"sync"

	_ "golang.org/x/image/bmp"  //
	_ "golang.org/x/image/tiff" //
	_ "golang.org/x/image/webp" //

	"github.com/labelfree/labelfree"
)

func init() {
	labelfree.Register[*ImageFeaturizer]()
}

// ImageFeaturizer is a BatchTransformer that turns images into embeddings
// with a pretrained Backbone: it crops and resizes each image to the
// network's input, normalises it as the network expects, runs batches
// through the network and writes the result into labelfree.Embedding.
//
// It reads labelfree.Image, or labelfree.ImageBytes (decoded here, JPEG,
// PNG, GIF, WebP, BMP or TIFF) when DecodeBytes is set. An image that
// cannot be decoded or is too large fails its row only. Any image.Image
// works (paletted, grey, 16-bit, CMYK, YCbCr); transparent pixels count as
// black, as their premultiplied colour is.
//
// The zero value uses DefaultBackbone, the MobileNetV2 embedded in this
// package, with centre crops and batches of 16.
type ImageFeaturizer struct {
	// Name names the stage; "" means "ImageFeaturizer".
	Name string
	// Backbone is the network; nil means DefaultBackbone().
	Backbone Backbone
	// Batch is the number of images per forward pass; 0 means 16.
	Batch int
	// Crop says how images are fitted to the network's aspect ratio.
	Crop CropMode
	// CropFraction in (0, 1] keeps that share of the centred crop's sides
	// (torchvision evaluates at 0.875); 0 means 1. Ignored by Stretch.
	CropFraction float64
	// DecodeBytes reads labelfree.ImageBytes instead of labelfree.Image.
	DecodeBytes bool
	// MaxPixels refuses images with more pixels than this (encoded ones
	// before decoding them); 0 means 64 megapixels.
	MaxPixels int
}

// sharedDefault is the default backbone, loaded once and shared by every
// featurizer that leaves Backbone nil (backbones are safe for concurrent
// use).
var sharedDefault = sync.OnceValues(func() (Backbone, error) { return DefaultBackbone() })

// scratchImages recycles the RGBA images that resized inputs pass through.
var scratchImages sync.Pool

func (f *ImageFeaturizer) name() string {
	if f.Name != "" {
		return f.Name
	}
	return "ImageFeaturizer"
}

// Info implements labelfree.Stage.
func (f *ImageFeaturizer) Info() labelfree.StageInfo {
	in := labelfree.Image.Ref()
	if f.DecodeBytes {
		in = labelfree.ImageBytes.Ref()
	}
	return labelfree.StageInfo{
		Name:   f.name(),
		Reads:  []labelfree.ColumnRef{in},
		Writes: []labelfree.ColumnRef{labelfree.Embedding.Ref()},
	}
}

// Validate implements labelfree.Validator. It loads the default backbone
// when Backbone is nil, so a missing or broken model is reported before any
// work.
func (f *ImageFeaturizer) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: f.name(), Field: field, Reason: reason}
	}
	switch {
	case f.Batch < 0 || f.Batch > 4096:
		return bad("Batch", fmt.Sprintf("must be in 0 to 4096, got %d", f.Batch))
	case math.IsNaN(f.CropFraction) || f.CropFraction < 0 || f.CropFraction > 1:
		return bad("CropFraction", fmt.Sprintf("must be in (0, 1] (or 0 for 1), got %v", f.CropFraction))
	case f.Crop != CenterCrop && f.Crop != Stretch:
		return bad("Crop", fmt.Sprintf("unknown mode %v", f.Crop))
	case f.MaxPixels < 0:
		return bad("MaxPixels", fmt.Sprintf("must not be negative, got %d", f.MaxPixels))
	}
	bb, err := f.backbone()
	if err != nil {
		return bad("Backbone", err.Error())
	}
	if err := bb.Spec().Validate(); err != nil {
		return bad("Backbone", "bad input spec: "+err.Error())
	}
	return nil
}

func (f *ImageFeaturizer) backbone() (Backbone, error) {
	if f.Backbone != nil {
		return f.Backbone, nil
	}
	return sharedDefault()
}

// BatchSize implements labelfree.BatchTransformer.
func (f *ImageFeaturizer) BatchSize() int {
	if f.Batch > 0 {
		return f.Batch
	}
	return 16
}

// Transform implements labelfree.Transformer: a batch of one.
func (f *ImageFeaturizer) Transform(ctx context.Context, r *labelfree.Row) error {
	if err := f.TransformBatch(ctx, []*labelfree.Row{r}); err != nil {
		return err
	}
	if r.Err != nil {
		return r.Err.Err
	}
	return nil
}

// TransformBatch implements labelfree.BatchTransformer. Rows whose image is
// missing or unusable fail; the others are embedded together. A backbone
// error aborts the run.
func (f *ImageFeaturizer) TransformBatch(ctx context.Context, rows []*labelfree.Row) error {
	bb, err := f.backbone()
	if err != nil {
		return fmt.Errorf("features: %s: %w", f.name(), err)
	}
	spec := bb.Spec()
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("features: %s: backbone: %w", f.name(), err)
	}
	per := spec.imageLen()
	frac := f.CropFraction
	if frac == 0 {
		frac = 1
	}
	scratch, _ := scratchImages.Get().(*image.RGBA)
	if scratch == nil || scratch.Rect.Dx() != spec.Width || scratch.Rect.Dy() != spec.Height {
		scratch = image.NewRGBA(image.Rect(0, 0, spec.Width, spec.Height))
	}
	defer scratchImages.Put(scratch)

	for start := 0; start < len(rows); start += f.BatchSize() {
		chunk := rows[start:min(len(rows), start+f.BatchSize())]
		x := make([]float32, 0, per*len(chunk))
		var ok []*labelfree.Row
		for _, r := range chunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			if r.Err != nil {
				continue
			}
			img, err := f.image(r)
			if err == nil {
				x = x[:len(x)+per]
				err = preprocess(x[len(x)-per:], img, spec, f.Crop, frac, scratch)
				if err != nil {
					x = x[:len(x)-per]
				}
			}
			if err != nil {
				r.Fail(f.name(), err)
				continue
			}
			ok = append(ok, r)
		}
		if len(ok) == 0 {
			continue
		}
		// Both layouts keep each image contiguous: the batch is the
		// concatenation of its images.
		embs, err := bb.Embed(ctx, x, len(ok))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("features: %s: backbone: %w", f.name(), err)
		}
		if len(embs) != len(ok) {
			return fmt.Errorf("features: %s: backbone returned %d embeddings for %d images", f.name(), len(embs), len(ok))
		}
		for i, r := range ok {
			if len(embs[i]) != spec.Dim {
				return fmt.Errorf("features: %s: backbone returned an embedding of length %d, its spec says %d", f.name(), len(embs[i]), spec.Dim)
			}
			labelfree.Set(r, labelfree.Embedding, embs[i])
		}
	}
	return nil
}

// image returns the row's decoded image, refusing any with more than
// MaxPixels pixels (resizing an image.Uniform, whose bounds span ±1e9,
// would otherwise allocate without end).
func (f *ImageFeaturizer) image(r *labelfree.Row) (image.Image, error) {
	if !f.DecodeBytes {
		img, err := labelfree.MustGet(r, labelfree.Image)
		if err != nil {
			return nil, err
		}
		if img == nil {
			return nil, errors.New("image is nil")
		}
		b := img.Bounds()
		if int64(b.Dx())*int64(b.Dy()) > int64(f.maxPixels()) {
			return nil, fmt.Errorf("%w: %dx%d is more than %d pixels", ErrTooLarge, b.Dx(), b.Dy(), f.maxPixels())
		}
		return img, nil
	}
	b, err := labelfree.MustGet(r, labelfree.ImageBytes)
	if err != nil {
		return nil, err
	}
	return decodeLimited(b, f.maxPixels())
}

func (f *ImageFeaturizer) maxPixels() int {
	if f.MaxPixels > 0 {
		return f.MaxPixels
	}
	return 64 << 20
}

// ErrTooLarge is wrapped by the row error of an image with more pixels than
// MaxPixels.
var ErrTooLarge = errors.New("image too large")

func decodeLimited(b []byte, maxPixels int) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("decode %s image: size %dx%d", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: %s image is %dx%d, more than %d pixels", ErrTooLarge, format, cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode %s image: %w", format, err)
	}
	return img, nil
}

// Persistence: a saved ImageFeaturizer holds its settings and its backbone.
// The backbone must implement BackboneMarshaler (DefaultBackbone and
// ONNXBackbone do).

// A BackboneMarshaler is a Backbone that can be saved with a pipeline.
// BackboneKind names the decoder registered with RegisterBackbone.
type BackboneMarshaler interface {
	Backbone
	encoding.BinaryMarshaler
	BackboneKind() string
}

var backboneKinds struct {
	sync.RWMutex
	m map[string]func([]byte) (Backbone, error)
}

// RegisterBackbone makes backbones of the given kind loadable with saved
// pipelines: load turns the bytes from MarshalBinary back into a Backbone.
func RegisterBackbone(kind string, load func([]byte) (Backbone, error)) {
	backboneKinds.Lock()
	defer backboneKinds.Unlock()
	if backboneKinds.m == nil {
		backboneKinds.m = map[string]func([]byte) (Backbone, error){}
	}
	backboneKinds.m[kind] = load
}

type featurizerHeader struct {
	Name         string
	Batch        int
	Crop         CropMode
	CropFraction float64
	DecodeBytes  bool
	MaxPixels    int
	// BackboneKind is "" for the default backbone.
	BackboneKind string
}

const featurizerMagic = "LFIMGFEAT1"

// MarshalBinary implements encoding.BinaryMarshaler for labelfree.Save.
func (f *ImageFeaturizer) MarshalBinary() ([]byte, error) {
	h := featurizerHeader{Name: f.Name, Batch: f.Batch, Crop: f.Crop, CropFraction: f.CropFraction, DecodeBytes: f.DecodeBytes, MaxPixels: f.MaxPixels}
	var payload []byte
	if f.Backbone != nil {
		bm, ok := f.Backbone.(BackboneMarshaler)
		if !ok {
			return nil, fmt.Errorf("features: %s: backbone %T cannot be saved: it does not implement features.BackboneMarshaler", f.name(), f.Backbone)
		}
		h.BackboneKind = bm.BackboneKind()
		var err error
		if payload, err = bm.MarshalBinary(); err != nil {
			return nil, fmt.Errorf("features: %s: save backbone: %w", f.name(), err)
		}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(featurizerMagic)
	var n [binary.MaxVarintLen64]byte
	buf.Write(n[:binary.PutUvarint(n[:], uint64(len(hj)))])
	buf.Write(hj)
	buf.Write(payload)
	return buf.Bytes(), nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler for labelfree.Load.
func (f *ImageFeaturizer) UnmarshalBinary(data []byte) error {
	if !bytes.HasPrefix(data, []byte(featurizerMagic)) {
		return errors.New("features: not a saved ImageFeaturizer")
	}
	rd := bytes.NewReader(data[len(featurizerMagic):])
	n, err := binary.ReadUvarint(rd)
	if err != nil || n > uint64(rd.Len()) {
		return errors.New("features: saved ImageFeaturizer: bad header length")
	}
	hj := make([]byte, n)
	rd.Read(hj)
	var h featurizerHeader
	if err := json.Unmarshal(hj, &h); err != nil {
		return fmt.Errorf("features: saved ImageFeaturizer: %w", err)
	}
	*f = ImageFeaturizer{Name: h.Name, Batch: h.Batch, Crop: h.Crop, CropFraction: h.CropFraction, DecodeBytes: h.DecodeBytes, MaxPixels: h.MaxPixels}
	if h.BackboneKind == "" {
		return nil
	}
	backboneKinds.RLock()
	load, ok := backboneKinds.m[h.BackboneKind]
	backboneKinds.RUnlock()
	if !ok {
		return fmt.Errorf("features: saved ImageFeaturizer: backbone kind %q is not registered (import the package that provides it)", h.BackboneKind)
	}
	payload := data[len(data)-rd.Len():]
	bb, err := load(payload)
	if err != nil {
		return fmt.Errorf("features: saved ImageFeaturizer: load %s backbone: %w", h.BackboneKind, err)
	}
	f.Backbone = bb
	return nil
}
