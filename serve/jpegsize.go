package serve

import "encoding/binary"

// jpegSize reads a JPEG's width and height from its frame header (SOF0,
// SOF1 or SOF2, the frames image/jpeg decodes) without image/jpeg's
// decoder, whose state costs a 25 KB allocation per call: for a model that
// reads only the bytes, that allocation was the largest cost of a request.
// It checks the frame header as image/jpeg does (8-bit precision; 1, 3 or 4
// distinct components with valid sampling factors and table numbers) and
// reports ok=false for anything else: no SOI, a truncated or unknown
// segment, another frame type. The caller then falls back to
// image.DecodeConfig. A model that reads labelfree.Image still gets the
// image fully decoded by image/jpeg, which checks the rest.
func jpegSize(b []byte) (w, h int, ok bool) {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return 0, 0, false
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			return 0, 0, false
		}
		m := b[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:])) // includes its own 2 bytes
		if n < 2 || i+2+n > len(b) {
			return 0, 0, false
		}
		seg := b[i+4 : i+2+n]
		switch {
		case m >= 0xc0 && m <= 0xc2: // SOF0, SOF1, SOF2
			return frameSize(seg)
		case m == 0xc4, m == 0xdb, m == 0xdd, m == 0xfe, m >= 0xe0 && m <= 0xef:
			// DHT, DQT, DRI, COM, APPn: skipped by a config-only read.
		default:
			return 0, 0, false
		}
		i += 2 + n
	}
	return 0, 0, false
}

func frameSize(seg []byte) (w, h int, ok bool) {
	if len(seg) < 6 || seg[0] != 8 {
		return 0, 0, false
	}
	h, w = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
	nc := int(seg[5])
	if (nc != 1 && nc != 3 && nc != 4) || len(seg) != 6+3*nc || w == 0 || h == 0 {
		return 0, 0, false
	}
	for i := range nc {
		c := seg[6+3*i:]
		for j := range i {
			if seg[6+3*j] == c[0] {
				return 0, 0, false
			}
		}
		hs, vs := int(c[1]>>4), int(c[1]&0x0f)
		if hs < 1 || hs > 4 || vs < 1 || vs > 4 || hs == 3 || vs == 3 || c[2] > 3 {
			return 0, 0, false
		}
	}
	return w, h, true
}
