package lfbeam

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths for WriteRows and ReadRows
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/labelfree/labelfree"
)

func init() {
	register.DoFn2x1[context.Context, []byte, error](&writeRowsFn{})
	register.Emitter1[[]byte]()
}

// Position records a row's place in the dataset it came from. Create and
// ReadDataset set it, ReadRows orders rows by it and removes it, so a
// dataset comes back from a cluster in the order it went in although Beam
// keeps no order.
var Position = labelfree.NewColumn[int]("lfbeam.position", "row's index in the input dataset (set by lfbeam.Create and lfbeam.ReadDataset)")

// Encode turns rows into a PCollection's elements: each row through
// Row.MarshalBinary, with its index in rows recorded in Position.
func Encode(rows []*labelfree.Row) ([][]byte, error) {
	out := make([][]byte, len(rows))
	for i, r := range rows {
		c := r.Clone()
		labelfree.Set(c, Position, i)
		b, err := c.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("lfbeam: %w", err)
		}
		out[i] = b
	}
	return out, nil
}

// Create makes a PCollection of ds's rows, encoded as Row.MarshalBinary
// ([]byte elements) with Position set. The rows travel inside the pipeline
// description, so Create suits small datasets and tests; read large ones
// with ReadDataset.
func Create(s beam.Scope, ds *labelfree.Dataset) (beam.PCollection, error) {
	if ds == nil {
		return beam.PCollection{}, errors.New("lfbeam: create: nil dataset")
	}
	enc, err := Encode(ds.Rows)
	if err != nil {
		return beam.PCollection{}, err
	}
	s = s.Scope("lfbeam.Create")
	if len(enc) == 0 {
		return beam.CreateList(s, [][]byte{}), nil
	}
	return beam.CreateList(s, enc), nil
}

// Rows files: WriteRows writes one file per bundle holding
//
//	"LFROWS1\n" then, per row, a uvarint length and Row.MarshalBinary bytes.
const rowsMagic = "LFROWS1\n"

// RowsSuffix ends the name of every file WriteRows writes.
const RowsSuffix = ".lfrows"

// maxRowBytes bounds one encoded row read back (1 GiB), so a damaged file
// cannot make ReadRows allocate without end.
const maxRowBytes = 1 << 30

// WriteRows writes the encoded rows of col to files named
// prefix-<random>.lfrows, one per bundle, through Beam's filesystem
// package: a local or shared path, or gs://, s3:// and the others Beam
// offers once their package is imported (for example
// _ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs").
// Read them back with ReadRows after the pipeline has run. Failed rows are
// written like the others, with their error.
func WriteRows(s beam.Scope, prefix string, col beam.PCollection) error {
	if prefix == "" || hostileName(prefix) {
		return fmt.Errorf("lfbeam: write rows: prefix %q is empty or holds glob characters (*?[)", prefix)
	}
	s = s.Scope("lfbeam.WriteRows")
	beam.ParDo0(s, &writeRowsFn{Prefix: prefix}, col)
	return nil
}

type writeRowsFn struct {
	// Prefix is where files go: prefix-<random>.lfrows.
	Prefix string

	fs   filesystem.Interface
	name string
	tmp  string
	w    io.WriteCloser
	bw   *bufio.Writer
}

func (f *writeRowsFn) StartBundle(context.Context) error {
	f.w, f.bw = nil, nil
	return nil
}

func (f *writeRowsFn) open(ctx context.Context) error {
	if f.fs == nil {
		fs, err := filesystem.New(ctx, f.Prefix)
		if err != nil {
			return fmt.Errorf("lfbeam: write rows: %w", err)
		}
		f.fs = fs
	}
	var id [8]byte
	rand.Read(id[:])
	f.name = f.Prefix + "-" + hex.EncodeToString(id[:]) + RowsSuffix
	f.tmp = f.name
	if _, ok := f.fs.(filesystem.Renamer); ok {
		f.tmp = f.Prefix + "-" + hex.EncodeToString(id[:]) + ".tmp"
	}
	w, err := f.fs.OpenWrite(ctx, f.tmp)
	if err != nil {
		return fmt.Errorf("lfbeam: write rows: %w", err)
	}
	f.w, f.bw = w, bufio.NewWriter(w)
	_, err = f.bw.WriteString(rowsMagic)
	return err
}

func (f *writeRowsFn) ProcessElement(ctx context.Context, row []byte) error {
	if f.w == nil {
		if err := f.open(ctx); err != nil {
			return err
		}
	}
	var n [binary.MaxVarintLen64]byte
	if _, err := f.bw.Write(n[:binary.PutUvarint(n[:], uint64(len(row)))]); err != nil {
		return fmt.Errorf("lfbeam: write rows: %w", err)
	}
	if _, err := f.bw.Write(row); err != nil {
		return fmt.Errorf("lfbeam: write rows: %w", err)
	}
	return nil
}

func (f *writeRowsFn) FinishBundle(ctx context.Context) error {
	if f.w == nil {
		return nil
	}
	w, bw := f.w, f.bw
	f.w, f.bw = nil, nil
	if err := bw.Flush(); err != nil {
		w.Close()
		return fmt.Errorf("lfbeam: write rows: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("lfbeam: write rows: %w", err)
	}
	if f.tmp != f.name {
		if err := f.fs.(filesystem.Renamer).Rename(ctx, f.tmp, f.name); err != nil {
			return fmt.Errorf("lfbeam: write rows: %w", err)
		}
	}
	return nil
}

func (f *writeRowsFn) Teardown() error {
	if f.fs != nil {
		return f.fs.Close()
	}
	return nil
}

// ReadRows reads the rows WriteRows wrote under prefix back into a
// dataset, outside any pipeline. Rows with a Position come first, in
// Position order, with the column removed; rows without one follow in ID
// order. A row written twice (a bundle Beam retried after its file was
// complete) is kept once. The dataset's Classes are left for the caller.
func ReadRows(ctx context.Context, prefix string) (*labelfree.Dataset, error) {
	fs, err := filesystem.New(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("lfbeam: read rows: %w", err)
	}
	defer fs.Close()
	files, err := fs.List(ctx, prefix+"-*"+RowsSuffix)
	if err != nil {
		return nil, fmt.Errorf("lfbeam: read rows: %w", err)
	}
	sort.Strings(files)
	ds := &labelfree.Dataset{}
	seen := map[string]bool{}
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rc, err := fs.OpenRead(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("lfbeam: read rows: %w", err)
		}
		rows, err := decodeRowsFile(bufio.NewReader(rc))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("lfbeam: read rows %s: %w", name, err)
		}
		for _, r := range rows {
			if !seen[r.ID] {
				seen[r.ID] = true
				ds.Rows = append(ds.Rows, r)
			}
		}
	}
	sortByPosition(ds.Rows)
	for _, r := range ds.Rows {
		labelfree.Delete(r, Position)
	}
	return ds, nil
}

func decodeRowsFile(rd *bufio.Reader) ([]*labelfree.Row, error) {
	magic := make([]byte, len(rowsMagic))
	if _, err := io.ReadFull(rd, magic); err != nil || string(magic) != rowsMagic {
		return nil, errors.New("not an lfbeam rows file")
	}
	var rows []*labelfree.Row
	for {
		n, err := binary.ReadUvarint(rd)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", len(rows), err)
		}
		if n > maxRowBytes {
			return nil, fmt.Errorf("row %d: length %d exceeds %d", len(rows), n, maxRowBytes)
		}
		// Copy rather than allocate n bytes up front: a damaged length
		// must not cost a gigabyte.
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, rd, int64(n)); err != nil {
			return nil, fmt.Errorf("row %d: truncated: %w", len(rows), err)
		}
		r := &labelfree.Row{}
		if err := r.UnmarshalBinary(buf.Bytes()); err != nil {
			return nil, fmt.Errorf("row %d: %w", len(rows), err)
		}
		rows = append(rows, r)
	}
}

// Decode decodes one element of a rows PCollection.
func Decode(b []byte) (*labelfree.Row, error) {
	r := &labelfree.Row{}
	if err := r.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("lfbeam: %w", err)
	}
	return r, nil
}

// hostileName reports whether a prefix has characters a glob would read
// as patterns.
func hostileName(p string) bool { return strings.ContainsAny(p, "*?[") }

// sortByPosition orders rows by Position; rows without one follow in ID
// order.
func sortByPosition(rows []*labelfree.Row) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, aok := labelfree.Get(rows[i], Position)
		b, bok := labelfree.Get(rows[j], Position)
		if aok != bok {
			return aok
		}
		if aok {
			return a < b
		}
		return rows[i].ID < rows[j].ID
	})
}
