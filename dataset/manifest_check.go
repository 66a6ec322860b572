package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Limits checkManifest puts on a manifest before decoding it. A manifest
// row is about 1 KB, so these are far above any real manifest.
const (
	maxManifestRows = 1 << 26
	maxPageBytes    = 64 << 20
	maxChunkBytes   = 1 << 30
	// maxPageRatio bounds a page's uncompressed size by its compressed
	// size (Snappy, the codec Write uses, expands at most about 21×).
	maxPageRatio  = 1024
	maxPageValues = 1 << 24
)

var errCorrupt = errors.New("corrupt manifest")

// checkManifest walks the page headers of every column chunk of a Parquet
// file and refuses sizes that would make the decoder allocate without
// bound. The Parquet decoder trusts the sizes a page header declares, so
// a damaged or hostile manifest could otherwise exhaust memory, which no
// recover can catch.
func checkManifest(r io.ReaderAt, size int64, pf *parquet.File) error {
	md := pf.Metadata()
	if md.NumRows < 0 || md.NumRows > maxManifestRows {
		return fmt.Errorf("%w: %d rows", errCorrupt, md.NumRows)
	}
	var compact thrift.CompactProtocol
	buf := make([]byte, 1<<20)
	for i, rg := range md.RowGroups {
		for j, cc := range rg.Columns {
			m := cc.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			end := start + m.TotalCompressedSize
			if m.Codec != format.Uncompressed && m.Codec != format.Snappy {
				// Only codecs whose decoders are bounded by the checks
				// below: parquet-go's LZ4 decoder, for one, grows its
				// buffer without limit on corrupt input.
				return fmt.Errorf("%w: column %d uses codec %s; manifests must be uncompressed or Snappy", errCorrupt, j, m.Codec)
			}
			if start < 4 || m.TotalCompressedSize <= 0 || end > size || end < start ||
				m.TotalUncompressedSize < 0 || m.TotalUncompressedSize > maxChunkBytes {
				return fmt.Errorf("%w: row group %d column %d has a bad extent", errCorrupt, i, j)
			}
			for off := start; off < end; {
				n, err := r.ReadAt(buf[:min(int64(len(buf)), end-off)], off)
				if n == 0 && err != nil {
					return fmt.Errorf("%w: %v", errCorrupt, err)
				}
				if _, err := checkThriftStruct(buf[:n]); err != nil {
					return fmt.Errorf("%w: page header at %d: %w", errCorrupt, off, err)
				}
				rd := compact.NewReaderFromBytes(buf[:n])
				var h format.PageHeader
				if err := thrift.NewDecoder(rd).Decode(&h); err != nil {
					return fmt.Errorf("%w: page header at %d: %w", errCorrupt, off, err)
				}
				switch {
				case h.CompressedPageSize < 0 || h.UncompressedPageSize < 0,
					h.UncompressedPageSize > maxPageBytes,
					int64(h.UncompressedPageSize) > maxPageRatio*int64(h.CompressedPageSize)+(1<<20):
					return fmt.Errorf("%w: page at %d declares %d bytes from %d", errCorrupt, off, h.UncompressedPageSize, h.CompressedPageSize)
				}
				if v := pageValues(&h); v < 0 || v > maxPageValues {
					return fmt.Errorf("%w: page at %d declares %d values", errCorrupt, off, v)
				}
				hdr := int64(rd.BytesRead())
				if m.Codec == format.Snappy {
					if err := checkSnappy(r, off+hdr, &h); err != nil {
						return fmt.Errorf("%w: page at %d: %v", errCorrupt, off, err)
					}
				}
				off += hdr + int64(h.CompressedPageSize)
				if off > end {
					return fmt.Errorf("%w: page overruns its column chunk", errCorrupt)
				}
			}
		}
	}
	return nil
}

// checkFooter validates the file's footer (the Thrift-encoded file
// metadata before the trailing length and magic number) before the Parquet
// decoder allocates what it declares.
func checkFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("%w: %d bytes is too short for Parquet", errCorrupt, size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if string(tail[4:]) != "PAR1" {
		return fmt.Errorf("%w: no Parquet magic number at the end", errCorrupt)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n <= 0 || n > size-12 || n > maxChunkBytes {
		return fmt.Errorf("%w: footer length %d in a %d-byte file", errCorrupt, n, size)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if _, err := checkThriftStruct(footer); err != nil {
		return fmt.Errorf("%w: footer: %w", errCorrupt, err)
	}
	return nil
}

// checkSnappy reads the decoded length a Snappy block declares (a varint
// at its start) and refuses one larger than the page's uncompressed size:
// the Snappy decoder allocates whatever the block declares, up to 4 GiB.
func checkSnappy(r io.ReaderAt, data int64, h *format.PageHeader) error {
	skip, limit := int64(0), int64(h.UncompressedPageSize)
	if v, ok := h.DataPageHeaderV2.Get(); ok {
		if !v.IsCompressed.Valid || v.IsCompressed.V {
			skip = int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
			limit -= skip
		} else {
			return nil
		}
	}
	if skip > int64(h.CompressedPageSize) {
		return errors.New("level lengths exceed the page")
	}
	if skip == int64(h.CompressedPageSize) {
		return nil
	}
	var b [binary.MaxVarintLen64]byte
	n, _ := r.ReadAt(b[:min(int64(len(b)), int64(h.CompressedPageSize)-skip)], data+skip)
	dlen, k := binary.Uvarint(b[:n])
	if k <= 0 || dlen > uint64(max(limit, 0)) {
		return fmt.Errorf("snappy block declares %d bytes for a %d-byte page", dlen, limit)
	}
	return nil
}

func pageValues(h *format.PageHeader) int64 {
	if d, ok := h.DataPageHeader.Get(); ok {
		return int64(d.NumValues)
	}
	if v, ok := h.DataPageHeaderV2.Get(); ok {
		if v.NumNulls < 0 || v.NumRows < 0 || v.DefinitionLevelsByteLength < 0 || v.RepetitionLevelsByteLength < 0 {
			return -1
		}
		return int64(max(v.NumValues, v.NumRows))
	}
	if d, ok := h.DictionaryPageHeader.Get(); ok {
		return int64(d.NumValues)
	}
	return 0
}
