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
	fl       []int32   // segment of each run
	col      []float64 // per component: colour sums ΣL, Σa, Σb
	mean     []float64 // per component: mean colour
	nbFrom   []int32   // small component k touches nbList[nbFrom[k]:nbTo[k]]
	nbTo     []int32
	nbList   []int32
	nbParts  [][]int32 // per chunk of components, while listing neighbours
	nbSeen   [][]int32 // per crew member: the component whose list has each component
	parts    []runPart // per band, while extracting runs
}

// colours gives mergeSmall the image's fixed-point Lab planes and the
// cluster centres, to merge each small piece into the neighbour closest
// in colour.
type colours struct {
	l, a, b []int16
	centers []center
}

func (c *ccState) extractRuns(lab []int32, w, h int, cr *crew) {
	c.rowStart = grow(c.rowStart, h+1)
	workers := max(1, min(cr.n, h))
	if cap(c.parts) < workers {
		c.parts = make([]runPart, workers)
	}
	c.parts = c.parts[:workers]
	// Each band collects its rows' runs; rowStart is band-relative until
	// the bands are joined.
	cr.bands(h, func(band, y0, y1 int) {
		p := &c.parts[band]
		p.x0, p.x1, p.lab, p.ry = p.x0[:0], p.x1[:0], p.lab[:0], p.ry[:0]
		for y := y0; y < y1; y++ {
			c.rowStart[y] = int32(len(p.x0))
			row := lab[y*w : (y+1)*w]
			for i := 0; i < w; {
				k := row[i]
				j := i + 1
				for j < w && row[j] == k {
					j++
				}
				p.x0 = append(p.x0, int32(i))
				p.x1 = append(p.x1, int32(j))
				p.lab = append(p.lab, k)
				p.ry = append(p.ry, int32(y))
				i = j
			}
		}
	})
	offs := make([]int, workers+1)
	for b := range workers {
		offs[b+1] = offs[b] + len(c.parts[b].x0)
	}
	nr := offs[workers]
	c.x0, c.x1, c.lab, c.ry = grow(c.x0, nr), grow(c.x1, nr), grow(c.lab, nr), grow(c.ry, nr)
	cr.bands(h, func(band, y0, y1 int) {
		p, o := &c.parts[band], offs[band]
		copy(c.x0[o:], p.x0)
		copy(c.x1[o:], p.x1)
		copy(c.lab[o:], p.lab)
		copy(c.ry[o:], p.ry)
		for y := y0; y < y1; y++ {
			c.rowStart[y] += int32(o)
		}
	})
	c.rowStart[h] = int32(nr)
}

// runPart holds one band's runs while they are collected.
type runPart struct {
	x0, x1, lab, ry []int32
}

// unionRows unions the runs of rows y-1 and y that overlap and share a
// label, and records the up/down links between the two rows.
func (c *ccState) unionRows(y int) {
	i, ie := c.rowStart[y-1], c.rowStart[y]
	j, je := ie, c.rowStart[y+1]
	// up[j]: the first run of row y-1 overlapping run j (ie if none);
	// down[i]: the first run of row y overlapping run i.
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
func (c *ccState) finish(lab []int32, w, h int, connect bool, minSize int, cols *colours, cr *crew) *Segmentation {
	c.extractRuns(lab, w, h, cr)
	nr := len(c.x0)
	c.parent = grow(c.parent, nr)
	for i := range c.parent {
		c.parent[i] = int32(i)
	}
	if connect {
		c.up = grow(c.up, nr)
		c.down = grow(c.down, nr)
		// Rows within a chunk touch only that chunk's runs, so chunks
		// union in parallel (roots stay the earliest run, within the
		// chunk); the rows where chunks meet follow.
		chunk := cr.chunkSize(h, 16)
		cr.chunks(h, chunk, func(_, y0, y1 int) {
			for y := y0 + 1; y < y1; y++ {
				c.unionRows(y)
			}
		})
		for y := chunk; y < h; y += chunk {
			c.unionRows(y)
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
		c.mergeSmall(nc, int32(minSize), w, cols, cr)
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
	c.fl = grow(c.fl, nr)
	cr.chunks(h, cr.chunkSize(h, 16), func(_, y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := seg.Labels[y*w : (y+1)*w]
			for r := c.rowStart[y]; r < c.rowStart[y+1]; r++ {
				v := c.final[c.comp[r]]
				c.fl[r] = v
				s := row[c.x0[r]:c.x1[r]]
				for i := range s {
					s[i] = v
				}
			}
		}
	})
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
func (c *ccState) mergeSmall(nc int, minSize int32, w int, cols *colours, cr *crew) {
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
	// The pieces each small component touches, and the colour sums of
	// the pieces, in parallel over chunks of components (small pieces
	// cluster in textured parts of the image).
	c.nbFrom, c.nbTo = grow(c.nbFrom, nc), grow(c.nbTo, nc)
	chunk := cr.chunkSize(nc, 64)
	nch := (nc + chunk - 1) / chunk
	for len(c.nbParts) < nch {
		c.nbParts = append(c.nbParts, nil)
	}
	for len(c.nbSeen) < cr.n {
		c.nbSeen = append(c.nbSeen, nil)
	}
	for m := range cr.n {
		c.nbSeen[m] = grow(c.nbSeen[m], nc)
		for i := range c.nbSeen[m] {
			c.nbSeen[m][i] = -1
		}
	}
	if cols != nil {
		c.col = grow(c.col, 3*nc)
	}
	cr.chunks(nc, chunk, func(m, k0, k1 int) {
		c.neighbours(m, k0/chunk, k0, k1, minSize)
		if cols != nil {
			c.colourSums(k0, k1, minSize, w, cols)
		}
	})
	// Join the chunks' lists.
	c.nbList = c.nbList[:0]
	for i := range nch {
		k0, k1 := i*chunk, min(nc, (i+1)*chunk)
		base := int32(len(c.nbList))
		c.nbList = append(c.nbList, c.nbParts[i]...)
		for k := k0; k < k1; k++ {
			c.nbFrom[k] += base
			c.nbTo[k] += base
		}
	}
	if cols != nil {
		c.mean = grow(c.mean, 3*nc)
		for k := range nc {
			n := float64(c.size[k])
			for ch := range 3 {
				c.mean[3*k+ch] = c.col[3*k+ch] / n
			}
		}
	}
	for k := range nc {
		root := find(c.parent, int32(k))
		if c.size[root] >= minSize {
			continue
		}
		// Large neighbours first; among them the closest in colour (or
		// the largest), ties to the largest, then the earliest: a strict
		// order, so the result does not depend on the order in which
		// neighbours are considered.
		best := int32(-1)
		bestD, bestBig := 0.0, false
		var ml, ma, mb float64
		if cols != nil {
			ml, ma, mb = c.mean[3*root], c.mean[3*root+1], c.mean[3*root+2]
		}
		for _, j := range c.nbList[c.nbFrom[k]:c.nbTo[k]] {
			o := find(c.parent, j)
			if o == root || o == best {
				continue
			}
			big := c.size[o] >= minSize
			if bestBig && !big {
				continue
			}
			d := 0.0
			if cols != nil {
				m := c.mean[3*o : 3*o+3 : 3*o+3]
				dl, da, db := m[0]-ml, m[1]-ma, m[2]-mb
				d = dl*dl + da*da + db*db
			}
			if best >= 0 && big == bestBig && (d > bestD || d == bestD && (c.size[o] < c.size[best] || c.size[o] == c.size[best] && o > best)) {
				continue
			}
			best, bestD, bestBig = o, d, big
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
			n := float64(c.size[a])
			for ch := range 3 {
				c.col[3*int(a)+ch] = c.col[3*int(root)+ch] + c.col[3*int(best)+ch]
				c.mean[3*int(a)+ch] = c.col[3*int(a)+ch] / n
			}
		}
	}
}

// neighbours lists, for each component k in [k0, k1) smaller than
// minSize, the distinct components its runs touch (4-connectivity), in
// c.nbParts[part][c.nbFrom[k]:c.nbTo[k]]. member is the crew member
// running it, whose stamp array it uses.
func (c *ccState) neighbours(member, part, k0, k1 int, minSize int32) {
	buf := c.nbParts[part][:0]
	// seen[o] == k: o is on k's list already (the stamps stay valid for
	// the whole pass, as each component is listed once).
	seen := c.nbSeen[member]
	h := len(c.rowStart) - 1
	for k := k0; k < k1; k++ {
		c.nbFrom[k] = int32(len(buf))
		if c.size[k] < minSize {
			k := int32(k)
			seen[k] = k
			add := func(o int32) {
				if seen[o] != k {
					seen[o] = k
					buf = append(buf, o)
				}
			}
			for _, r := range c.order[c.ostart[k]:c.ostart[k+1]] {
				y := int(c.ry[r])
				if r > c.rowStart[y] {
					add(c.comp[r-1])
				}
				if r+1 < c.rowStart[y+1] {
					add(c.comp[r+1])
				}
				if y > 0 {
					for i := c.up[r]; i < c.rowStart[y] && c.x0[i] < c.x1[r]; i++ {
						add(c.comp[i])
					}
				}
				if y+1 < h {
					for i := c.down[r]; i < c.rowStart[y+2] && c.x0[i] < c.x1[r]; i++ {
						add(c.comp[i])
					}
				}
			}
		}
		c.nbTo[k] = int32(len(buf))
	}
	c.nbParts[part] = buf
}

// colourSums fills c.col for pieces [k0, k1): the exact Lab sums of small
// pieces, and centre colour × size for large ones.
func (c *ccState) colourSums(k0, k1 int, minSize int32, w int, cols *colours) {
	for k := k0; k < k1; k++ {
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

// rowRuns returns row y's runs with their final segments, for
// Segmentation.statsFromRuns; valid after finish.
func (c *ccState) rowRuns(_, y int) (x0, x1, lab []int32) {
	a, b := c.rowStart[y], c.rowStart[y+1]
	return c.x0[a:b], c.x1[a:b], c.fl[a:b]
}
