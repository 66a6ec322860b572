package imagemeta

import "encoding/binary"

// VP8X feature flags.
const (
	vp8xEXIF = 0x08
	vp8xXMP  = 0x04
)

// stripWebP copies the RIFF chunks, dropping EXIF and XMP, and clears the
// matching VP8X flags.
func stripWebP(data []byte) ([]byte, error) {
	size := binary.LittleEndian.Uint32(data[4:8])
	if uint64(size)+8 > uint64(len(data)) || size < 4 {
		return nil, malformed("webp", "RIFF size %d overruns data", size)
	}
	body := data[12 : 8+int(size)]
	out := make([]byte, 12, len(data))
	copy(out, data[:12])
	for i := 0; i < len(body); {
		if i+8 > len(body) {
			return nil, malformed("webp", "truncated chunk header")
		}
		fourcc := string(body[i : i+4])
		n := binary.LittleEndian.Uint32(body[i+4:])
		padded := uint64(n) + uint64(n&1)
		if uint64(i)+8+uint64(n) > uint64(len(body)) {
			return nil, malformed("webp", "chunk %q length %d overruns data", fourcc, n)
		}
		end := i + 8 + int(min(padded, uint64(len(body)-i-8)))
		switch fourcc {
		case "EXIF", "XMP ":
		case "VP8X":
			start := len(out)
			out = append(out, body[i:end]...)
			if n >= 1 {
				out[start+8] &^= vp8xEXIF | vp8xXMP
			}
		default:
			out = append(out, body[i:end]...)
		}
		i = end
	}
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out, nil
}
