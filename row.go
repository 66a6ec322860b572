package labelfree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
)

// A Row is one record of a Dataset: one image and everything the stages
// learn about it. Values live in typed columns (see Column); the row's ID
// gives it a stable identity across stages, processes and machines, and Err
// records why a stage could not process it.
//
// A failed row is never dropped: it stays in the dataset with its error,
// later stages skip it, and the executor counts it in the stage's report.
type Row struct {
	// ID identifies the row. It seeds per-row randomness (see Row.Seed) and
	// keys checkpoints, so it must be unique and stable within a dataset.
	ID string
	// Err is set when a stage failed on this row; nil otherwise.
	Err *RowError

	vals []cell
}

type cell struct {
	def *columnDef
	val any
}

// A RowError records which stage failed on a row and why.
type RowError struct {
	Stage string
	Err   error
}

func (e *RowError) Error() string { return e.Stage + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error { return e.Err }

// NewRow returns an empty row with the given ID.
func NewRow(id string) *Row { return &Row{ID: id} }

// Get returns the row's value in column c and whether it is set.
func Get[T any](r *Row, c Column[T]) (T, bool) {
	for _, cl := range r.vals {
		if cl.def.name == c.def.name {
			v, ok := cl.val.(T)
			return v, ok
		}
	}
	var zero T
	return zero, false
}

// MustGet is Get for values a stage has declared it reads: it returns an
// error naming the column when the value is missing, so callers can record
// it as the row's failure.
func MustGet[T any](r *Row, c Column[T]) (T, error) {
	v, ok := Get(r, c)
	if !ok {
		return v, fmt.Errorf("row %q has no value in column %q", r.ID, c.Name())
	}
	return v, nil
}

// Set stores v in column c, replacing any earlier value.
func Set[T any](r *Row, c Column[T], v T) {
	r.set(cell{def: c.def, val: v})
}

func (r *Row) set(c cell) {
	for i, cl := range r.vals {
		if cl.def.name == c.def.name {
			r.vals[i] = c
			return
		}
	}
	r.vals = append(r.vals, c)
}

// Delete removes column c's value from the row.
func Delete[T any](r *Row, c Column[T]) {
	for i, cl := range r.vals {
		if cl.def.name == c.def.name {
			r.vals = append(r.vals[:i], r.vals[i+1:]...)
			return
		}
	}
}

// Has reports whether the row has a value in the named column.
func (r *Row) Has(name string) bool {
	for _, cl := range r.vals {
		if cl.def.name == name {
			return true
		}
	}
	return false
}

// ColumnNames lists the columns set on the row, sorted.
func (r *Row) ColumnNames() []string {
	names := make([]string, len(r.vals))
	for i, cl := range r.vals {
		names[i] = cl.def.name
	}
	sort.Strings(names)
	return names
}

// Fail records err as the row's failure in the named stage.
func (r *Row) Fail(stage string, err error) {
	r.Err = &RowError{Stage: stage, Err: err}
}

// Clone returns a shallow copy of the row: the column list is copied, the
// values themselves are shared.
func (r *Row) Clone() *Row {
	c := &Row{ID: r.ID, Err: r.Err}
	c.vals = append([]cell(nil), r.vals...)
	return c
}

// Seed derives a deterministic random seed for this row from a stage's seed.
// It depends only on the row's ID and the stage seed, never on which worker
// or machine handles the row, so results repeat at any parallelism.
func (r *Row) Seed(stageSeed uint64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], stageSeed)
	h.Write(b[:])
	h.Write([]byte(r.ID))
	// splitmix64 finaliser spreads FNV's weak low bits.
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

const rowMagic = "LFR1"

// MarshalBinary encodes the row (ID, error message and every column through
// its codec) for checkpoints and distributed runners. A row error's message
// survives, its type does not.
func (r *Row) MarshalBinary() ([]byte, error) {
	return r.marshal(nil)
}

// marshal encodes the row with only the columns keep names (all when keep
// is nil).
func (r *Row) marshal(keep map[string]bool) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(rowMagic)
	putString(&buf, r.ID)
	if r.Err != nil {
		buf.WriteByte(1)
		putString(&buf, r.Err.Stage)
		putString(&buf, r.Err.Err.Error())
	} else {
		buf.WriteByte(0)
	}
	vals := r.vals
	if keep != nil {
		vals = make([]cell, 0, len(keep))
		for _, cl := range r.vals {
			if keep[cl.def.name] {
				vals = append(vals, cl)
			}
		}
	}
	putUvarint(&buf, uint64(len(vals)))
	for _, cl := range vals {
		b, err := cl.def.encode(cl.val)
		if err != nil {
			return nil, fmt.Errorf("labelfree: encode row %q column %q: %w", r.ID, cl.def.name, err)
		}
		putString(&buf, cl.def.name)
		putBytes(&buf, b)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes a row written by MarshalBinary. Every column named
// in the data must be declared in this program (by importing the package
// that declares it).
func (r *Row) UnmarshalBinary(data []byte) error {
	rd := bytes.NewReader(data)
	magic := make([]byte, len(rowMagic))
	if _, err := io.ReadFull(rd, magic); err != nil || string(magic) != rowMagic {
		return errors.New("labelfree: decode row: not a labelfree row")
	}
	id, err := getString(rd)
	if err != nil {
		return fmt.Errorf("labelfree: decode row: %w", err)
	}
	*r = Row{ID: id}
	flag, err := rd.ReadByte()
	if err != nil {
		return fmt.Errorf("labelfree: decode row %q: %w", id, err)
	}
	if flag == 1 {
		stage, err1 := getString(rd)
		msg, err2 := getString(rd)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("labelfree: decode row %q: %w", id, err)
		}
		r.Err = &RowError{Stage: stage, Err: errors.New(msg)}
	}
	n, err := binary.ReadUvarint(rd)
	if err != nil || n > uint64(rd.Len()) {
		return fmt.Errorf("labelfree: decode row %q: bad column count", id)
	}
	for i := uint64(0); i < n; i++ {
		name, err := getString(rd)
		if err != nil {
			return fmt.Errorf("labelfree: decode row %q: %w", id, err)
		}
		b, err := getBytes(rd)
		if err != nil {
			return fmt.Errorf("labelfree: decode row %q column %q: %w", id, name, err)
		}
		def, ok := lookupColumn(name)
		if !ok {
			return fmt.Errorf("labelfree: decode row %q: unknown column %q (import the package that declares it)", id, name)
		}
		v, err := def.decode(b)
		if err != nil {
			return fmt.Errorf("labelfree: decode row %q column %q: %w", id, name, err)
		}
		r.vals = append(r.vals, cell{def: def, val: v})
	}
	return nil
}

func putUvarint(buf *bytes.Buffer, v uint64) {
	var b [binary.MaxVarintLen64]byte
	buf.Write(b[:binary.PutUvarint(b[:], v)])
}

func putString(buf *bytes.Buffer, s string) {
	putUvarint(buf, uint64(len(s)))
	buf.WriteString(s)
}

func putBytes(buf *bytes.Buffer, b []byte) {
	putUvarint(buf, uint64(len(b)))
	buf.Write(b)
}

func getBytes(rd *bytes.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(rd)
	if err != nil {
		return nil, err
	}
	if n > uint64(rd.Len()) {
		return nil, errors.New("length exceeds data")
	}
	b := make([]byte, n)
	_, err = io.ReadFull(rd, b)
	return b, err
}

func getString(rd *bytes.Reader) (string, error) {
	b, err := getBytes(rd)
	return string(b), err
}
