package superpixel

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Synthetic scenes with known regions for the quality tests: 10–19 Voronoi
// "terrain" regions of constant, muted colour, 4–6 elliptical "animals"
// on top (one near black, one near white), and per-channel noise. Everything is integer arithmetic on a
// splitmix64 stream, so a scene is the same on every platform; the
// reference file records each scene's hash to prove it.

type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0, n).
func (s *splitmix) intn(n int) int { return int(s.next() % uint64(n)) }

type scene struct {
	name  string
	img   *image.RGBA
	truth []int32
}

func makeScene(seed uint64, w, h int) scene {
	rng := splitmix(seed)
	nv := 10 + rng.intn(10)
	type pt struct{ x, y int }
	seeds := make([]pt, nv)
	for i := range seeds {
		seeds[i] = pt{rng.intn(w), rng.intn(h)}
	}
	type ell struct{ cx, cy, a, b int }
	ne := 4 + rng.intn(3)
	ells := make([]ell, ne)
	for i := range ells {
		ells[i] = ell{rng.intn(w), rng.intn(h), 12 + rng.intn(max(1, w/5)), 10 + rng.intn(max(1, h/5))}
	}
	// Muted, camera-trap-like colours: every region is a scene-wide earthy
	// base colour plus a random offset, so many edges have low contrast.
	base := [3]int{80 + rng.intn(81), 70 + rng.intn(81), 50 + rng.intn(71)}
	cols := make([][3]int, nv+ne)
	for i := range cols {
		for c := range 3 {
			cols[i][c] = base[c] + rng.intn(91) - 45
		}
	}
	// The last two "animals" are a deep shadow and a snow patch, so every
	// scene spans 0–255 and scikit-image's rescaling to [0, 1] leaves it
	// as it is.
	cols[nv+ne-2] = [3]int{8, 8, 10}
	cols[nv+ne-1] = [3]int{245, 246, 248}
	truth := make([]int32, w*h)
	for y := range h {
		for x := range w {
			best, bd := 0, -1
			for i, s := range seeds {
				d := (x-s.x)*(x-s.x) + (y-s.y)*(y-s.y)
				if bd < 0 || d < bd {
					best, bd = i, d
				}
			}
			for i, e := range ells {
				dx, dy := int64(x-e.cx), int64(y-e.cy)
				a2, b2 := int64(e.a*e.a), int64(e.b*e.b)
				if dx*dx*b2+dy*dy*a2 <= a2*b2 {
					best = nv + i
				}
			}
			truth[y*w+x] = int32(best)
		}
	}
	// Noise: the sum of three uniform integers in [-u, u]; σ ≈ 10.5 for
	// odd seeds (a night shot), 4.5 for even ones.
	u := 4
	if seed%2 == 1 {
		u = 10
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, k := range truth {
		for c := range 3 {
			v := cols[k][c] + rng.intn(2*u+1) + rng.intn(2*u+1) + rng.intn(2*u+1) - 3*u
			img.Pix[4*i+c] = uint8(min(255, max(0, v)))
		}
		img.Pix[4*i+3] = 255
	}
	// Relabel the truth by connected region, so that a Voronoi cell cut
	// in two by an ellipse counts as two regions.
	seg := (&ccState{}).finish(truth, w, h, true, 0, nil, newCrew(1))
	return scene{name: fmt.Sprintf("scene%d_%dx%d", seed, w, h), img: img, truth: seg.Labels}
}

// qualityScenes is the fixed scene set of the quality tests.
func qualityScenes() []scene {
	var out []scene
	for seed := uint64(1); seed <= 8; seed++ {
		w, h := 320, 240
		if seed > 6 {
			w, h = 480, 320
		}
		out = append(out, makeScene(seed, w, h))
	}
	return out
}

// hash identifies a scene's pixels and truth.
func (s scene) hash() string {
	h := sha256.New()
	for i := 0; i < len(s.img.Pix); i += 4 {
		h.Write(s.img.Pix[i : i+3])
	}
	for _, v := range s.truth {
		h.Write([]byte{byte(v), byte(v >> 8)})
	}
	return hex.EncodeToString(h.Sum(nil))
}

var scenesOut = flag.String("scenes.out", "", "write the quality scenes as PNG into this directory (for testdata/gen_skimage_ref.sh)")

// TestWriteScenes writes the scenes for the scikit-image reference script.
func TestWriteScenes(t *testing.T) {
	if *scenesOut == "" {
		t.Skip("set -scenes.out to write the scenes")
	}
	for _, s := range qualityScenes() {
		w, h := s.img.Rect.Dx(), s.img.Rect.Dy()
		gt := image.NewGray16(image.Rect(0, 0, w, h))
		for i, v := range s.truth {
			gt.SetGray16(i%w, i/w, color.Gray16{Y: uint16(v)})
		}
		for name, m := range map[string]image.Image{s.name + ".png": s.img, s.name + "_truth.png": gt} {
			f, err := os.Create(filepath.Join(*scenesOut, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, m); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
