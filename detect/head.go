package detect

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"

	"github.com/labelfree/labelfree"
	lfgemm "github.com/labelfree/labelfree/internal/gemm"
)

// head is the detection head: a 3×3 convolution over the feature map
// (as im2col plus a matrix product) with ReLU, then two 1×1 convolutions:
// K centre-heatmap logits, and four regression channels per cell (log
// width and log height in cells, x and y offset of the centre within its
// cell).
type head struct {
	// In is 9·C, the im2col width; Hidden the 3×3 convolution's outputs;
	// K the number of classes.
	In, Hidden, K int
	// W1 is In×Hidden, Wc Hidden×K and Wr Hidden×4, row-major.
	W1, B1, Wc, Bc, Wr, Br []float32
}

// regOut is the number of regression channels.
const regOut = 4

// params lists the head's parameter slices in a fixed order.
func (h *head) params() [][]float32 { return [][]float32{h.W1, h.B1, h.Wc, h.Bc, h.Wr, h.Br} }

func (h *head) clone() *head {
	c := *h
	c.W1, c.B1, c.Wc, c.Bc, c.Wr, c.Br = slices.Clone(h.W1), slices.Clone(h.B1), slices.Clone(h.Wc), slices.Clone(h.Bc), slices.Clone(h.Wr), slices.Clone(h.Br)
	return &c
}

// valid reports whether the slices have the sizes the dimensions imply.
func (h *head) valid() bool {
	return h.In > 0 && h.Hidden > 0 && h.Hidden <= 1<<16 && h.K > 0 && h.K <= 1<<10 &&
		len(h.W1) == h.In*h.Hidden && len(h.B1) == h.Hidden && len(h.Wc) == h.Hidden*h.K &&
		len(h.Bc) == h.K && len(h.Wr) == h.Hidden*regOut && len(h.Br) == regOut
}

// im2col writes the 3×3 neighbourhoods (zero padded) of a C×H×W feature
// map into dst, one row of 9·C values per cell: dst[cell][(ky·3+kx)·C+c].
func im2col(dst, feat []float32, C, H, W int) {
	in := 9 * C
	plane := H * W
	for y := range H {
		for x := range W {
			row := dst[(y*W+x)*in : (y*W+x+1)*in]
			for ky := range 3 {
				yy := y + ky - 1
				for kx := range 3 {
					xx := x + kx - 1
					seg := row[(ky*3+kx)*C : (ky*3+kx+1)*C]
					if yy < 0 || yy >= H || xx < 0 || xx >= W {
						clear(seg)
						continue
					}
					off := yy*W + xx
					for c := range C {
						seg[c] = feat[c*plane+off]
					}
				}
			}
		}
	}
}

// forward computes the head's outputs for n cells whose im2col rows are in
// col (n·In values): heat (n·K logits) and reg (n·4 values); hid is
// scratch of n·Hidden.
func (h *head) forward(col []float32, n int, hid, heat, reg []float32) {
	for i := range n {
		copy(hid[i*h.Hidden:(i+1)*h.Hidden], h.B1)
		copy(heat[i*h.K:(i+1)*h.K], h.Bc)
		copy(reg[i*regOut:(i+1)*regOut], h.Br)
	}
	gemm(col, n, h.In, h.W1, h.Hidden, hid)
	for i, v := range hid[:n*h.Hidden] {
		if v < 0 {
			hid[i] = 0
		}
	}
	gemm(hid, n, h.Hidden, h.Wc, h.K, heat)
	gemm(hid, n, h.Hidden, h.Wr, regOut, reg)
}

// gemm adds a (m×k) times b (k×n) to c (m×n), all row-major, with the
// inference engine's SGEMM (internal/gemm).
func gemm(a []float32, m, k int, b []float32, n int, c []float32) {
	lfgemm.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a[:m*k], k, b[:k*n], n, 1, c[:m*n], n)
}

// decodeOptions says which heatmap peaks become boxes.
type decodeOptions struct {
	minScore float64
	nmsIoU   float64
	maxDet   int
	classes  []int
}

// decode turns one image's head outputs (H·W cells × K logits, H·W cells
// × 4 regression values) into boxes in input pixel coordinates: local
// maxima of each class heatmap (3×3) scoring at least minScore, sized by
// the regression channels, then NMS.
func decode(heat, reg []float32, H, W, K int, strideX, strideY float64, o decodeOptions) []labelfree.Box {
	var boxes []labelfree.Box
	for k := range K {
		for y := range H {
			for x := range W {
				v := heat[(y*W+x)*K+k]
				s := sigmoid(float64(v))
				if s < o.minScore {
					continue
				}
				peak := true
				for dy := -1; dy <= 1 && peak; dy++ {
					for dx := -1; dx <= 1; dx++ {
						yy, xx := y+dy, x+dx
						if (dx == 0 && dy == 0) || yy < 0 || yy >= H || xx < 0 || xx >= W {
							continue
						}
						// Ties go to the first cell in raster order.
						u := heat[(yy*W+xx)*K+k]
						if u > v || (u == v && (yy < y || (yy == y && xx < x))) {
							peak = false
							break
						}
					}
				}
				if !peak {
					continue
				}
				r := reg[(y*W+x)*regOut : (y*W+x+1)*regOut]
				cx := (float64(x) + float64(r[2])) * strideX
				cy := (float64(y) + float64(r[3])) * strideY
				w := math.Exp(clampExp(float64(r[0]))) * strideX
				h := math.Exp(clampExp(float64(r[1]))) * strideY
				boxes = append(boxes, labelfree.Box{X0: cx - w/2, Y0: cy - h/2, X1: cx + w/2, Y1: cy + h/2, Score: s, Class: o.classes[k]})
			}
		}
	}
	slices.SortStableFunc(boxes, func(a, b labelfree.Box) int { return cmp.Compare(b.Score, a.Score) })
	return NMS(boxes, o.nmsIoU, false, o.maxDet)
}

func clampExp(v float64) float64 { return math.Max(-8, math.Min(8, v)) }

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
