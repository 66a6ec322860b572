package imagemeta

import "encoding/binary"

var pngSig = []byte("\x89PNG\r\n\x1a\n")

// dropPNGChunk reports whether a chunk type carries metadata.
func dropPNGChunk(typ string) bool {
	switch typ {
	case "eXIf", "tEXt", "zTXt", "iTXt":
		return true
	}
	return false
}

// stripPNG copies the chunks up to IEND, dropping metadata chunks.
func stripPNG(data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data))
	out = append(out, pngSig...)
	i := len(pngSig)
	first := true
	for {
		if i+12 > len(data) {
			return nil, malformed("png", "truncated chunk at offset %d", i)
		}
		n := binary.BigEndian.Uint32(data[i:])
		if n > 0x7FFFFFFF || uint64(i)+12+uint64(n) > uint64(len(data)) {
			return nil, malformed("png", "chunk length %d overruns data", n)
		}
		typ := string(data[i+4 : i+8])
		for _, c := range typ {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return nil, malformed("png", "bad chunk type %q", typ)
			}
		}
		if first && typ != "IHDR" {
			return nil, malformed("png", "first chunk is %q, not IHDR", typ)
		}
		first = false
		end := i + 12 + int(n)
		if !dropPNGChunk(typ) {
			out = append(out, data[i:end]...)
		}
		i = end
		if typ == "IEND" {
			return out, nil
		}
	}
}
