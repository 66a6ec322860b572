package lfbeam

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.DoFn2x1[[]byte, func([]byte), error](&selectDoFn{})
}

// Select keeps only the named columns of each row (the ID and any error
// always stay), so that a step that gathers rows on one worker, such as
// Fit, moves embeddings and labels rather than images. Columns are
// filtered in their encoded form, without decoding their values.
func Select(s beam.Scope, rows beam.PCollection, columns ...string) beam.PCollection {
	s = s.Scope("lfbeam.Select")
	return beam.ParDo(s, &selectDoFn{Columns: columns}, rows)
}

type selectSpec struct{ keep map[string]bool }

type selectDoFn struct {
	// Columns names the columns kept.
	Columns []string
	spec    *selectSpec
}

func (f *selectDoFn) ProcessElement(row []byte, emit func([]byte)) error {
	if f.spec == nil {
		f.spec = &selectSpec{keep: map[string]bool{}}
		for _, c := range f.Columns {
			f.spec.keep[c] = true
		}
		f.spec.keep[Position.Name()] = true
	}
	return selectFn(f.spec, row, emit)
}

// selectFn rewrites an encoded row (the layout of labelfree's
// Row.MarshalBinary: "LFR1", ID, error flag [stage, message], column
// count, then name and value bytes per column) keeping the columns in
// spec.
func selectFn(spec *selectSpec, row []byte, emit func([]byte)) error {
	out, err := selectColumns(row, spec.keep)
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

func selectColumns(row []byte, keep map[string]bool) ([]byte, error) {
	const magic = "LFR1"
	if !bytes.HasPrefix(row, []byte(magic)) {
		return nil, errors.New("lfbeam: select: not a labelfree row (or a newer encoding)")
	}
	rd := bytes.NewReader(row[len(magic):])
	skipBytes := func() ([]byte, error) {
		start := len(row) - rd.Len()
		n, err := binary.ReadUvarint(rd)
		if err != nil {
			return nil, err
		}
		if n > uint64(rd.Len()) {
			return nil, io.ErrUnexpectedEOF
		}
		rd.Seek(int64(n), io.SeekCurrent)
		return row[start : len(row)-rd.Len()], nil
	}
	bad := func(err error) ([]byte, error) { return nil, fmt.Errorf("lfbeam: select: damaged row: %w", err) }
	if _, err := skipBytes(); err != nil { // ID
		return bad(err)
	}
	flag, err := rd.ReadByte()
	if err != nil {
		return bad(err)
	}
	if flag == 1 {
		for range 2 { // stage, message
			if _, err := skipBytes(); err != nil {
				return bad(err)
			}
		}
	}
	headEnd := len(row) - rd.Len()
	n, err := binary.ReadUvarint(rd)
	if err != nil || n > uint64(rd.Len()) {
		return bad(errors.New("bad column count"))
	}
	var kept [][]byte
	for i := uint64(0); i < n; i++ {
		start := len(row) - rd.Len()
		nameField, err := skipBytes()
		if err != nil {
			return bad(err)
		}
		if _, err := skipBytes(); err != nil {
			return bad(err)
		}
		_, k := binary.Uvarint(nameField)
		if keep[string(nameField[k:])] {
			kept = append(kept, row[start:len(row)-rd.Len()])
		}
	}
	out := make([]byte, 0, len(row))
	out = append(out, row[:headEnd]...)
	out = binary.AppendUvarint(out, uint64(len(kept)))
	for _, c := range kept {
		out = append(out, c...)
	}
	return out, nil
}
