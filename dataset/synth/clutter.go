package synth

import "math"

// drawClutter draws one distractor object standing on ground row y.
func (s *scene) drawClutter(y float64) {
	switch s.rng.IntN(5) {
	case 0, 1:
		s.drawRock(y)
	case 2:
		s.drawStump(y)
	case 3:
		s.drawLog(y)
	default:
		s.drawUngulate(y)
	}
}

// size returns an object size in pixels for ground row y.
func (s *scene) size(y, frac float64) float64 {
	return float64(s.w) * frac * (0.25 + 0.75*s.depth(y)) * (0.6 + 0.8*s.rng.Float64())
}

// drawShadow darkens an elliptic patch of ground.
func (s *scene) drawShadow(cx, cy, a, b float64) {
	m := s.mask()
	m.ellipse(cx, cy, a, b, 0)
	s.cover(m, func(x, y int) rgb { return s.c.at(x, y).scale(0.72) })
}

func (s *scene) drawRock(y float64) {
	rng := s.rng
	R := s.size(y, 0.16)
	x := rng.Float64() * float64(s.w)
	b := R * (0.45 + 0.3*rng.Float64())
	s.drawShadow(x+R*0.15, y, R*1.1, R*0.15)
	m := s.mask()
	m.ellipse(x, y-b*0.9, R, b, (rng.Float64()-0.5)*0.3)
	for range rng.IntN(3) {
		m.ellipse(x+(rng.Float64()-0.5)*R, y-b*(0.8+0.6*rng.Float64()), R*(0.3+0.4*rng.Float64()), b*(0.5+0.4*rng.Float64()), rng.Float64())
	}
	g := float32(0.42 + 0.28*rng.Float64())
	col := s.jitter(rgb{g, g * 0.98, g * 0.95}, 0.03)
	tex := newNoise(rng, s.w, s.h, float32(math.Max(1.5, R*0.12)))
	top, h := float64(m.minY), math.Max(1, float64(m.maxY-m.minY))
	s.cover(m, func(px, py int) rgb {
		t := float32((float64(py) - top) / h)
		return col.scale((1.2 - 0.45*t) * (0.8 + 0.4*tex.at(float32(px), float32(py))))
	})
	// Lichen: dark or orange blotches, a spotted texture that is not a cat.
	if rng.Float64() < 0.5 {
		lichen := rgb{0.18, 0.18, 0.16}
		if rng.Float64() < 0.4 {
			lichen = rgb{0.72, 0.52, 0.18}
		}
		// Keep the rock's pixels: the next mask call clears the scratch.
		onRock := make([]bool, len(m.on))
		copy(onRock, m.on)
		cov := s.mask()
		for range 4 + rng.IntN(14) {
			cov.ellipse(x+(rng.Float64()*2-1)*R*0.8, y-b*(0.3+1.2*rng.Float64()), R*(0.04+0.08*rng.Float64()), R*(0.03+0.06*rng.Float64()), rng.Float64()*math.Pi)
		}
		s.c.paint(cov, func(px, py int) rgb {
			if !onRock[py*s.w+px] {
				return s.c.at(px, py)
			}
			return mix(s.c.at(px, py), lichen, 0.8)
		})
	}
}

func (s *scene) drawStump(y float64) {
	rng := s.rng
	R := s.size(y, 0.07)
	x := rng.Float64() * float64(s.w)
	h := R * (1 + rng.Float64())
	s.drawShadow(x+R*0.3, y, R*0.9, R*0.15)
	m := s.mask()
	m.rect(x-R/2, y-h, x+R/2, y)
	m.ellipse(x, y, R/2, R*0.12, 0)
	bark := s.jitter(rgb{0.33, 0.24, 0.15}, 0.04)
	s.cover(m, func(px, _ int) rgb {
		stripe := float32(0.8 + 0.25*math.Sin(float64(px)*2.1/math.Max(1, R*0.08)))
		return bark.scale(stripe)
	})
	top := s.mask()
	top.ellipse(x, y-h, R/2, R*0.15, 0)
	s.cover(top, func(int, int) rgb { return rgb{0.62, 0.50, 0.34} })
}

func (s *scene) drawLog(y float64) {
	rng := s.rng
	R := s.size(y, 0.05)
	x := rng.Float64() * float64(s.w)
	l := R * (3 + 3*rng.Float64())
	ang := (rng.Float64() - 0.5) * 0.4
	dx, dy := math.Cos(ang)*l/2, math.Sin(ang)*l/2
	s.drawShadow(x, y, l*0.55, R*0.3)
	m := s.mask()
	m.capsule(x-dx, y-R-dy, x+dx, y-R+dy, R)
	bark := s.jitter(rgb{0.36, 0.28, 0.19}, 0.04)
	top := float64(m.minY)
	s.cover(m, func(_, py int) rgb {
		return bark.scale(float32(1.15 - 0.4*(float64(py)-top)/(2*R)))
	})
}

// drawUngulate draws an unspotted hoofed animal (a blue sheep or ibex): the
// hard negative that has a quadruped's shape but not a cat's coat.
func (s *scene) drawUngulate(y float64) {
	rng := s.rng
	L := s.size(y, 0.25)
	facing := 1.0
	if rng.IntN(2) == 0 {
		facing = -1
	}
	x := rng.Float64() * float64(s.w)
	f := newFrame(x, y-0.5*L, L, facing, (rng.Float64()-0.5)*0.1)
	s.drawShadow(x, y, L*0.5, L*0.05)
	m := s.mask()
	f.ellipse(m, 0, 0, 0.45, 0.16, 0)
	for _, lx := range []float64{-0.32, -0.22, 0.25, 0.35} {
		f.capsule(m, lx, 0.05, lx+(rng.Float64()-0.5)*0.1, 0.5, 0.03)
	}
	f.capsule(m, 0.35, -0.05, 0.5, -0.3, 0.07)
	f.ellipse(m, 0.56, -0.33, 0.1, 0.06, 0.3)
	f.capsule(m, -0.44, -0.05, -0.5, 0.05, 0.03)
	f.bezierTube(m, 0.5, -0.38, 0.4, -0.6, 0.3, -0.45, 0.03, 0.015, 5)
	coat := s.jitter(rgb{0.50, 0.44, 0.36}, 0.06)
	if rng.Float64() < 0.4 {
		coat = s.jitter(rgb{0.55, 0.55, 0.55}, 0.05)
	}
	top, h := float64(m.minY), math.Max(1, float64(m.maxY-m.minY))
	s.cover(m, func(_, py int) rgb {
		t := float32((float64(py) - top) / h)
		return coat.scale(1.1 - 0.3*t)
	})
}

func (s *scene) drawShrub(y float64) {
	rng := s.rng
	R := s.size(y, 0.08)
	x := rng.Float64() * float64(s.w)
	m := s.mask()
	for range 4 + rng.IntN(5) {
		m.ellipse(x+(rng.Float64()-0.5)*R*1.6, y-R*(0.3+0.8*rng.Float64()), R*(0.3+0.4*rng.Float64()), R*(0.25+0.3*rng.Float64()), rng.Float64())
	}
	leaf := s.jitter(rgb{0.20, 0.30, 0.12}, 0.05)
	if s.biome.name == "snow" || s.biome.name == "steppe" {
		leaf = s.jitter(rgb{0.35, 0.33, 0.22}, 0.04)
	}
	tex := newNoise(rng, s.w, s.h, 2)
	s.cover(m, func(px, py int) rgb {
		return leaf.scale(0.6 + 0.8*tex.at(float32(px), float32(py)))
	})
}
