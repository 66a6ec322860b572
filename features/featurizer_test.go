package features

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

// meanBackbone is a fake network: its embedding is, per channel in the
// spec's order, the mean of the channel's values, followed by the values of
// the top-left and bottom-right pixels. It checks the tensor's length.
type meanBackbone struct {
	spec  InputSpec
	calls atomic.Int64
	fail  error
	short bool
}

func (m *meanBackbone) Spec() InputSpec { return m.spec }

func (m *meanBackbone) Embed(ctx context.Context, x []float32, n int) ([][]float32, error) {
	m.calls.Add(1)
	if m.fail != nil {
		return nil, m.fail
	}
	per := m.spec.imageLen()
	if len(x) != n*per {
		return nil, fmt.Errorf("got %d values for %d images of %d", len(x), n, per)
	}
	if m.short {
		n--
	}
	ch := m.spec.Colour.Channels()
	w, h := m.spec.Width, m.spec.Height
	out := make([][]float32, n)
	for i := range out {
		img := x[i*per : (i+1)*per]
		at := func(c, y, xx int) float32 {
			if m.spec.Layout == NCHW {
				return img[c*w*h+y*w+xx]
			}
			return img[(y*w+xx)*ch+c]
		}
		e := make([]float32, m.spec.Dim)
		for c := range ch {
			s := float32(0)
			for y := range h {
				for xx := range w {
					s += at(c, y, xx)
				}
			}
			e[c] = s / float32(w*h)
			e[ch+c] = at(c, 0, 0)
			e[2*ch+c] = at(c, h-1, w-1)
		}
		out[i] = e
	}
	return out, nil
}

func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

func spec(layout Layout, colour ColourModel) InputSpec {
	return InputSpec{Width: 8, Height: 6, Layout: layout, Colour: colour, Mean: ImageNetMean, Std: ImageNetStd, Dim: 9}
}

func TestImageFeaturizerNormalisation(t *testing.T) {
	orange := color.RGBA{255, 128, 0, 255}
	norm := func(v float32, c int) float32 { return (v/255 - ImageNetMean[c]) / ImageNetStd[c] }
	tests := []struct {
		name   string
		layout Layout
		colour ColourModel
		want   []float32 // the channel means
	}{
		{"RGB NCHW", NCHW, RGB, []float32{norm(255, 0), norm(128, 1), norm(0, 2)}},
		{"RGB NHWC", NHWC, RGB, []float32{norm(255, 0), norm(128, 1), norm(0, 2)}},
		{"BGR NCHW", NCHW, BGR, []float32{norm(0, 0), norm(128, 1), norm(255, 2)}},
		{"Gray NHWC", NHWC, Gray, []float32{norm((19595*255+38470*128)/65536.0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bb := &meanBackbone{spec: spec(tt.layout, tt.colour)}
			f := &ImageFeaturizer{Backbone: bb}
			require.NoError(t, f.Validate())
			r := labelfree.NewRow("a")
			labelfree.Set(r, labelfree.Image, image.Image(solid(50, 30, orange)))
			require.NoError(t, f.Transform(context.Background(), r))
			e := mustGet(t, r, labelfree.Embedding)
			for c, w := range tt.want {
				assert.InDelta(t, w, e[c], 1e-5, "channel %d", c)
			}
		})
	}
}

func TestImageFeaturizerCrop(t *testing.T) {
	// A 300×100 image: red outer columns, green middle third. The square
	// network input sees only green with a centre crop.
	img := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for y := range 100 {
		for x := range 300 {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 100 && x < 200 {
				c = color.RGBA{0, 255, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	sp := InputSpec{Width: 10, Height: 10, Layout: NHWC, Colour: RGB, Mean: UnitMean, Std: UnitStd, Dim: 9}
	run := func(f *ImageFeaturizer) []float32 {
		f.Backbone = &meanBackbone{spec: sp}
		r := labelfree.NewRow("a")
		labelfree.Set(r, labelfree.Image, image.Image(img))
		require.NoError(t, f.Transform(context.Background(), r))
		return mustGet(t, r, labelfree.Embedding)
	}
	e := run(&ImageFeaturizer{})
	assert.InDelta(t, 0, e[0], 1e-6, "no red in the centre crop")
	assert.InDelta(t, 1, e[1], 1e-6)
	e = run(&ImageFeaturizer{Crop: Stretch})
	assert.InDelta(t, 2.0/3, e[0], 0.06, "stretch keeps the red thirds")
	assert.InDelta(t, 1, e[3], 1e-6, "top-left pixel is red")

	// A sub-image with an offset origin crops inside its own bounds.
	sub := img.SubImage(image.Rect(100, 0, 200, 100))
	f := &ImageFeaturizer{Crop: Stretch, Backbone: &meanBackbone{spec: sp}}
	r := labelfree.NewRow("sub")
	labelfree.Set(r, labelfree.Image, sub)
	require.NoError(t, f.Transform(context.Background(), r))
	assert.InDelta(t, 0, mustGet(t, r, labelfree.Embedding)[0], 1e-6)

	assert.Equal(t, image.Rect(10, 0, 110, 100), cropRect(image.Rect(0, 0, 120, 100), 1, 1, CenterCrop, 1))
	assert.Equal(t, image.Rect(15, 5, 105, 95), cropRect(image.Rect(0, 0, 120, 100), 1, 1, CenterCrop, 0.9))
	assert.Equal(t, image.Rect(0, 25, 100, 75), cropRect(image.Rect(0, 0, 100, 100), 2, 1, CenterCrop, 1))
}

func encode(t testing.TB, img image.Image, format string) []byte {
	var buf bytes.Buffer
	if format == "png" {
		require.NoError(t, png.Encode(&buf, img))
	} else {
		require.NoError(t, jpeg.Encode(&buf, img, nil))
	}
	return buf.Bytes()
}

func TestImageFeaturizerPipeline(t *testing.T) {
	bb := &meanBackbone{spec: spec(NCHW, RGB)}
	f := &ImageFeaturizer{Backbone: bb, Batch: 4, DecodeBytes: true, MaxPixels: 100 * 100}
	var rows []*labelfree.Row
	for i := range 11 {
		r := labelfree.NewRow(fmt.Sprint(i))
		c := color.RGBA{uint8(20 * i), 100, 200, 255}
		switch i {
		case 3:
			labelfree.Set(r, labelfree.ImageBytes, []byte("not an image"))
		case 5:
			labelfree.Set(r, labelfree.ImageBytes, encode(t, solid(120, 90, c), "png")) // too large
		case 7:
			// no image at all
		case 8:
			r.Fail("download", errors.New("404"))
		default:
			labelfree.Set(r, labelfree.ImageBytes, encode(t, solid(40, 30, c), "png"))
		}
		rows = append(rows, r)
	}
	p, err := labelfree.NewPipeline(f)
	require.NoError(t, err)
	ex := labelfree.Executor{Workers: 3}
	_, out, err := ex.Fit(context.Background(), p, labelfree.NewDataset(rows...))
	require.NoError(t, err)
	require.Len(t, out.Rows, 11)
	for i, r := range out.Rows {
		switch i {
		case 3:
			require.NotNil(t, r.Err)
			assert.Contains(t, r.Err.Error(), "decode image")
		case 5:
			require.NotNil(t, r.Err)
			assert.ErrorIs(t, r.Err, ErrTooLarge)
		case 7:
			require.NotNil(t, r.Err)
			assert.Contains(t, r.Err.Error(), "image.bytes")
		case 8:
			assert.Equal(t, "download", r.Err.Stage)
		default:
			require.Nil(t, r.Err, "row %d", i)
			e := mustGet(t, r, labelfree.Embedding)
			assert.InDelta(t, (float32(20*i)/255-ImageNetMean[0])/ImageNetStd[0], e[0], 1e-5)
		}
	}
	rep := out.Reports[len(out.Reports)-1]
	assert.Equal(t, 3, rep.Failed)
	assert.Equal(t, 1, rep.Skipped)
	assert.LessOrEqual(t, bb.calls.Load(), int64(4), "rows are batched")
}

func TestImageFeaturizerErrors(t *testing.T) {
	ctx := context.Background()
	row := func() *labelfree.Row {
		r := labelfree.NewRow("x")
		labelfree.Set(r, labelfree.Image, image.Image(solid(10, 10, color.White)))
		return r
	}
	// Backbone failures abort the batch with an error.
	f := &ImageFeaturizer{Backbone: &meanBackbone{spec: spec(NCHW, RGB), fail: errors.New("boom")}}
	require.ErrorContains(t, f.TransformBatch(ctx, []*labelfree.Row{row()}), "boom")
	f = &ImageFeaturizer{Backbone: &meanBackbone{spec: spec(NCHW, RGB), short: true}}
	require.ErrorContains(t, f.TransformBatch(ctx, []*labelfree.Row{row(), row()}), "1 embeddings for 2 images")
	// Cancellation.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	f = &ImageFeaturizer{Backbone: &meanBackbone{spec: spec(NCHW, RGB)}}
	require.ErrorIs(t, f.TransformBatch(cctx, []*labelfree.Row{row()}), context.Canceled)
	// Images too large to resize fail their row.
	r0 := labelfree.NewRow("uniform")
	labelfree.Set(r0, labelfree.Image, image.Image(image.NewUniform(color.White)))
	require.ErrorIs(t, f.Transform(ctx, r0), ErrTooLarge)
	r0 = labelfree.NewRow("x")
	labelfree.Set(r0, labelfree.Image, image.Image(nil))
	require.Error(t, f.Transform(ctx, r0), "a nil image fails its row")
	// An empty image fails its row.
	r := labelfree.NewRow("empty")
	labelfree.Set(r, labelfree.Image, image.Image(image.NewRGBA(image.Rect(0, 0, 0, 0))))
	require.ErrorContains(t, f.Transform(ctx, r), "empty")

	bad := spec(NCHW, RGB)
	bad.Std[1] = 0
	tests := []struct {
		name  string
		f     ImageFeaturizer
		field string
	}{
		{"batch", ImageFeaturizer{Batch: -1, Backbone: &meanBackbone{spec: spec(NCHW, RGB)}}, "Batch"},
		{"fraction", ImageFeaturizer{CropFraction: 1.5, Backbone: &meanBackbone{spec: spec(NCHW, RGB)}}, "CropFraction"},
		{"crop", ImageFeaturizer{Crop: 7, Backbone: &meanBackbone{spec: spec(NCHW, RGB)}}, "Crop"},
		{"pixels", ImageFeaturizer{MaxPixels: -1, Backbone: &meanBackbone{spec: spec(NCHW, RGB)}}, "MaxPixels"},
		{"spec", ImageFeaturizer{Backbone: &meanBackbone{spec: bad}}, "Backbone"},
		{"size", ImageFeaturizer{Backbone: &meanBackbone{spec: InputSpec{Width: 0, Height: 5, Std: UnitStd, Dim: 3}}}, "Backbone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pe *labelfree.ParamError
			require.ErrorAs(t, tt.f.Validate(), &pe)
			assert.Equal(t, tt.field, pe.Field)
		})
	}
}

// savable is a fake backbone that survives labelfree.Save.
type savable struct{ meanBackbone }

func (s *savable) BackboneKind() string { return "test.savable" }
func (s *savable) MarshalBinary() ([]byte, error) {
	return []byte(fmt.Sprint(s.spec.Width, " ", s.spec.Height)), nil
}

func TestImageFeaturizerSaveLoad(t *testing.T) {
	RegisterBackbone("test.savable", func(b []byte) (Backbone, error) {
		var w, h int
		if _, err := fmt.Sscan(string(b), &w, &h); err != nil {
			return nil, err
		}
		sp := spec(NHWC, RGB)
		sp.Width, sp.Height = w, h
		return &savable{meanBackbone{spec: sp}}, nil
	})
	sp := spec(NHWC, RGB)
	sp.Width = 13
	f := &ImageFeaturizer{Name: "feat", Batch: 3, Crop: Stretch, Backbone: &savable{meanBackbone{spec: sp}}}
	var buf bytes.Buffer
	require.NoError(t, labelfree.Save(&buf, &labelfree.PipelineModel{Stages: []labelfree.Stage{f}}))
	m, err := labelfree.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	g := m.Stages[0].(*ImageFeaturizer)
	assert.Equal(t, "feat", g.Name)
	assert.Equal(t, 3, g.BatchSize())
	assert.Equal(t, Stretch, g.Crop)
	assert.Equal(t, 13, g.Backbone.Spec().Width)

	// A backbone that cannot be saved is an error, not a silent drop.
	f.Backbone = &meanBackbone{spec: sp}
	require.ErrorContains(t, labelfree.Save(&bytes.Buffer{}, &labelfree.PipelineModel{Stages: []labelfree.Stage{f}}), "cannot be saved")

	var h ImageFeaturizer
	require.Error(t, h.UnmarshalBinary([]byte("junk")))
	require.Error(t, h.UnmarshalBinary([]byte(featurizerMagic+"\xff\xff\xff")))
	hdr := []byte(`{"BackboneKind":"nope"}`)
	require.ErrorContains(t, h.UnmarshalBinary(append(append([]byte(featurizerMagic), byte(len(hdr))), hdr...)), `"nope" is not registered`)
}

func FuzzDecodeLimited(f *testing.F) {
	img := solid(7, 5, color.RGBA{1, 2, 3, 255})
	f.Add(encode(f, img, "png"))
	f.Add(encode(f, img, "jpeg"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decodeLimited(b, 1<<16)
		if err != nil {
			return
		}
		bb := img.Bounds()
		if bb.Dx()*bb.Dy() > 1<<16 {
			t.Fatalf("decoded %v, above the limit", bb)
		}
		// Whatever decodes must preprocess without panicking.
		s := InputSpec{Width: 4, Height: 3, Layout: NCHW, Colour: RGB, Mean: UnitMean, Std: UnitStd, Dim: 1}
		dst := make([]float32, s.imageLen())
		_ = preprocess(dst, img, s, CenterCrop, 1, image.NewRGBA(image.Rect(0, 0, 4, 3)))
	})
}

// BenchmarkPreprocess times the crop, resize and normalisation of a
// 640×480 photo-sized image to MobileNetV2's input, the featurizer's own
// cost next to the network's forward pass.
func BenchmarkPreprocess(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = uint8(i)
	}
	sp := MobileNetV2Spec
	dst := make([]float32, sp.imageLen())
	scratch := image.NewRGBA(image.Rect(0, 0, sp.Width, sp.Height))
	for b.Loop() {
		if err := preprocess(dst, src, sp, CenterCrop, 1, scratch); err != nil {
			b.Fatal(err)
		}
	}
}
