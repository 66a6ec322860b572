package imagemeta

import "bytes"

// JPEG markers.
const (
	mSOI   = 0xD8
	mEOI   = 0xD9
	mSOS   = 0xDA
	mAPP1  = 0xE1
	mAPP2  = 0xE2
	mAPP12 = 0xEC
	mAPP13 = 0xED
	mCOM   = 0xFE
)

// dropJPEGSegment reports whether a marker segment carries metadata.
func dropJPEGSegment(marker byte, payload []byte) bool {
	switch marker {
	case mAPP1, mAPP12, mAPP13, mCOM:
		return true
	case mAPP2:
		// ICC profiles stay (they define colour); the multi-picture index
		// points at appended images, which Strip drops.
		return bytes.HasPrefix(payload, []byte("MPF\x00"))
	}
	return false
}

// stripJPEG walks the marker segments and the entropy-coded scans up to
// EOI, copying all but the metadata segments.
func stripJPEG(data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data))
	out = append(out, 0xFF, mSOI)
	i := 2
	for {
		// Markers may be preceded by any number of 0xFF fill bytes.
		if i >= len(data) || data[i] != 0xFF {
			return nil, malformed("jpeg", "expected marker at offset %d", i)
		}
		for i < len(data) && data[i] == 0xFF {
			i++
		}
		if i >= len(data) {
			return nil, malformed("jpeg", "truncated marker")
		}
		marker := data[i]
		i++
		switch {
		case marker == mEOI:
			return append(out, 0xFF, mEOI), nil
		case marker == mSOI || marker == 0x00:
			return nil, malformed("jpeg", "unexpected marker 0x%02X at offset %d", marker, i-1)
		case marker >= 0xD0 && marker <= 0xD7, marker == 0x01:
			// Standalone markers outside a scan carry no length.
			out = append(out, 0xFF, marker)
			continue
		}
		if i+2 > len(data) {
			return nil, malformed("jpeg", "truncated segment length")
		}
		n := int(data[i])<<8 | int(data[i+1])
		if n < 2 || i+n > len(data) {
			return nil, malformed("jpeg", "segment 0x%02X length %d overruns data", marker, n)
		}
		payload := data[i+2 : i+n]
		if !dropJPEGSegment(marker, payload) {
			out = append(out, 0xFF, marker)
			out = append(out, data[i:i+n]...)
		}
		i += n
		if marker != mSOS {
			continue
		}
		// Entropy-coded data runs to the next marker other than a stuffed
		// zero or a restart marker.
		start := i
		for {
			j := bytes.IndexByte(data[i:], 0xFF)
			if j < 0 {
				return nil, malformed("jpeg", "scan without end marker")
			}
			i += j
			if i+1 >= len(data) {
				return nil, malformed("jpeg", "truncated scan")
			}
			switch next := data[i+1]; {
			case next == 0x00 || next >= 0xD0 && next <= 0xD7:
				i += 2 // stuffed zero or restart marker
				continue
			case next == 0xFF:
				i++ // fill byte
				continue
			}
			break
		}
		out = append(out, data[start:i]...)
	}
}
