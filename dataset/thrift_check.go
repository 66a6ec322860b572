package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Thrift compact protocol types.
const (
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

const maxThriftDepth = 32

var errThrift = errors.New("malformed thrift")

// checkThriftStruct walks one Thrift compact-protocol struct at the start
// of b without decoding it, and returns its length. It refuses lists, sets,
// maps and strings that declare more elements or bytes than the data could
// hold: the Parquet decoder allocates what they declare before reading
// them, so a few hostile bytes could ask for gigabytes.
func checkThriftStruct(b []byte) (int, error) {
	return skipStruct(b, 0, 0)
}

func uvarint(b []byte, pos int) (uint64, int, error) {
	if pos >= len(b) {
		return 0, 0, fmt.Errorf("%w: truncated", errThrift)
	}
	v, n := binary.Uvarint(b[pos:])
	if n <= 0 {
		return 0, 0, fmt.Errorf("%w: bad varint at %d", errThrift, pos)
	}
	return v, pos + n, nil
}

func skipStruct(b []byte, pos, depth int) (int, error) {
	if depth > maxThriftDepth {
		return 0, fmt.Errorf("%w: nested too deeply", errThrift)
	}
	for {
		if pos >= len(b) {
			return 0, fmt.Errorf("%w: truncated struct", errThrift)
		}
		h := b[pos]
		pos++
		if h == 0 {
			return pos, nil
		}
		typ := h & 0x0F
		if h>>4 == 0 { // long-form field id
			var err error
			if _, pos, err = uvarint(b, pos); err != nil {
				return 0, err
			}
		}
		if typ == ctTrue || typ == ctFalse {
			continue // the value is in the header
		}
		var err error
		if pos, err = skipValue(b, pos, typ, depth+1); err != nil {
			return 0, err
		}
	}
}

func skipValue(b []byte, pos int, typ byte, depth int) (int, error) {
	if depth > maxThriftDepth {
		return 0, fmt.Errorf("%w: nested too deeply", errThrift)
	}
	remaining := func(p int) uint64 { return uint64(max(0, len(b)-p)) }
	switch typ {
	case ctTrue, ctFalse, ctByte:
		if pos+1 > len(b) {
			return 0, fmt.Errorf("%w: truncated", errThrift)
		}
		return pos + 1, nil
	case ctI16, ctI32, ctI64:
		_, p, err := uvarint(b, pos)
		return p, err
	case ctDouble:
		if pos+8 > len(b) {
			return 0, fmt.Errorf("%w: truncated", errThrift)
		}
		return pos + 8, nil
	case ctBinary:
		n, p, err := uvarint(b, pos)
		if err != nil {
			return 0, err
		}
		if n > remaining(p) {
			return 0, fmt.Errorf("%w: %d-byte string in %d bytes", errThrift, n, remaining(p))
		}
		return p + int(n), nil
	case ctList, ctSet:
		if pos >= len(b) {
			return 0, fmt.Errorf("%w: truncated list", errThrift)
		}
		h := b[pos]
		pos++
		n, elem := uint64(h>>4), h&0x0F
		if n == 0x0F {
			var err error
			if n, pos, err = uvarint(b, pos); err != nil {
				return 0, err
			}
		}
		if n > remaining(pos) {
			return 0, fmt.Errorf("%w: %d-element list in %d bytes", errThrift, n, remaining(pos))
		}
		for range n {
			var err error
			if pos, err = skipValue(b, pos, elem, depth+1); err != nil {
				return 0, err
			}
		}
		return pos, nil
	case ctMap:
		n, p, err := uvarint(b, pos)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return p, nil
		}
		if 2*n > remaining(p) || p >= len(b) {
			return 0, fmt.Errorf("%w: %d-entry map in %d bytes", errThrift, n, remaining(p))
		}
		kv := b[p]
		p++
		for range n {
			if p, err = skipValue(b, p, kv>>4, depth+1); err != nil {
				return 0, err
			}
			if p, err = skipValue(b, p, kv&0x0F, depth+1); err != nil {
				return 0, err
			}
		}
		return p, nil
	case ctStruct:
		return skipStruct(b, pos, depth)
	}
	return 0, fmt.Errorf("%w: unknown type %d", errThrift, typ)
}
