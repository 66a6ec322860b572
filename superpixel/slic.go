package superpixel

import (
	"context"
	"fmt"
	"image"
	"math"
	"runtime"
	"sync"

	"github.com/labelfree/labelfree"
)

// Defaults of the zero SLIC value, those of scikit-image's slic.
const (
	DefaultSegments      = 100
	DefaultCompactness   = 10
	DefaultIterations    = 10
	DefaultMinSizeFactor = 0.5
	// DefaultMaxPixels bounds the images SLIC accepts when SLIC.MaxPixels
	// is 0: 64 Mi pixels (8192×8192) need about 2 GB of working memory.
	DefaultMaxPixels = 1 << 26
)

// minParallelPixels is the image size below which SLIC stays on one
// goroutine: smaller images finish before a second goroutine helps.
const minParallelPixels = 1 << 15

// SLIC is Simple Linear Iterative Clustering (Achanta et al., "SLIC
// Superpixels Compared to State-of-the-Art Superpixel Methods", TPAMI
// 2012): k-means in the five-dimensional space of CIELAB colour and image
// position, each centre searching only its 2S×2S neighbourhood.
//
// The algorithm is the paper's:
//
//  1. Seeds are placed on a regular grid of step S = √(pixels/Segments)
//     (or S = CellSize), spread so the grid covers the whole image.
//  2. Each seed moves to the lowest-gradient pixel of its 3×3 neighbourhood
//     (unless GridSeeds), so no seed starts on an edge or a noisy pixel.
//  3. Iterations alternate assignment (each pixel within S of a centre, in
//     both axes, takes the centre that minimises D = ΔLab² + (m/S)²·Δxy²)
//     and update (each centre moves to the mean colour and position of its
//     pixels), until Iterations are done or no centre moves.
//  4. Connectivity is enforced (unless NoConnectivity): each cluster's
//     connected pieces become separate segments, and pieces smaller than
//     MinSizeFactor times the mean segment size join a neighbour: the
//     closest in mean colour among the large ones (the paper takes the
//     largest; colour halves the undersegmentation error on the quality
//     scenes).
//
// The zero value uses scikit-image's defaults (100 segments, compactness 10,
// 10 iterations, no smoothing, connectivity enforced with min size factor
// 0.5), so results are comparable with skimage.segmentation.slic at the
// same parameters. SLIC is safe for concurrent use; the result is
// deterministic and does not depend on Workers, the CPU's SIMD support or
// the GOAMD64 level.
type SLIC struct {
	// Segments is the approximate number of superpixels wanted; 0 means
	// DefaultSegments. The count found can differ a little: the grid must
	// fit the image, and connectivity enforcement splits and merges.
	Segments int
	// CellSize, when positive, sets the grid step S in pixels instead of
	// Segments (set one or the other).
	CellSize int
	// Compactness is the paper's m, which weighs position against colour:
	// larger values give squarer, more regular superpixels, smaller ones
	// follow colour edges more closely. 0 means DefaultCompactness.
	Compactness float64
	// Iterations bounds the k-means iterations; 0 means DefaultIterations.
	Iterations int
	// Sigma, when positive, smooths the image's Lab planes with a Gaussian
	// of this standard deviation in pixels before clustering (scikit-image's
	// sigma). 0 means no smoothing.
	Sigma float64
	// GridSeeds keeps seeds exactly on the grid instead of moving each to
	// the lowest-gradient pixel of its 3×3 neighbourhood (the paper's step
	// 2; scikit-image does not move seeds).
	GridSeeds bool
	// NoConnectivity skips connectivity enforcement: segments are then the
	// k-means clusters as found, and may be disconnected.
	NoConnectivity bool
	// MinSizeFactor: connected pieces smaller than this fraction of the
	// mean segment size are merged into their largest neighbour. 0 means
	// DefaultMinSizeFactor; it must be below 1.
	MinSizeFactor float64
	// Workers bounds the goroutines one Segment call uses; 0 means
	// GOMAXPROCS. Small images use one.
	Workers int
	// MaxPixels refuses larger images with ErrTooLarge; 0 means
	// DefaultMaxPixels.
	MaxPixels int
}

// A Segmenter divides an image into segments.
type Segmenter interface {
	Segment(ctx context.Context, img image.Image) (*Segmentation, error)
}

var _ Segmenter = SLIC{}

const stageName = "superpixel"

// Validate reports the first bad parameter as a *labelfree.ParamError.
func (s SLIC) Validate() error {
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: stageName, Field: field, Reason: reason}
	}
	switch {
	case s.Segments < 0:
		return bad("Segments", fmt.Sprintf("must not be negative, got %d", s.Segments))
	case s.CellSize < 0:
		return bad("CellSize", fmt.Sprintf("must not be negative, got %d", s.CellSize))
	case s.CellSize > 0 && s.Segments > 0:
		return bad("CellSize", "set Segments or CellSize, not both")
	case math.IsNaN(s.Compactness) || math.IsInf(s.Compactness, 0) || s.Compactness < 0:
		return bad("Compactness", fmt.Sprintf("must be a finite non-negative number, got %v", s.Compactness))
	case s.Compactness > 1e6:
		return bad("Compactness", fmt.Sprintf("must be at most 1e6, got %v", s.Compactness))
	case s.Iterations < 0 || s.Iterations > 1000:
		return bad("Iterations", fmt.Sprintf("must be in [0, 1000], got %d", s.Iterations))
	case math.IsNaN(s.Sigma) || s.Sigma < 0 || s.Sigma > 1000:
		return bad("Sigma", fmt.Sprintf("must be in [0, 1000], got %v", s.Sigma))
	case math.IsNaN(s.MinSizeFactor) || s.MinSizeFactor < 0 || s.MinSizeFactor >= 1:
		return bad("MinSizeFactor", fmt.Sprintf("must be in [0, 1), got %v", s.MinSizeFactor))
	case s.Workers < 0:
		return bad("Workers", fmt.Sprintf("must not be negative, got %d", s.Workers))
	case s.MaxPixels < 0:
		return bad("MaxPixels", fmt.Sprintf("must not be negative, got %d", s.MaxPixels))
	}
	return nil
}

func (s SLIC) segments() int   { return cmpOr(s.Segments, DefaultSegments) }
func (s SLIC) iterations() int { return cmpOr(s.Iterations, DefaultIterations) }
func (s SLIC) maxPixels() int  { return cmpOr(s.MaxPixels, DefaultMaxPixels) }
func (s SLIC) compactness() float64 {
	if s.Compactness == 0 {
		return DefaultCompactness
	}
	return s.Compactness
}
func (s SLIC) minSizeFactor() float64 {
	if s.MinSizeFactor == 0 {
		return DefaultMinSizeFactor
	}
	return s.MinSizeFactor
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

type center struct {
	l, a, b, x, y float32
}

// workspace holds one Segment call's buffers; they are kept (see
// workspaces) so a long-running program segments image after image
// without allocating them again.
type workspace struct {
	l, a, b    []int16   // fixed-point Lab planes (see labScale)
	lf, af, bf []float32 // the same as float32, for the AVX-512 kernel
	dist       []float32
	lab        []int32
	centers    []center    // colour in fixed-point units
	sums       [][]int64   // per band, 6 per centre: ΣL, Σa, Σb, n, 2Σx, Σy
	f, tmp     []float32   // blur scratch
	inf        []float32   // a row of +Inf
	caches     []*labCache // one per band
	sx         [][]float32 // per band: a window row's spatial terms
	order      []int32     // centres in the order assign visits them
	vacc       [][]int32   // per band: lane sums of the AVX-512 update
	cc         ccState
}

// workspaces keeps the workspaces of finished Segment calls for the next
// ones: at most GOMAXPROCS of them, each from an image of at most
// maxKeptPixels. Unlike a sync.Pool, it keeps them across garbage
// collections: allocating and faulting in the buffers again after every
// collection (every photo or two in a program with a small heap) costs a
// good part of segmenting a photo.
var workspaces struct {
	sync.Mutex
	free []*workspace
}

// maxKeptPixels bounds the images whose workspaces are kept: those of
// larger images (tens of bytes per pixel) go to the garbage collector.
const maxKeptPixels = 1 << 21

func getWorkspace(n int) *workspace {
	var ws *workspace
	workspaces.Lock()
	if k := len(workspaces.free); k > 0 {
		ws = workspaces.free[k-1]
		workspaces.free[k-1] = nil
		workspaces.free = workspaces.free[:k-1]
	}
	workspaces.Unlock()
	if ws == nil {
		ws = &workspace{}
	}
	// The SIMD kernels read a little past the end of a row.
	ws.l = grow(ws.l, n+slack)[:n]
	ws.a = grow(ws.a, n+slack)[:n]
	ws.b = grow(ws.b, n+slack)[:n]
	ws.lab = grow(ws.lab, n+slack)[:n]
	ws.dist = grow(ws.dist, n)
	return ws
}

// putWorkspace keeps ws for a later call, if there is room.
func putWorkspace(ws *workspace) {
	if len(ws.lab) > maxKeptPixels {
		return
	}
	workspaces.Lock()
	if len(workspaces.free) < runtime.GOMAXPROCS(0) {
		workspaces.free = append(workspaces.free, ws)
	}
	workspaces.Unlock()
}

const slack = 16

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Segment divides img into superpixels. It returns an error wrapping
// ErrEmpty or ErrTooLarge for images it cannot take, a *labelfree.ParamError
// for bad parameters, and ctx's error when cancelled.
func (s SLIC) Segment(ctx context.Context, img image.Image) (*Segmentation, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if img == nil {
		return nil, fmt.Errorf("superpixel: %w: nil image", ErrEmpty)
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("superpixel: %w: bounds %v", ErrEmpty, r)
	}
	if max := s.maxPixels(); w > max || h > max || w*h > max {
		return nil, fmt.Errorf("superpixel: %w: %d×%d is more than %d pixels", ErrTooLarge, w, h, max)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := w * h
	workers := s.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if n < minParallelPixels {
		workers = 1
	}
	workers = max(1, min(workers, h))
	cr := newCrew(workers)
	defer cr.stop()

	ws := getWorkspace(n)
	defer putWorkspace(ws)

	// Colour conversion, row bands in parallel.
	lut := labTables()
	for len(ws.caches) < workers {
		ws.caches = append(ws.caches, new(labCache))
	}
	// The AVX-512 assignment kernel reads float32 copies of the planes: it
	// saves two conversions per channel and pixel visit.
	floats := useAVX512
	if floats {
		ws.lf, ws.af, ws.bf = grow(ws.lf, n), grow(ws.af, n), grow(ws.bf, n)
	}
	// The float32 copies are made with the planes, or after smoothing.
	rowFloats := floats && s.Sigma == 0
	cr.bands(h, func(band, y0, y1 int) {
		rr := newRowReader(img)
		for y := y0; y < y1; y++ {
			o := y * w
			var lf, af, bf []float32
			if rowFloats {
				lf, af, bf = ws.lf[o:o+w], ws.af[o:o+w], ws.bf[o:o+w]
			}
			lut.rgbaRowToLab(rr.row(y), ws.l[o:o+w], ws.a[o:o+w], ws.b[o:o+w], lf, af, bf, ws.caches[band])
		}
	})
	if s.Sigma > 0 {
		ws.f = grow(ws.f, n)
		ws.tmp = grow(ws.tmp, n)
		for _, p := range [][]int16{ws.l, ws.a, ws.b} {
			smoothLab(p, ws.f, ws.tmp, w, h, s.Sigma, cr)
		}
		if floats {
			cr.bands(h, func(_, y0, y1 int) {
				toFloat32(ws.l[y0*w:y1*w], ws.a[y0*w:y1*w], ws.b[y0*w:y1*w], ws.lf[y0*w:y1*w], ws.af[y0*w:y1*w], ws.bf[y0*w:y1*w])
			})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	g := newGrid(w, h, s.segments(), s.CellSize)
	ws.seed(g, w, h, !s.GridSeeds, cr)
	ws.stripOrder(g)
	// D = ΔLab² + (m/S)²·Δxy² in Lab units is, in fixed-point units,
	// ΔLab'² + (labScale·m/S)²·Δxy².
	mS := float32(labScale * s.compactness() / g.step)
	weight := mS * mS
	if err := ws.iterate(ctx, g, w, h, weight, s.iterations(), cr); err != nil {
		return nil, err
	}

	minSize := 0
	if !s.NoConnectivity {
		minSize = int(s.minSizeFactor() * float64(n) / float64(len(ws.centers)))
	}
	seg := ws.cc.finish(ws.lab, w, h, !s.NoConnectivity, minSize, &colours{ws.l, ws.a, ws.b, ws.centers}, cr)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	seg.statsFromRuns(img, cr, ws.cc.rowRuns)
	return seg, nil
}

// grid is the seed lattice: nx×ny cells of width sx and height sy.
type grid struct {
	nx, ny int
	sx, sy float64
	step   float64 // S: the side of a square cell of the same area
	rx, ry int     // search radius in x and y
}

func newGrid(w, h, k, cell int) grid {
	var step float64
	if cell > 0 {
		step = float64(cell)
	} else {
		step = math.Sqrt(float64(w) * float64(h) / float64(k))
	}
	nx := min(w, max(1, int(math.Round(float64(w)/step))))
	ny := min(h, max(1, int(math.Round(float64(h)/step))))
	g := grid{nx: nx, ny: ny, sx: float64(w) / float64(nx), sy: float64(h) / float64(ny)}
	g.step = math.Sqrt(g.sx * g.sy)
	g.rx = int(math.Ceil(g.sx))
	g.ry = int(math.Ceil(g.sy))
	return g
}

// seed places the centres and labels every pixel with its grid cell, so
// pixels that no window reaches still carry a valid label.
func (ws *workspace) seed(g grid, w, h int, perturb bool, cr *crew) {
	k := g.nx * g.ny
	ws.centers = grow(ws.centers, k)
	for j := range g.ny {
		y := int((float64(j) + 0.5) * g.sy)
		for i := range g.nx {
			x := int((float64(i) + 0.5) * g.sx)
			if perturb {
				x, y2 := ws.lowestGradient(x, y, w, h)
				ws.setCenter(j*g.nx+i, x, y2, w)
				continue
			}
			ws.setCenter(j*g.nx+i, x, y, w)
		}
	}
	// Cell of every column, then every row.
	colCell := make([]int32, w)
	for x := range w {
		colCell[x] = int32(min(g.nx-1, int(float64(x)/g.sx)))
	}
	cr.chunks(h, cr.chunkSize(h, 16), func(_, y0, y1 int) {
		for y := y0; y < y1; y++ {
			base := int32(min(g.ny-1, int(float64(y)/g.sy)) * g.nx)
			row := ws.lab[y*w : (y+1)*w]
			for x := range row {
				row[x] = base + colCell[x]
			}
		}
	})
}

func (ws *workspace) setCenter(k, x, y, w int) {
	i := y*w + x
	ws.centers[k] = center{l: float32(ws.l[i]), a: float32(ws.a[i]), b: float32(ws.b[i]), x: float32(x), y: float32(y)}
}

// lowestGradient returns the pixel of the 3×3 neighbourhood of (x, y) with
// the smallest gradient magnitude ‖I(x+1,y)−I(x−1,y)‖² + ‖I(x,y+1)−I(x,y−1)‖²
// in Lab, as the paper and its reference code define it; pixels on the image
// border have no gradient and are not candidates. Ties keep the first found,
// the centre first.
func (ws *workspace) lowestGradient(x, y, w, h int) (int, int) {
	grad := func(x, y int) (float32, bool) {
		if x < 1 || y < 1 || x > w-2 || y > h-2 {
			return 0, false
		}
		i := y*w + x
		// Explicit conversions: no fused multiply-adds, in any build.
		d := func(p []int16, u, v int) float32 { t := float32(p[u]) - float32(p[v]); return float32(t * t) }
		gx := d(ws.l, i+1, i-1) + d(ws.a, i+1, i-1) + d(ws.b, i+1, i-1)
		gy := d(ws.l, i+w, i-w) + d(ws.a, i+w, i-w) + d(ws.b, i+w, i-w)
		return gx + gy, true
	}
	bx, by := x, y
	best, ok := grad(x, y)
	if !ok {
		best = float32(math.Inf(1))
	}
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			if g, ok := grad(x+dx, y+dy); ok && g < best {
				best, bx, by = g, x+dx, y+dy
			}
		}
	}
	return bx, by
}

// stripOrder sets the order in which assign visits the centres: the grid
// cut into vertical strips a few cells wide, each strip row by row, so
// the four windows that cover a pixel come while its data is still in the
// core's L2 cache (a whole row of windows of a large photo is not).
func (ws *workspace) stripOrder(g grid) {
	// Bytes a window row touches per pixel: Lab float32 and int16, distance
	// and label.
	const perPixel, budget = 22, 1 << 20
	rows := 2*g.ry + 1
	cols := budget/(perPixel*rows) - 2*g.rx
	per := max(1, int(float64(cols)/g.sx))
	ws.order = ws.order[:0]
	for s := 0; s < g.nx; s += per {
		for j := range g.ny {
			for i := s; i < min(s+per, g.nx); i++ {
				ws.order = append(ws.order, int32(j*g.nx+i))
			}
		}
	}
}

// iterate runs the k-means iterations. Each chunk of rows is assigned and
// then summed by one member of the crew, with one barrier per iteration;
// sums of fixed-point Lab values are exact, so the centres do not depend
// on how the rows were split.
func (ws *workspace) iterate(ctx context.Context, g grid, w, h int, weight float32, iters int, cr *crew) error {
	workers := cr.n
	k := len(ws.centers)
	if cap(ws.sums) < workers {
		ws.sums = make([][]int64, workers)
	}
	ws.sums = ws.sums[:workers]
	for i := range ws.sums {
		ws.sums[i] = grow(ws.sums[i], 6*k)
	}
	// Per-band buffers are sized here, before the bands run.
	for len(ws.vacc) < workers {
		ws.vacc = append(ws.vacc, nil)
	}
	for len(ws.sx) < workers {
		ws.sx = append(ws.sx, nil)
	}
	for i := range ws.sx[:workers] {
		ws.sx[i] = grow(ws.sx[i], 2*g.rx+1+16)
	}
	ws.inf = grow(ws.inf, w)
	for i := range ws.inf {
		ws.inf[i] = float32(math.Inf(1))
	}
	cr.bands(h, func(_, y0, y1 int) {
		for y := y0; y < y1; y++ {
			copy(ws.dist[y*w:(y+1)*w], ws.inf)
		}
	})
	// Chunks of at least a window's height: fewer, taller windows per
	// kernel call.
	chunk := cr.chunkSize(h, 2*g.ry+1)
	for it := 0; it < iters; it++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		last := it == iters-1
		for _, s := range ws.sums {
			clear(s)
		}
		// Chunks of rows, each member summing into its own sums: each
		// pixel's assignment and the integer sums do not depend on how
		// the rows were cut.
		cr.chunks(h, chunk, func(m, y0, y1 int) {
			ws.assign(g, w, y0, y1, weight, ws.sx[m])
			if !last {
				ws.accumulate(ws.sums[m], w, y0, y1, m)
			}
		})
		if last || !ws.update() {
			break
		}
	}
	return nil
}

// assign runs the assignment step over rows [y0, y1).
func (ws *workspace) assign(g grid, w, y0, y1 int, weight float32, sx []float32) {
	h := len(ws.lab) / w
	var p kparams
	p.w = weight
	for _, k := range ws.order {
		c := ws.centers[k]
		cy := int(c.y)
		ya, yb := max(y0, cy-g.ry), min(y1-1, cy+g.ry, h-1)
		if ya > yb {
			continue
		}
		cx := int(c.x)
		xa, xb := max(0, cx-g.rx), min(w-1, cx+g.rx)
		p.cl, p.ca, p.cb, p.cx, p.k, p.x0 = c.l, c.a, c.b, c.x, int32(k), float32(xa)
		p.cy, p.y0 = c.y, float32(ya)
		assignWindow(ws, ya*w+xa, w, xb-xa+1, yb-ya+1, &p, sx)
	}
}

// accumulate adds the colour, count and position of the pixels of rows
// [y0, y1) to their clusters' sums, and resets those rows' distances for
// the next assignment.
func (ws *workspace) accumulate(sums []int64, w, y0, y1, band int) {
	if useAVX512 {
		ws.vacc[band] = grow(ws.vacc[band], 48*len(ws.centers))
		clear(ws.vacc[band])
		if accumulateVec(ws, sums, ws.vacc[band], w, y0, y1) {
			return
		}
	}
	for y := y0; y < y1; y++ {
		o := y * w
		accumulateRow(ws.lab[o:o+w], ws.l[o:], ws.a[o:], ws.b[o:], sums, y)
		copy(ws.dist[o:o+w], ws.inf[:w])
	}
}

// update moves every centre to the mean of its pixels and reports whether
// any centre moved. Centres that lost all their pixels stay where they are.
func (ws *workspace) update() bool {
	moved := false
	total := ws.sums[0]
	for _, s := range ws.sums[1:] {
		for i, v := range s {
			total[i] += v
		}
	}
	for k := range ws.centers {
		s := total[6*k : 6*k+6]
		if s[3] == 0 {
			continue
		}
		n := float64(s[3])
		c := center{
			l: float32(float64(s[0]) / n), a: float32(float64(s[1]) / n), b: float32(float64(s[2]) / n),
			x: float32(float64(s[4]) / (2 * n)), y: float32(float64(s[5]) / n),
		}
		if c != ws.centers[k] {
			moved = true
			ws.centers[k] = c
		}
	}
	return moved
}
