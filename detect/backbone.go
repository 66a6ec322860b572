package detect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/image/draw"

	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/internal/nn"
)

// DefaultFeatureLayer is the value of the embedded MobileNetV2 the head
// reads: the output of inverted-residual block 12, 96 channels at stride 16.
const DefaultFeatureLayer = "block_12_add"

// backbone is a frozen ONNX network cut at a feature map, accepting the
// detector's input size.
type backbone struct {
	model    *nn.Model
	onnx     []byte // nil for the embedded MobileNetV2
	engine   features.Engine
	layer    string
	inW, inH int
	// C, H, W are the feature map's channels, rows and columns.
	C, H, W   int
	mean, std [3]float32
	sessions  sync.Pool
}

// modelCache shares loaded backbones between trainers and detectors with
// the same network, layer and input size (a Model is immutable).
var modelCache sync.Map // key string → *nn.Model

// loadBackbone loads onnxBytes (nil means the embedded MobileNetV2) to run
// on engine, makes its image input accept w×h, cuts it at layer and
// measures the feature map.
func loadBackbone(onnxBytes []byte, layer string, w, h int, mean, std [3]float32, engine features.Engine) (*backbone, error) {
	src := onnxBytes
	if src == nil {
		src = features.MobileNetV2ONNX()
	}
	if layer == "" {
		layer = DefaultFeatureLayer
	}
	if std == ([3]float32{}) {
		std = [3]float32{1, 1, 1}
	}
	sum := sha256.Sum256(src)
	var ne nn.Engine
	switch engine {
	case features.PureGo:
		ne = nn.EngineGo
	case features.ONNXRuntime:
		ne = nn.EngineONNXRuntime
	default:
		return nil, fmt.Errorf("detect: unknown backbone engine %v", engine)
	}
	key := fmt.Sprintf("%x/%s/%dx%d/%v", sum[:8], layer, w, h, engine)
	var m *nn.Model
	if v, ok := modelCache.Load(key); ok {
		m = v.(*nn.Model)
	} else {
		var err error
		m, err = nn.Load(bytes.NewReader(src), &nn.Options{
			InputShapes: map[string][]int{"": {-1, 3, h, w}}, // the image input, any batch
			Outputs:     []string{layer},
			Engine:      ne,
		})
		if err != nil {
			return nil, fmt.Errorf("detect: loading backbone at %dx%d, cut at %q: %w", w, h, layer, err)
		}
		modelCache.Store(key, m)
	}
	b := &backbone{model: m, onnx: onnxBytes, engine: engine, layer: layer, inW: w, inH: h, mean: mean, std: std}
	// Load ran the cut network once at the input size (padding rules differ
	// between exporters: this MobileNetV2 floors odd sizes, torchvision's
	// ceil them), so the feature map's shape is known.
	s := m.Outputs()[0].Shape
	if len(s) != 4 || s[0] != -1 || s[1] <= 0 || s[2] <= 0 || s[3] <= 0 {
		return nil, fmt.Errorf("detect: layer %q has shape %v; the head needs an NCHW feature map", layer, s)
	}
	b.C, b.H, b.W = s[1], s[2], s[3]
	if b.H < 2 || b.W < 2 {
		return nil, fmt.Errorf("detect: layer %q is only %dx%d at input %dx%d", layer, b.W, b.H, w, h)
	}
	return b, nil
}

// len returns the number of float32 values of one feature map.
func (b *backbone) len() int { return b.C * b.H * b.W }

// prepare draws the src rectangle of img (in img's coordinates) stretched
// to the input size into dst, optionally mirrored.
func (b *backbone) prepare(dst *image.RGBA, img image.Image, src image.Rectangle, flip bool) {
	draw.BiLinear.Scale(dst, dst.Bounds(), img, src, draw.Src, nil)
	if flip {
		for y := range b.inH {
			row := dst.Pix[y*dst.Stride : y*dst.Stride+4*b.inW]
			for i, j := 0, b.inW-1; i < j; i, j = i+1, j-1 {
				var t [4]byte
				copy(t[:], row[4*i:4*i+4])
				copy(row[4*i:4*i+4], row[4*j:4*j+4])
				copy(row[4*j:4*j+4], t[:])
			}
		}
	}
}

// normalise writes the RGB planes of rgba into dst (3·inW·inH values).
func (b *backbone) normalise(dst []float32, rgba *image.RGBA) {
	plane := b.inW * b.inH
	var scale, shift [3]float32
	for c := range 3 {
		scale[c] = 1 / (255 * b.std[c])
		shift[c] = -b.mean[c] / b.std[c]
	}
	for y := range b.inH {
		row := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*b.inW]
		for x := range b.inW {
			i := y*b.inW + x
			dst[i] = float32(row[4*x])*scale[0] + shift[0]
			dst[plane+i] = float32(row[4*x+1])*scale[1] + shift[1]
			dst[2*plane+i] = float32(row[4*x+2])*scale[2] + shift[2]
		}
	}
}

// run computes the feature maps of n prepared images in x (n·3·inW·inH
// values) into dst (n·len() values). Images go through the network one at
// a time, so that every layer's activations of one image stay in the
// caches; with several threads and images, each thread runs whole images
// on its own session, and a single image spreads its layers over threads.
func (b *backbone) run(ctx context.Context, x []float32, n int, dst []float32, threads int) error {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	px := 3 * b.inW * b.inH
	workers := min(threads, n)
	if workers <= 1 {
		for i := range n {
			if err := b.runOne(ctx, x[i*px:(i+1)*px], dst[i*b.len():(i+1)*b.len()], threads); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, workers)
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := b.runOne(ctx, x[i*px:(i+1)*px], dst[i*b.len():(i+1)*b.len()], threads/workers); err != nil {
					errs[w] = err
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// backboneSession is a Session with its input and output tensors, pooled
// so that a pass allocates nothing.
type backboneSession struct {
	s       *nn.Session
	in, out []*nn.Tensor
}

// runOne computes the feature map of one prepared image x into dst.
func (b *backbone) runOne(ctx context.Context, x, dst []float32, threads int) error {
	bs, _ := b.sessions.Get().(*backboneSession)
	if bs == nil {
		bs = &backboneSession{s: b.model.NewSession(), in: []*nn.Tensor{{Shape: []int{1, 3, b.inH, b.inW}}}, out: []*nn.Tensor{{}}}
	}
	defer b.sessions.Put(bs)
	bs.s.SetThreads(threads)
	bs.in[0].Data = x
	err := bs.s.Run(ctx, bs.in, bs.out)
	bs.in[0].Data = nil
	if err != nil {
		return fmt.Errorf("detect: backbone: %w", err)
	}
	if len(bs.out[0].Data) != b.len() {
		return fmt.Errorf("detect: backbone returned %d values for one image, want %d", len(bs.out[0].Data), b.len())
	}
	copy(dst, bs.out[0].Data)
	return nil
}
