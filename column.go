package labelfree

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
	"sort"
	"sync"
)

// A Column is a typed key for one value of a Row, used like a
// context.Context key: packages declare their columns once, as package
// variables, and every read and write through Get and Set is checked by the
// compiler.
//
//	var Score = labelfree.NewColumn[float64]("myapp.score", "the model's score")
//	labelfree.Set(row, Score, 0.93)
//	s, ok := labelfree.Get(row, Score)
//
// A column's identity is its name; two columns that share a name but not a
// type are reported when a pipeline is assembled. Values cross process
// boundaries (checkpoints, distributed runners) through the column's Codec,
// gob by default.
type Column[T any] struct {
	def *columnDef
}

// ColumnRef names a column and its value type without its type parameter, so
// stages can list the columns they read and write.
type ColumnRef struct {
	Name string
	Type reflect.Type
}

// String returns "name (type)".
func (c ColumnRef) String() string {
	if c.Type == nil {
		return c.Name
	}
	return fmt.Sprintf("%s (%s)", c.Name, c.Type)
}

// A Codec turns a column's values into bytes and back. Encode and Decode
// must round-trip every value the column holds.
type Codec[T any] interface {
	Encode(v T) ([]byte, error)
	Decode(b []byte) (T, error)
}

type columnDef struct {
	name   string
	doc    string
	typ    reflect.Type
	encode func(v any) ([]byte, error)
	decode func(b []byte) (any, error)
}

var columns struct {
	sync.RWMutex
	byName map[string]*columnDef
}

// NewColumn declares a column holding values of type T, encoded with gob when
// rows are serialised. Declare columns as package-level variables; declaring
// the same name twice with the same type returns the same column.
func NewColumn[T any](name, doc string) Column[T] {
	return NewColumnCodec[T](name, doc, gobCodec[T]{})
}

// NewColumnCodec is NewColumn with an explicit codec, for values gob cannot
// encode (interfaces such as image.Image) or encodes slowly.
func NewColumnCodec[T any](name, doc string, codec Codec[T]) Column[T] {
	def := &columnDef{
		name: name,
		doc:  doc,
		typ:  reflect.TypeFor[T](),
		encode: func(v any) ([]byte, error) {
			return codec.Encode(v.(T))
		},
		decode: func(b []byte) (any, error) {
			return codec.Decode(b)
		},
	}
	columns.Lock()
	defer columns.Unlock()
	if columns.byName == nil {
		columns.byName = make(map[string]*columnDef)
	}
	// The first declaration of a name owns its codec; a second declaration
	// with another type keeps its own definition so that pipeline validation
	// can report the clash with both stages named.
	if old, ok := columns.byName[name]; ok && old.typ == def.typ {
		return Column[T]{def: old}
	} else if !ok {
		columns.byName[name] = def
	}
	return Column[T]{def: def}
}

// Name returns the column's name.
func (c Column[T]) Name() string { return c.def.name }

// Doc returns the column's one-line description.
func (c Column[T]) Doc() string { return c.def.doc }

// Ref returns the untyped reference used in StageInfo.
func (c Column[T]) Ref() ColumnRef { return ColumnRef{Name: c.def.name, Type: c.def.typ} }

// Columns lists the names of every declared column, sorted.
func Columns() []string {
	columns.RLock()
	defer columns.RUnlock()
	names := make([]string, 0, len(columns.byName))
	for n := range columns.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookupColumn(name string) (*columnDef, bool) {
	columns.RLock()
	defer columns.RUnlock()
	d, ok := columns.byName[name]
	return d, ok
}

type gobCodec[T any] struct{}

func (gobCodec[T]) Encode(v T) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (gobCodec[T]) Decode(b []byte) (T, error) {
	var v T
	err := gob.NewDecoder(bytes.NewReader(b)).Decode(&v)
	return v, err
}
