package imagemeta

// stripGIF copies a GIF's blocks up to the trailer, dropping comment
// extensions and application extensions other than animation looping.
func stripGIF(data []byte) ([]byte, error) {
	if len(data) < 13 {
		return nil, malformed("gif", "truncated header")
	}
	out := make([]byte, 0, len(data))
	i := 13
	if data[10]&0x80 != 0 {
		i += 3 << (int(data[10]&7) + 1)
	}
	if i > len(data) {
		return nil, malformed("gif", "truncated global colour table")
	}
	out = append(out, data[:i]...)
	// subBlocks returns the end offset of the sub-block chain starting at j.
	subBlocks := func(j int) (int, error) {
		for {
			if j >= len(data) {
				return 0, malformed("gif", "truncated data sub-blocks")
			}
			n := int(data[j])
			j++
			if n == 0 {
				return j, nil
			}
			j += n
		}
	}
	for {
		if i >= len(data) {
			return nil, malformed("gif", "missing trailer")
		}
		switch data[i] {
		case 0x3B: // trailer
			return append(out, 0x3B), nil
		case 0x21: // extension
			if i+2 > len(data) {
				return nil, malformed("gif", "truncated extension")
			}
			label := data[i+1]
			end, err := subBlocks(i + 2)
			if err != nil {
				return nil, err
			}
			keep := true
			switch label {
			case 0xFE: // comment
				keep = false
			case 0xFF: // application
				keep = false
				if i+3 < len(data) && data[i+2] == 11 && i+14 <= len(data) {
					id := string(data[i+3 : i+14])
					keep = id == "NETSCAPE2.0" || id == "ANIMEXTS1.0"
				}
			}
			if keep {
				out = append(out, data[i:end]...)
			}
			i = end
		case 0x2C: // image descriptor
			j := i + 10
			if j > len(data) {
				return nil, malformed("gif", "truncated image descriptor")
			}
			if data[i+9]&0x80 != 0 {
				j += 3 << (int(data[i+9]&7) + 1)
			}
			j++ // LZW minimum code size
			end, err := subBlocks(j)
			if err != nil {
				return nil, err
			}
			out = append(out, data[i:end]...)
			i = end
		default:
			return nil, malformed("gif", "unknown block 0x%02X at offset %d", data[i], i)
		}
	}
}
