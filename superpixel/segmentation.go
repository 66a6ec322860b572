package superpixel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"slices"
)

// Errors wrapped by Segment for images it cannot take.
var (
	// ErrEmpty: the image is nil or has no pixels.
	ErrEmpty = errors.New("empty image")
	// ErrTooLarge: the image has more pixels than SLIC.MaxPixels.
	ErrTooLarge = errors.New("image too large")
)

// A Segmentation divides a Width×Height image into N segments (superpixels).
// Coordinates are relative to the segmented image's Bounds().Min: pixel
// (x, y) is Labels[y*Width+x].
//
// A Segmentation is read-only once made; it is safe for concurrent use.
type Segmentation struct {
	Width, Height int
	// N is the number of segments; every label in [0, N) has pixels.
	N int
	// Labels holds each pixel's segment, row-major. Segments are numbered
	// in raster order of their first pixel.
	Labels []int32
	// Segments describes each segment; len(Segments) == N.
	Segments []Segment

	// Adjacency in compressed rows: the neighbours of segment k are
	// adj[adjStart[k]:adjStart[k+1]], ascending.
	adjStart []int32
	adj      []int32
}

// Segment describes one segment of a Segmentation.
type Segment struct {
	// Pixels is the segment's size.
	Pixels int
	// Bounds is the smallest rectangle holding all its pixels (Max
	// exclusive), in Segmentation coordinates.
	Bounds image.Rectangle
	// CX, CY is the centroid: the mean of its pixels' centres, so a
	// segment holding only pixel (0, 0) has centroid (0.5, 0.5).
	CX, CY float64
	// Mean is the mean colour of its pixels in the segmented image
	// (alpha-premultiplied, as color.RGBA is), the fill LIME uses by
	// default for hidden segments.
	Mean color.RGBA
}

// Neighbors returns the segments that share an edge (4-connectivity) with
// segment k, ascending. The slice belongs to the Segmentation: do not
// modify it.
func (s *Segmentation) Neighbors(k int) []int32 {
	if k < 0 || k >= s.N || len(s.adjStart) != s.N+1 {
		return nil
	}
	return s.adj[s.adjStart[k]:s.adjStart[k+1]:s.adjStart[k+1]]
}

// Adjacent reports whether segments i and j share an edge.
func (s *Segmentation) Adjacent(i, j int) bool {
	_, found := slices.BinarySearch(s.Neighbors(i), int32(j))
	return found
}

// At returns the segment of pixel (x, y), or -1 outside the image.
func (s *Segmentation) At(x, y int) int {
	if x < 0 || y < 0 || x >= s.Width || y >= s.Height {
		return -1
	}
	return int(s.Labels[y*s.Width+x])
}

// Validate checks the invariants a Segmentation from this package holds:
// sizes agree, labels are in range, every segment has pixels and its
// statistics match the labels.
func (s *Segmentation) Validate() error {
	switch {
	case s == nil:
		return errors.New("superpixel: nil segmentation")
	case s.Width <= 0 || s.Height <= 0 || s.Width > DefaultMaxPixels || s.Height > DefaultMaxPixels || s.Width*s.Height > DefaultMaxPixels:
		return fmt.Errorf("superpixel: bad segmentation size %d×%d", s.Width, s.Height)
	case len(s.Labels) != s.Width*s.Height:
		return fmt.Errorf("superpixel: %d labels for %d×%d pixels", len(s.Labels), s.Width, s.Height)
	case s.N <= 0 || s.N > len(s.Labels):
		return fmt.Errorf("superpixel: bad segment count %d for %d pixels", s.N, len(s.Labels))
	case len(s.Segments) != s.N:
		return fmt.Errorf("superpixel: %d segment records for %d segments", len(s.Segments), s.N)
	}
	count := make([]int, s.N)
	for i, k := range s.Labels {
		if k < 0 || int(k) >= s.N {
			return fmt.Errorf("superpixel: pixel %d has label %d, want [0, %d)", i, k, s.N)
		}
		count[k]++
	}
	for k, c := range count {
		if c == 0 {
			return fmt.Errorf("superpixel: segment %d has no pixels", k)
		}
		if c != s.Segments[k].Pixels {
			return fmt.Errorf("superpixel: segment %d has %d pixels, its record says %d", k, c, s.Segments[k].Pixels)
		}
	}
	return nil
}

// computeStats fills Segments (colour from img when not nil) and the
// adjacency from Labels.
func (s *Segmentation) computeStats(img image.Image, workers int) {
	w := s.Width
	type buf struct{ x0, x1, lab []int32 }
	bufs := make([][2]buf, max(1, workers))
	cr := newCrew(workers)
	defer cr.stop()
	s.statsFromRuns(img, cr, func(band, y int) ([]int32, []int32, []int32) {
		b := &bufs[band][y&1]
		b.x0, b.x1, b.lab = b.x0[:0], b.x1[:0], b.lab[:0]
		row := s.Labels[y*w : (y+1)*w]
		for i := 0; i < w; {
			k := row[i]
			j := i + 1
			for j < w && row[j] == k {
				j++
			}
			b.x0 = append(b.x0, int32(i))
			b.x1 = append(b.x1, int32(j))
			b.lab = append(b.lab, k)
			i = j
		}
		return b.x0, b.x1, b.lab
	})
}

// statsFromRuns fills Segments and the adjacency from runs of equal labels
// (not necessarily maximal), row by row: runs(band, y) returns row y's runs
// as column starts, ends and labels, and may reuse its buffers every other
// call of a band.
func (s *Segmentation) statsFromRuns(img image.Image, cr *crew, runs func(band, y int) (x0, x1, lab []int32)) {
	w, h, n := s.Width, s.Height, s.N
	workers := max(1, min(cr.n, h))
	type acc struct {
		n          int
		sx, sy     int64
		r, g, b, a uint64
		bounds     image.Rectangle
	}
	// Per member of the crew; sums, bounds and the sorted pairs do not
	// depend on which member took which rows.
	parts := make([][]acc, workers)
	pairs := make([][]uint64, workers)
	readers := make([]*rowReader, workers)
	cr.chunks(h, cr.chunkSize(h, 16), func(band, y0, y1 int) {
		st := parts[band]
		if st == nil {
			st = make([]acc, n)
			for k := range st {
				st[k].bounds = image.Rectangle{Min: image.Pt(w, h)}
			}
			parts[band] = st
			if img != nil {
				readers[band] = newRowReader(img)
			}
		}
		pr := pairs[band]
		add := func(a, b int32) {
			if a > b {
				a, b = b, a
			}
			p := uint64(a)<<32 | uint64(b)
			if m := len(pr); m > 0 && pr[m-1] == p || m > 1 && pr[m-2] == p {
				return
			}
			pr = append(pr, p)
		}
		rr := readers[band]
		var px0, px1, plab []int32
		if y0 > 0 {
			px0, px1, plab = runs(band, y0-1)
		}
		for y := y0; y < y1; y++ {
			x0, x1, lab := runs(band, y)
			var px []uint8
			if rr != nil {
				px = rr.row(y)
			}
			for r, k := range lab {
				i, j := int(x0[r]), int(x1[r])
				a := &st[k]
				m := j - i
				a.n += m
				a.sx += int64(i+j-1) * int64(m) // 2·Σx
				a.sy += int64(y) * int64(m)
				a.bounds.Min.X = min(a.bounds.Min.X, i)
				a.bounds.Max.X = max(a.bounds.Max.X, j)
				a.bounds.Min.Y = min(a.bounds.Min.Y, y)
				a.bounds.Max.Y = max(a.bounds.Max.Y, y+1)
				if px != nil {
					r, g, b, al := sumRGBA(px[4*i : 4*j])
					a.r += r
					a.g += g
					a.b += b
					a.a += al
				}
				if r+1 < len(lab) && lab[r+1] != k {
					add(k, lab[r+1])
				}
			}
			if y > 0 {
				// Runs of rows y-1 and y that overlap touch.
				for u, v := 0, 0; u < len(plab) && v < len(lab); {
					if plab[u] != lab[v] && px0[u] < x1[v] && x0[v] < px1[u] {
						add(plab[u], lab[v])
					}
					if px1[u] < x1[v] {
						u++
					} else {
						v++
					}
				}
			}
			px0, px1, plab = x0, x1, lab
		}
		pairs[band] = pr
	})
	parts = slices.DeleteFunc(parts, func(p []acc) bool { return p == nil })
	s.Segments = make([]Segment, n)
	for k := range s.Segments {
		t := parts[0][k]
		for _, p := range parts[1:] {
			q := p[k]
			t.n += q.n
			t.sx += q.sx
			t.sy += q.sy
			t.r += q.r
			t.g += q.g
			t.b += q.b
			t.a += q.a
			t.bounds = t.bounds.Union(q.bounds)
		}
		seg := &s.Segments[k]
		seg.Pixels = t.n
		if t.n == 0 {
			continue
		}
		seg.Bounds = t.bounds
		cnt := float64(t.n)
		seg.CX = float64(t.sx)/(2*cnt) + 0.5
		seg.CY = float64(t.sy)/cnt + 0.5
		if img != nil {
			avg := func(v uint64) uint8 { return uint8((v + uint64(t.n)/2) / uint64(t.n)) }
			seg.Mean = color.RGBA{avg(t.r), avg(t.g), avg(t.b), avg(t.a)}
		}
	}
	// Each member sorts its own pairs, then one merge.
	cr.run(func(m int) {
		if m < len(pairs) {
			slices.Sort(pairs[m])
			pairs[m] = slices.Compact(pairs[m])
		}
	})
	var all []uint64
	for _, p := range pairs {
		all = mergeSorted(all, p)
	}
	s.adjStart = make([]int32, n+1)
	for _, p := range all {
		s.adjStart[p>>32+1]++
		s.adjStart[uint32(p)+1]++
	}
	for i := 1; i <= n; i++ {
		s.adjStart[i] += s.adjStart[i-1]
	}
	s.adj = make([]int32, 2*len(all))
	fill := slices.Clone(s.adjStart[:n])
	for _, p := range all {
		a, b := int32(p>>32), int32(uint32(p))
		s.adj[fill[a]] = b
		fill[a]++
		s.adj[fill[b]] = a
		fill[b]++
	}
	for k := range n {
		slices.Sort(s.adj[s.adjStart[k]:s.adjStart[k+1]])
	}
}

// mergeSorted returns the sorted union, without duplicates, of a and b,
// each sorted and without duplicates.
func mergeSorted(a, b []uint64) []uint64 {
	if len(a) == 0 {
		return b
	}
	out := make([]uint64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Boundaries reports for every pixel whether it lies on a segment boundary:
// its right or lower neighbour belongs to another segment (so a boundary
// is one pixel thick, on the left/upper side of each edge).
func (s *Segmentation) Boundaries() []bool {
	return boundaryMap(s.Labels, s.Width, s.Height)
}

func boundaryMap(labels []int32, w, h int) []bool {
	b := make([]bool, w*h)
	for y := range h {
		row := labels[y*w : (y+1)*w]
		out := b[y*w : (y+1)*w]
		for x := 0; x+1 < w; x++ {
			if row[x] != row[x+1] {
				out[x] = true
			}
		}
		if y+1 < h {
			down := labels[(y+1)*w : (y+2)*w]
			for x, k := range row {
				if down[x] != k {
					out[x] = true
				}
			}
		}
	}
	return b
}

// DrawBoundaries paints segment boundaries (see Boundaries) onto dst in
// colour c; pixel (x, y) of the segmentation is dst's pixel
// dst.Bounds().Min + (x, y). Pixels outside dst are skipped.
func (s *Segmentation) DrawBoundaries(dst draw.Image, c color.Color) {
	bm := s.Boundaries()
	r := dst.Bounds()
	w, h := min(s.Width, r.Dx()), min(s.Height, r.Dy())
	if m, ok := dst.(*image.RGBA); ok {
		cr, cg, cb, ca := c.RGBA()
		px := [4]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8), uint8(ca >> 8)}
		for y := range h {
			o := m.PixOffset(r.Min.X, r.Min.Y+y)
			for x := range w {
				if bm[y*s.Width+x] {
					copy(m.Pix[o+4*x:o+4*x+4], px[:])
				}
			}
		}
		return
	}
	for y := range h {
		for x := range w {
			if bm[y*s.Width+x] {
				dst.Set(r.Min.X+x, r.Min.Y+y, c)
			}
		}
	}
}

// sumRGBA sums the channels of packed RGBA pixels, two pixels per 64-bit
// word: R and B (and G and A) accumulate side by side in 16-bit fields,
// emptied every 256 words before they can overflow.
func sumRGBA(q []uint8) (r, g, b, a uint64) {
	const lo = 0x00ff00ff00ff00ff
	for len(q) >= 8 {
		var rb, ga uint64
		m := min(len(q)/8, 256)
		for k := 0; k < m; k++ {
			w := binary.LittleEndian.Uint64(q[8*k:])
			rb += w & lo
			ga += (w >> 8) & lo
		}
		q = q[8*m:]
		r += rb&0xffff + rb>>32&0xffff
		b += rb>>16&0xffff + rb>>48
		g += ga&0xffff + ga>>32&0xffff
		a += ga>>16&0xffff + ga>>48
	}
	if len(q) >= 4 {
		r += uint64(q[0])
		g += uint64(q[1])
		b += uint64(q[2])
		a += uint64(q[3])
	}
	return r, g, b, a
}
