package nn

import "fmt"

// window holds the sliding-window attributes shared by Conv and the pools.
type window struct {
	kernel    []int // kernel_shape, nil when taken from the weights
	strides   []int
	dilations []int
	pads      []int // begin..., end...
	autoPad   string
	ceil      bool
}

func parseWindow(b *buildCtx, pool bool) (window, error) {
	w := window{autoPad: b.a.str("auto_pad", "NOTSET")}
	w.kernel, _ = b.a.ints("kernel_shape")
	w.strides, _ = b.a.ints("strides")
	w.dilations, _ = b.a.ints("dilations")
	w.pads, _ = b.a.ints("pads")
	if pool {
		w.ceil = b.a.int("ceil_mode", 0) != 0
		if w.kernel == nil {
			return w, fmt.Errorf("kernel_shape is required")
		}
	}
	switch w.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return w, unsupported("auto_pad %q", w.autoPad)
	}
	nd := len(w.kernel)
	check := func(name string, v []int, n int, minv int) error {
		if v == nil || nd == 0 {
			return nil
		}
		if len(v) != n {
			return fmt.Errorf("%s has %d values, want %d", name, len(v), n)
		}
		for _, x := range v {
			if x < minv {
				return fmt.Errorf("%s %v: values must be >= %d", name, v, minv)
			}
		}
		return nil
	}
	if err := check("kernel_shape", w.kernel, nd, 1); err != nil {
		return w, err
	}
	if err := check("strides", w.strides, nd, 1); err != nil {
		return w, err
	}
	if err := check("dilations", w.dilations, nd, 1); err != nil {
		return w, err
	}
	if err := check("pads", w.pads, 2*nd, 0); err != nil {
		return w, err
	}
	if nd > 3 {
		return w, unsupported("%d spatial dimensions", nd)
	}
	return w, nil
}

// geom is the resolved geometry of one window op, spatial dims padded to 3
// (leading dims of size 1).
type geom struct {
	in, k, out, s, d, pb [3]int
}

// resolve computes output sizes and begin pads for spatial input dims in
// (1 to 3 of them) and kernel dims k.
func (w *window) resolve(in, k []int) (geom, error) {
	nd := len(in)
	var g geom
	if nd < 1 || nd > 3 || len(k) != nd {
		return g, fmt.Errorf("unsupported spatial rank %d", nd)
	}
	off := 3 - nd
	for q := 0; q < 3; q++ {
		g.in[q], g.k[q], g.out[q], g.s[q], g.d[q] = 1, 1, 1, 1, 1
	}
	for q := 0; q < nd; q++ {
		j := off + q
		g.in[j], g.k[j] = in[q], k[q]
		if w.strides != nil {
			g.s[j] = w.strides[q]
		}
		if w.dilations != nil {
			g.d[j] = w.dilations[q]
		}
		if g.k[j] < 1 {
			return g, fmt.Errorf("kernel dimension %d", g.k[j])
		}
		dk := (g.k[j]-1)*g.d[j] + 1
		var pb, pe int
		switch w.autoPad {
		case "VALID":
		case "SAME_UPPER", "SAME_LOWER":
			o := (g.in[j] + g.s[j] - 1) / g.s[j]
			total := max(0, (o-1)*g.s[j]+dk-g.in[j])
			pb = total / 2
			if w.autoPad == "SAME_LOWER" {
				pb = total - total/2
			}
			pe = total - pb
		default:
			if w.pads != nil {
				pb, pe = w.pads[q], w.pads[nd+q]
			}
		}
		span := g.in[j] + pb + pe - dk
		if span < 0 {
			return g, fmt.Errorf("kernel %v larger than padded input %v", k, in)
		}
		o := span/g.s[j] + 1
		if w.ceil && span%g.s[j] != 0 {
			o++
			if (o-1)*g.s[j] >= g.in[j]+pb {
				o--
			}
		}
		g.out[j], g.pb[j] = o, pb
	}
	return g, nil
}
