package synth

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/labelfree/labelfree"
)

// AnimalClass is the class index Render gives the boxes of its animals: the
// positive class of a two-class dataset whose classes are
// {"other", "snow leopard"}.
const AnimalClass = 1

// A Spec says what scene to render. The zero value (apart from Seed) is a
// 320×240 scene without animals or clutter.
type Spec struct {
	// Seed determines every random choice; equal specs render equal scenes.
	Seed uint64
	// Width and Height are the image size in pixels; 0 means 320×240.
	Width, Height int
	// Animals is the number of spotted cats in the scene (0 to 8).
	Animals int
	// Clutter is the number of distractor objects (rocks, some with
	// lichen spots, stumps, logs, unspotted hoofed animals), 0 to 64. Give
	// positive and negative scenes the same clutter so that only the cats
	// tell them apart.
	Clutter int
}

// Limits on Spec values.
const (
	MaxSide    = 4096
	MaxAnimals = 8
	MaxClutter = 64
)

func (s Spec) size() (int, int) {
	w, h := s.Width, s.Height
	if w == 0 {
		w = 320
	}
	if h == 0 {
		h = 240
	}
	return w, h
}

// Validate reports a spec Render cannot draw.
func (s Spec) Validate() error {
	w, h := s.size()
	bad := func(field, reason string) error {
		return &labelfree.ParamError{Stage: "synth", Field: field, Reason: reason}
	}
	switch {
	case w < 32 || w > MaxSide:
		return bad("Width", fmt.Sprintf("%d is outside [32, %d]", w, MaxSide))
	case h < 32 || h > MaxSide:
		return bad("Height", fmt.Sprintf("%d is outside [32, %d]", h, MaxSide))
	case s.Animals < 0 || s.Animals > MaxAnimals:
		return bad("Animals", fmt.Sprintf("%d is outside [0, %d]", s.Animals, MaxAnimals))
	case s.Clutter < 0 || s.Clutter > MaxClutter:
		return bad("Clutter", fmt.Sprintf("%d is outside [0, %d]", s.Clutter, MaxClutter))
	}
	return nil
}

// A Scene is a rendered image with its ground truth.
type Scene struct {
	Image *image.RGBA
	// Boxes holds one box per animal, the tight bounds of all its pixels
	// (occluded ones included) clipped to the image, with Class
	// AnimalClass and Score 1.
	Boxes []labelfree.Box
	// Mask is 255 where an animal is visible in the image, 0 elsewhere.
	Mask *image.Alpha
	// Biome names the terrain: "snow", "scree", "meadow", "steppe" or
	// "forest".
	Biome string
	// Night reports an infrared (greyscale) night shot.
	Night bool
}

type biome struct {
	name       string
	base, alt  rgb
	grass      rgb
	grassCount float64 // blades per 1000 px of terrain
	shrubs     int     // maximum shrubs
}

var biomes = []biome{
	{"snow", rgb{0.86, 0.88, 0.92}, rgb{0.50, 0.50, 0.52}, rgb{0.45, 0.42, 0.30}, 0.3, 2},
	{"scree", rgb{0.52, 0.50, 0.47}, rgb{0.70, 0.67, 0.62}, rgb{0.50, 0.48, 0.30}, 1.5, 3},
	{"meadow", rgb{0.36, 0.44, 0.20}, rgb{0.52, 0.47, 0.30}, rgb{0.30, 0.45, 0.15}, 8, 6},
	{"steppe", rgb{0.66, 0.58, 0.42}, rgb{0.54, 0.50, 0.38}, rgb{0.70, 0.62, 0.38}, 5, 4},
	{"forest", rgb{0.30, 0.25, 0.18}, rgb{0.42, 0.37, 0.26}, rgb{0.25, 0.35, 0.15}, 3, 8},
}

// scene holds the state of one rendering.
type scene struct {
	rng     *rand.Rand
	w, h    int
	c       *canvas
	biome   biome
	horizon float64 // y of the horizon; <= 0 when no sky is visible
	skyLow  rgb     // sky colour at the horizon, for haze
	scratch *mask
	animal  []bool // visible animal pixels
}

// depth returns how near the ground at screen row y is, 0 at the horizon
// to 1 at the bottom edge.
func (s *scene) depth(y float64) float64 {
	top := math.Max(s.horizon, 0)
	return math.Max(0, math.Min(1, (y-top)/(float64(s.h)-top)))
}

// Render draws the scene described by spec.
func Render(spec Spec) (*Scene, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	w, h := spec.size()
	rng := rand.New(rand.NewPCG(spec.Seed, 0x6c6162656c667265))
	s := &scene{rng: rng, w: w, h: h, c: newCanvas(w, h), biome: biomes[rng.IntN(len(biomes))], animal: make([]bool, w*h)}
	s.horizon = float64(h) * (0.12 + 0.33*rng.Float64())
	if rng.Float64() < 0.15 {
		s.horizon = -1 // camera looking down a slope: no sky
	}
	s.drawSky()
	s.drawTerrain()

	type object struct {
		footY float64
		draw  func()
	}
	var objs []object
	for range spec.Clutter {
		y := s.groundY(0.05)
		objs = append(objs, object{y, func() { s.drawClutter(y) }})
	}
	for range rng.IntN(s.biome.shrubs + 1) {
		y := s.groundY(0)
		objs = append(objs, object{y, func() { s.drawShrub(y) }})
	}
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].footY < objs[j].footY })
	for _, o := range objs {
		o.draw()
	}

	// Animals go in front of the clutter, so their truth boxes are not
	// hidden behind rocks; foreground grass may still cover them.
	var boxes []labelfree.Box
	for range spec.Animals {
		if b, ok := s.placeCat(boxes); ok {
			boxes = append(boxes, b)
		}
	}
	s.drawGrass()
	night := s.camera()

	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, n := 0, w*h; i < n; i++ {
		img.Pix[4*i] = to8(s.c.pix[3*i])
		img.Pix[4*i+1] = to8(s.c.pix[3*i+1])
		img.Pix[4*i+2] = to8(s.c.pix[3*i+2])
		img.Pix[4*i+3] = 255
	}
	m := image.NewAlpha(image.Rect(0, 0, w, h))
	for i, on := range s.animal {
		if on {
			m.Pix[i] = 255
		}
	}
	return &Scene{Image: img, Boxes: boxes, Mask: m, Biome: s.biome.name, Night: night}, nil
}

func to8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 1:
		return 255
	}
	return uint8(v*255 + 0.5)
}

// groundY picks a random ground row, at least margin of the height above
// the bottom.
func (s *scene) groundY(margin float64) float64 {
	top := math.Max(s.horizon, 0) + 0.04*float64(s.h)
	bottom := float64(s.h) * (1 - margin)
	return top + (bottom-top)*math.Sqrt(s.rng.Float64())
}

// mask returns the cleared scratch mask.
func (s *scene) mask() *mask {
	m := s.scratch
	if m == nil {
		m = newMask(s.w, s.h)
		s.scratch = m
		return m
	}
	for y := m.minY; y < m.maxY; y++ {
		clear(m.on[y*m.w+m.minX : y*m.w+m.maxX])
	}
	m.minX, m.minY, m.maxX, m.maxY = m.w, m.h, 0, 0
	return m
}

// cover paints m with f and removes the painted pixels from the animal
// mask (they now hide the animal).
func (s *scene) cover(m *mask, f func(x, y int) rgb) {
	s.c.paint(m, func(x, y int) rgb {
		s.animal[y*s.w+x] = false
		return f(x, y)
	})
}

func (s *scene) jitter(c rgb, amount float32) rgb {
	return rgb{
		c.r + (s.rng.Float32()*2-1)*amount,
		c.g + (s.rng.Float32()*2-1)*amount,
		c.b + (s.rng.Float32()*2-1)*amount,
	}
}

func (s *scene) drawSky() {
	rng := s.rng
	top := rgb{0.30, 0.50, 0.85}
	if rng.Float64() < 0.4 {
		top = rgb{0.66, 0.68, 0.72} // overcast
	}
	top = s.jitter(top, 0.05)
	s.skyLow = s.jitter(rgb{0.84, 0.87, 0.91}, 0.03)
	if s.horizon <= 0 {
		return
	}
	clouds := newFBM(rng, s.w, 2*s.h, 48, 2)
	cover := float32(rng.Float64())
	hz := int(math.Ceil(s.horizon))
	for y := 0; y < min(hz, s.h); y++ {
		t := float32(y) / float32(hz)
		base := mix(top, s.skyLow, t)
		for x := 0; x < s.w; x++ {
			cl := clouds.at(float32(x), float32(y)*2) - (1 - cover*0.6)
			if cl > 0 {
				base2 := mix(base, rgb{0.95, 0.95, 0.96}, min(1, cl*3))
				s.c.set(x, y, base2)
			} else {
				s.c.set(x, y, base)
			}
		}
	}
	// Two ridge lines: far (hazy) and near.
	for layer := range 2 {
		ridge := newFBM(rng, s.w, 4, 60-20*float32(layer), 3)
		height := s.horizon * (0.5 - 0.2*float64(layer)) * (0.3 + 0.7*rng.Float64())
		col := mix(rgb{0.40, 0.43, 0.50}, s.skyLow, 0.5-0.3*float32(layer))
		snow := rng.Float64() < 0.6
		for x := 0; x < s.w; x++ {
			ry := s.horizon - height*float64(ridge.at(float32(x), 1))
			for y := max(0, int(ry)); y < hz && y < s.h; y++ {
				c := col
				if snow && float64(y) < ry+height*0.35 {
					c = mix(col, rgb{0.92, 0.93, 0.96}, 0.7)
				}
				s.c.set(x, y, c)
			}
		}
	}
}

func (s *scene) drawTerrain() {
	b := s.biome
	base, alt := s.jitter(b.base, 0.04), s.jitter(b.alt, 0.04)
	patches := newFBM(s.rng, s.w, 2*s.h, 40, 2)
	detail := newNoise(s.rng, s.w, 2*s.h, 3)
	top := max(0, int(math.Ceil(s.horizon)))
	amount := float32(0.5 + 0.5*s.rng.Float64())
	maxLattice := 0
	for _, n := range append(fbm{detail}, patches...) {
		maxLattice = max(maxLattice, n.gw)
	}
	pRow, dRow := make([]float32, s.w), make([]float32, s.w)
	tmp, scratch := make([]float32, s.w), make([]float32, maxLattice)
	for y := top; y < s.h; y++ {
		d := float32(s.depth(float64(y)))
		haze := (1 - d) * (1 - d) * 0.45
		fy := float32(y)
		patches.row(fy*1.6, pRow, tmp, scratch)
		detail.row(fy*(1+d), dRow, scratch)
		for x := 0; x < s.w; x++ {
			t := min(1, max(0, (pRow[x]-0.45)*4*amount))
			c := mix(base, alt, t)
			c = c.scale(0.8 + 0.4*dRow[x])
			s.c.set(x, y, mix(c, s.skyLow, haze))
		}
	}
}

func (s *scene) drawGrass() {
	b := s.biome
	top := math.Max(s.horizon, 0)
	area := (float64(s.h) - top) * float64(s.w)
	n := int(b.grassCount * area / 1000 * (0.5 + s.rng.Float64()))
	m := s.mask()
	for range n {
		y := top + (float64(s.h)-top)*math.Sqrt(s.rng.Float64())
		x := s.rng.Float64() * float64(s.w)
		d := s.depth(y)
		l := (2 + 10*d) * (0.5 + s.rng.Float64())
		lean := (s.rng.Float64() - 0.5) * l * 0.6
		m.capsule(x, y, x+lean, y-l, 0.35+0.5*d)
	}
	col := b.grass
	shade := newNoise(s.rng, s.w, s.h, 5)
	s.cover(m, func(x, y int) rgb {
		return col.scale(0.7 + 0.6*shade.at(float32(x), float32(y)))
	})
}

// camera applies exposure, tint, vignetting, noise, the infrared night
// look and the info strip. It reports a night shot.
func (s *scene) camera() bool {
	rng := s.rng
	night := rng.Float64() < 0.2
	exp := float32(0.75 + 0.45*rng.Float64())
	tint := rgb{1 + (rng.Float32()-0.5)*0.12, 1 + (rng.Float32()-0.5)*0.08, 1 + (rng.Float32()-0.5)*0.12}
	vig := float32(0.35 * rng.Float64())
	sigma := float32(0.01 + 0.03*rng.Float64())
	if night {
		exp *= 1.1
		vig += 0.3
		sigma += 0.02
	}
	cx, cy := float32(s.w)/2, float32(s.h)/2
	inv := 1 / (cx*cx + cy*cy)
	pix := s.c.pix
	// Sensor noise from a xorshift generator: one PCG draw per pixel
	// would cost more than the rest of the camera model.
	xs := rng.Uint32() | 1
	amp := sigma * 1.7 * 2 / (1 << 24)
	for y := 0; y < s.h; y++ {
		dy := float32(y) - cy
		for x := 0; x < s.w; x++ {
			dx := float32(x) - cx
			f := exp * (1 - vig*(dx*dx+dy*dy)*inv)
			i := 3 * (y*s.w + x)
			r, g, b := pix[i]*f*tint.r, pix[i+1]*f*tint.g, pix[i+2]*f*tint.b
			if night {
				l := 0.3*r + 0.59*g + 0.11*b
				r, g, b = l, l, l
			}
			xs ^= xs << 13
			xs ^= xs >> 17
			xs ^= xs << 5
			n := float32(xs>>8)*amp - sigma*1.7
			pix[i], pix[i+1], pix[i+2] = r+n, g+n, b+n
		}
	}
	if rng.Float64() < 0.35 {
		bar := max(8, s.h/18)
		for y := s.h - bar; y < s.h; y++ {
			for x := 0; x < s.w; x++ {
				s.c.set(x, y, rgb{0.05, 0.05, 0.05})
				s.animal[y*s.w+x] = false
			}
		}
		// Blocky "text": date and temperature at the left, camera name at
		// the right.
		m := s.mask()
		for _, start := range []float64{4, float64(s.w) * 0.7} {
			x := start
			for range 6 + rng.IntN(6) {
				cw := float64(bar) * 0.4
				if rng.Float64() < 0.8 {
					m.rect(x, float64(s.h-bar)+2, x+cw, float64(s.h)-2)
				}
				x += cw * 1.4
			}
		}
		s.c.paint(m, func(int, int) rgb { return rgb{0.9, 0.9, 0.9} })
	}
	return night
}
