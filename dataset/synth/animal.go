package synth

import (
	"math"

	"github.com/labelfree/labelfree"
)

// frame maps an object's local coordinates (units of its body length,
// facing right, y down, origin at the body centre) to the screen.
type frame struct {
	cx, cy, s, facing float64
	sin, cos, tilt    float64
}

func newFrame(cx, cy, s, facing, tilt float64) frame {
	sin, cos := math.Sincos(tilt)
	return frame{cx: cx, cy: cy, s: s, facing: facing, sin: sin, cos: cos, tilt: tilt}
}

func (f frame) pt(lx, ly float64) (float64, float64) {
	lx *= f.facing
	return f.cx + (lx*f.cos-ly*f.sin)*f.s, f.cy + (lx*f.sin+ly*f.cos)*f.s
}

func (f frame) ellipse(m *mask, lx, ly, a, b, angle float64) {
	x, y := f.pt(lx, ly)
	m.ellipse(x, y, a*f.s, b*f.s, f.facing*angle+f.tilt)
}

func (f frame) capsule(m *mask, ax, ay, bx, by, r float64) {
	x0, y0 := f.pt(ax, ay)
	x1, y1 := f.pt(bx, by)
	m.capsule(x0, y0, x1, y1, r*f.s)
}

// bezierTube draws a tube of radius r0 to r1 along a quadratic Bézier curve.
func (f frame) bezierTube(m *mask, p0x, p0y, p1x, p1y, p2x, p2y, r0, r1 float64, segs int) {
	px, py := p0x, p0y
	for i := 1; i <= segs; i++ {
		t := float64(i) / float64(segs)
		u := 1 - t
		x := u*u*p0x + 2*u*t*p1x + t*t*p2x
		y := u*u*p0y + 2*u*t*p1y + t*t*p2y
		f.capsule(m, px, py, x, y, r0+(r1-r0)*t)
		px, py = x, y
	}
}

// Cat poses.
const (
	poseWalk = iota
	poseStalk
	poseLie
	nPoses
)

// catShape draws a spotted cat's silhouette into m and returns the local
// y of its feet below the body centre.
func catShape(m *mask, f frame, pose int, gait, tailBend, tailCurl float64) {
	legLen := 0.30
	headX, headY := 0.58, -0.14
	bodyB := 0.17
	switch pose {
	case poseStalk:
		legLen = 0.20
		headX, headY = 0.62, -0.03
	case poseLie:
		legLen = 0.03
		headX, headY = 0.55, -0.20
		bodyB = 0.16
	}
	foot := bodyB + legLen
	// Body, shoulder and haunch.
	f.ellipse(m, 0, 0, 0.5, bodyB, 0)
	f.ellipse(m, 0.30, 0.0, 0.13, 0.13, 0)
	f.ellipse(m, -0.30, 0.02, 0.16, 0.14, 0)
	// Neck, head, muzzle, ears.
	f.capsule(m, 0.33, -0.02, headX-0.03, headY+0.02, 0.09)
	f.ellipse(m, headX, headY, 0.11, 0.095, 0)
	f.ellipse(m, headX+0.08, headY+0.03, 0.05, 0.04, 0)
	f.ellipse(m, headX-0.05, headY-0.09, 0.028, 0.035, 0)
	f.ellipse(m, headX+0.03, headY-0.095, 0.028, 0.035, 0)
	// Legs.
	if pose == poseLie {
		f.capsule(m, 0.30, 0.10, 0.66, 0.16, 0.045)
		f.capsule(m, 0.36, 0.12, 0.70, 0.17, 0.045)
		f.ellipse(m, -0.26, 0.05, 0.2, 0.13, 0)
		f.capsule(m, -0.20, 0.12, 0.05, 0.18, 0.04)
	} else {
		for _, leg := range [][3]float64{{0.30, 0.06, gait}, {0.40, 0.06, -gait}, {-0.30, 0.04, -gait}, {-0.38, 0.04, gait}} {
			x, y, g := leg[0], leg[1], leg[2]
			f.capsule(m, x, y, x+0.1*g, foot-0.02, 0.045)
			f.ellipse(m, x+0.1*g+0.02, foot-0.02, 0.05, 0.025, 0)
		}
	}
	// The long, thick tail.
	p1y := 0.30 + tailBend
	p2y := -0.05 + tailCurl
	if pose == poseLie {
		p1y, p2y = 0.2, 0.14
	}
	f.bezierTube(m, -0.47, -0.02, -0.95, p1y, -1.25, p2y, 0.06, 0.05, 12)
}

// placeCat draws one cat at a random place, pose and camouflage, avoiding
// overlap with earlier animals, and returns its box.
func (s *scene) placeCat(others []labelfree.Box) (labelfree.Box, bool) {
	rng := s.rng
	for try := 0; try < 20; try++ {
		feetY := s.groundY(0)
		d := s.depth(feetY)
		L := float64(s.w) * (0.14 + 0.30*d) * (0.8 + 0.4*rng.Float64())
		if len(others) > 0 && rng.Float64() < 0.4 {
			L *= 0.65 // a cub
		}
		pose := rng.IntN(nPoses)
		legLen := [nPoses]float64{0.30, 0.20, 0.03}[pose]
		facing := 1.0
		if rng.IntN(2) == 0 {
			facing = -1
		}
		cx := float64(s.w) * (0.15 + 0.7*rng.Float64())
		if rng.Float64() < 0.15 { // partly out of frame
			cx = -0.3*L + rng.Float64()*(float64(s.w)+0.6*L)
		}
		cy := feetY - (0.17+legLen)*L
		tilt := (rng.Float64() - 0.5) * 0.24
		f := newFrame(cx, cy, L, facing, tilt)
		m := s.mask()
		catShape(m, f, pose, rng.Float64()*2-1, (rng.Float64()-0.5)*0.2, (rng.Float64()-0.6)*0.5)
		if m.empty() || m.maxX-m.minX < 8 || m.maxY-m.minY < 8 {
			continue
		}
		box := labelfree.Box{X0: float64(m.minX), Y0: float64(m.minY), X1: float64(m.maxX), Y1: float64(m.maxY), Score: 1, Class: AnimalClass}
		overlap := false
		for _, o := range others {
			if box.IoU(o) > 0.2 {
				overlap = true
			}
		}
		if overlap {
			continue
		}
		s.paintCat(m, f, L, box)
		return box, true
	}
	return labelfree.Box{}, false
}

// paintCat paints the fur (grey-white, lighter belly, dark rosettes) of the
// cat whose silhouette is in m, with a shadow on the ground beneath it.
func (s *scene) paintCat(m *mask, f frame, L float64, box labelfree.Box) {
	rng := s.rng
	// Shadow first: darken the ground under the feet, outside the cat.
	sx, sy := box.X0+(box.X1-box.X0)/2, box.Y1-1
	ground := s.c.at(min(s.w-1, max(0, int(sx))), min(s.h-1, max(0, int(sy))))
	shadowA, shadowB := (box.X1-box.X0)*0.5, L*0.05
	x0, y0, x1, y1 := clampBox(s.w, s.h, sx-shadowA, sy-shadowB, sx+shadowA, sy+shadowB)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			dx, dy := (float64(x)+0.5-sx)/shadowA, (float64(y)+0.5-sy)/shadowB
			if r := dx*dx + dy*dy; r < 1 && !m.on[y*s.w+x] {
				s.c.set(x, y, s.c.at(x, y).scale(float32(0.7+0.3*r)))
			}
		}
	}

	camo := float32(0.55 * rng.Float64() * rng.Float64() * 2)
	camo = min(camo, 0.6)
	fur := s.jitter(rgb{0.80, 0.78, 0.72}, 0.05)
	fur = mix(fur, ground, camo)
	ringDark := 0.22 + camo*0.55
	detail := newNoise(rng, s.w, s.h, float32(math.Max(1.5, L*0.02)))

	// Rosettes: one per cell of a jittered grid over the box.
	sp := L * 0.09 * (0.85 + 0.3*rng.Float64())
	gx := int((box.X1-box.X0)/sp) + 3
	gy := int((box.Y1-box.Y0)/sp) + 3
	type rosette struct{ x, y, ro, ri float64 }
	ros := make([]rosette, gx*gy)
	for j := range gy {
		for i := range gx {
			r := &ros[j*gx+i]
			r.x = box.X0 + (float64(i)-1+0.5+(rng.Float64()-0.5)*0.6)*sp
			r.y = box.Y0 + (float64(j)-1+0.5+(rng.Float64()-0.5)*0.6)*sp
			r.ro = sp * (0.28 + 0.14*rng.Float64())
			r.ri = r.ro * (0.45 + 0.15*rng.Float64())
			if rng.Float64() < 0.1 {
				r.ro = 0
			}
		}
	}
	top, height := box.Y0, math.Max(1, box.Y1-box.Y0)
	s.c.paint(m, func(x, y int) rgb {
		s.animal[y*s.w+x] = true
		px, py := float64(x)+0.5, float64(y)+0.5
		t := float32((py - top) / height)
		c := fur.scale((0.92 + 0.16*t) * (0.88 + 0.24*detail.at(float32(x), float32(y))))
		ci, cj := int((px-box.X0)/sp)+1, int((py-box.Y0)/sp)+1
		for j := cj - 1; j <= cj+1; j++ {
			for i := ci - 1; i <= ci+1; i++ {
				if i < 0 || j < 0 || i >= gx || j >= gy {
					continue
				}
				r := ros[j*gx+i]
				dx, dy := px-r.x, py-r.y
				d2 := dx*dx + dy*dy
				if d2 < r.ro*r.ro {
					if d2 > r.ri*r.ri {
						return c.scale(ringDark)
					}
					return c.scale(0.86)
				}
			}
		}
		return c
	})
	// An eye.
	em := s.mask()
	ex, ey := f.pt(0.62, -0.16)
	em.ellipse(ex, ey, math.Max(0.8, L*0.014), math.Max(0.6, L*0.01), 0)
	s.c.paint(em, func(int, int) rgb { return rgb{0.25, 0.24, 0.15} })
}
