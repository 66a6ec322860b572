package superpixel

// Connectivity enforcement and relabelling, on runs: a label map is stored
// as maximal horizontal runs of equal labels, a few per superpixel per row,
// so connected components come from a union–find over runs (4-connectivity:
// runs in adjacent rows with overlapping columns) in time proportional to
// the number of runs, not of pixels.

// ccState holds the buffers of one connectivity pass; it lives in the
// pooled workspace.
type ccState struct {
	x0, x1   []int32   // run columns [x0, x1)
	lab      []int32   // run label (input), then final segment
	rowStart []int32   // runs of row y are rowStart[y]:rowStart[y+1]
	ry       []int32   // row of each run
	up, down []int32   // first run overlapping each run in the row above / below (or the next row's start)
	parent   []int32   // union–find over runs, then over components
	comp     []int32   // component of each run
	size     []int32   // pixels per component
	first    []int32   // first run of each component
	order    []int32   // runs grouped by component
	ostart   []int32   // component c's runs are order[ostart[c]:ostart[c+1]]
	final    []int32   // segment of each component
	col      []float64 // per component: colour sums ΣL, Σa, Σb
}

// colours gives mergeSmall the image's fixed-point Lab planes and the
// cluster centres, to merge each small piece into the neighbour closest
// in colour.
type colours struct {
	l, a, b []int16
	centers []center
}

func (c *ccState) extractRuns(lab []int32, w, h int) {
	c.x0, c.x1, c.lab, c.ry = c.x0[:0], c.x1[:0], c.lab[:0], c.ry[:0]
	c.rowStart = grow(c.rowStart, h+1)
	for y := range h {
		c.rowStart[y] = int32(len(c.x0))
		row := lab[y*w : (y+1)*w]
		for i := 0; i < w; {
			k := row[i]
			j := i + 1
			for j < w && row[j] == k {
				j++
			}
			c.x0 = append(c.x0, int32(i))
			c.x1 = append(c.x1, int32(j))
			c.lab = append(c.lab, k)
			c.ry = append(c.ry, int32(y))
			i = j
		}
	}
	c.rowStart[h] = int32(len(c.x0))
}

func find(parent []int32, i int32) int32 {
	for parent[i] != i {
		parent[i] = parent[parent[i]]
		i = parent[i]
	}
	return i
}

// union joins the sets of a and b, keeping the smaller root (the earlier
// run in raster order) as the root.
func union(parent []int32, a, b int32) {
	ra, rb := find(parent, a), find(parent, b)
	switch {
	case ra < rb:
		parent[rb] = ra
	case rb < ra:
		parent[ra] = rb
	}
}

// finish turns the cluster map lab into a Segmentation: with connect, each
// 4-connected piece of a cluster is its own segment and pieces smaller than
// minSize join a neighbour (see mergeSmall); without, segments are the
// non-empty clusters. Segments are numbered in raster order of their first
// pixel. Only Labels, N and the pixel counts are filled in.
func (c *ccState) finish(lab []int32, w, h int, connect bool, minSize int, cols *colours) *Segmentation {
	c.extractRuns(lab, w, h)
	nr := len(c.x0)
	c.parent = grow(c.parent, nr)
	for i := range c.parent {
		c.parent[i] = int32(i)
	}
	if connect {
		c.up = grow(c.up, nr)
		c.down = grow(c.down, nr)
		for y := 1; y < h; y++ {
			i, ie := c.rowStart[y-1], c.rowStart[y]
			j, je := ie, c.rowStart[y+1]
			// up[j]: the first run of row y-1 overlapping run j (ie if
			// none); down[i]: the first run of row y overlapping run i.
			for q := j; q < je; q++ {
				c.up[q] = ie
			}
			for q := i; q < ie; q++ {
				c.down[q] = je
			}
			for i < ie && j < je {
				if c.x0[i] < c.x1[j] && c.x0[j] < c.x1[i] {
					if c.up[j] == ie {
						c.up[j] = i
					}
					if c.down[i] == je {
						c.down[i] = j
					}
					if c.lab[i] == c.lab[j] {
						union(c.parent, i, j)
					}
				}
				if c.x1[i] < c.x1[j] {
					i++
				} else {
					j++
				}
			}
		}
	} else {
		// Runs join the first run of their cluster.
		maxLab := int32(0)
		for _, k := range c.lab {
			maxLab = max(maxLab, k)
		}
		c.first = grow(c.first, int(maxLab)+1)
		for i := range c.first {
			c.first[i] = -1
		}
		for i := range nr {
			r := int32(i)
			if f := c.first[c.lab[r]]; f >= 0 {
				c.parent[r] = f
			} else {
				c.first[c.lab[r]] = r
			}
		}
	}
	// Number components in raster order of their first run.
	c.comp = grow(c.comp, nr)
	c.size = c.size[:0]
	c.first = c.first[:0]
	for i := range nr {
		r := find(c.parent, int32(i))
		if r == int32(i) {
			c.comp[i] = int32(len(c.size))
			c.size = append(c.size, 0)
			c.first = append(c.first, int32(i))
		} else {
			c.comp[i] = c.comp[r]
		}
		c.size[c.comp[i]] += c.x1[i] - c.x0[i]
	}
	nc := len(c.size)
	if connect && minSize > 1 && nc > 1 {
		c.mergeSmall(nc, int32(minSize), w, cols)
	} else {
		c.parent = grow(c.parent, nc)
		for i := range c.parent {
			c.parent[i] = int32(i)
		}
	}
	// Final numbering: surviving components in raster order.
	c.final = grow(c.final, nc)
	n := int32(0)
	for i := range nc {
		if r := find(c.parent, int32(i)); r == int32(i) {
			c.final[i] = n
			n++
		} else {
			c.final[i] = c.final[r]
		}
	}
	seg := &Segmentation{Width: w, Height: h, N: int(n), Labels: make([]int32, w*h)}
	for y := range h {
		row := seg.Labels[y*w : (y+1)*w]
		for r := c.rowStart[y]; r < c.rowStart[y+1]; r++ {
			v := c.final[c.comp[r]]
			s := row[c.x0[r]:c.x1[r]]
			for i := range s {
				s[i] = v
			}
		}
	}
	return seg
}

// mergeSmall merges components smaller than minSize into a neighbour, in
// raster order; sizes grow as pieces merge, so a piece joined by others
// may end up large enough to stay. It leaves the component union–find in
// c.parent.
//
// The paper relabels such pieces "with the labels of the largest
// neighboring cluster". With cols, a piece joins instead the neighbour
// whose mean colour is closest to its own (large components count with
// their cluster centre's colour): a stray piece usually belongs to the
// region it looks like, and on the quality scenes this halves the
// undersegmentation error at no cost in boundary recall. Without cols
// (and on colour ties) the largest neighbour wins.
func (c *ccState) mergeSmall(nc int, minSize int32, w int, cols *colours) {
	// Group runs by component.
	c.ostart = grow(c.ostart, nc+1)
	clear(c.ostart)
	for _, k := range c.comp {
		c.ostart[k+1]++
	}
	for i := 1; i <= nc; i++ {
		c.ostart[i] += c.ostart[i-1]
	}
	c.order = grow(c.order, len(c.comp))
	fill := append([]int32(nil), c.ostart[:nc]...)
	for r, k := range c.comp {
		c.order[fill[k]] = int32(r)
		fill[k]++
	}
	c.parent = grow(c.parent, nc)
	for i := range c.parent {
		c.parent[i] = int32(i)
	}
	h := len(c.rowStart) - 1
	if cols != nil {
		c.col = grow(c.col, 3*nc)
		for k := range nc {
			s := c.col[3*k : 3*k+3]
			if c.size[k] >= minSize {
				ctr := cols.centers[c.lab[c.first[k]]]
				n := float64(c.size[k])
				s[0], s[1], s[2] = float64(ctr.l)*n, float64(ctr.a)*n, float64(ctr.b)*n
				continue
			}
			var sl, sa, sb int64
			for _, r := range c.order[c.ostart[k]:c.ostart[k+1]] {
				o := int(c.ry[r]) * w
				for x := o + int(c.x0[r]); x < o+int(c.x1[r]); x++ {
					sl += int64(cols.l[x])
					sa += int64(cols.a[x])
					sb += int64(cols.b[x])
				}
			}
			s[0], s[1], s[2] = float64(sl), float64(sa), float64(sb)
		}
	}
	dist := func(i, j int32) float64 {
		ni, nj := float64(c.size[i]), float64(c.size[j])
		var d float64
		for ch := range 3 {
			t := c.col[3*int(i)+ch]/ni - c.col[3*int(j)+ch]/nj
			d += t * t
		}
		return d
	}
	for k := range nc {
		root := find(c.parent, int32(k))
		if c.size[root] >= minSize {
			continue
		}
		// Large neighbours first; among them the closest in colour (or
		// the largest), ties to the largest, then the earliest.
		best := int32(-1)
		bestD, bestBig := 0.0, false
		consider := func(r int32) {
			o := find(c.parent, c.comp[r])
			if o == root {
				return
			}
			big := c.size[o] >= minSize
			d := 0.0
			if cols != nil {
				d = dist(root, o)
			}
			switch {
			case best < 0, big && !bestBig:
			case big != bestBig, d > bestD:
				return
			case d == bestD && (c.size[o] < c.size[best] || c.size[o] == c.size[best] && o > best):
				return
			}
			best, bestD, bestBig = o, d, big
		}
		for _, r := range c.order[c.ostart[k]:c.ostart[k+1]] {
			y := int(c.ry[r])
			if r > c.rowStart[y] {
				consider(r - 1)
			}
			if r+1 < c.rowStart[y+1] {
				consider(r + 1)
			}
			if y > 0 {
				for i := c.up[r]; i < c.rowStart[y] && c.x0[i] < c.x1[r]; i++ {
					consider(i)
				}
			}
			if y+1 < h {
				for i := c.down[r]; i < c.rowStart[y+2] && c.x0[i] < c.x1[r]; i++ {
					consider(i)
				}
			}
		}
		if best < 0 {
			continue
		}
		// Merge: the smaller index stays root so numbering stays in
		// raster order of first pixels.
		a, b := min(root, best), max(root, best)
		c.parent[b] = a
		c.size[a] = c.size[root] + c.size[best]
		if cols != nil {
			for ch := range 3 {
				c.col[3*int(a)+ch] = c.col[3*int(root)+ch] + c.col[3*int(best)+ch]
			}
		}
	}
}
