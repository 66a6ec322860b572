package lfbeam

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

func sampleRow(t testing.TB, failed bool) []byte {
	r := labelfree.NewRow("row-1")
	labelfree.Set(r, labelfree.Label, 3)
	labelfree.Set(r, labelfree.Embedding, []float32{1, 2, 3})
	labelfree.Set(r, labelfree.Image, image.Image(image.NewRGBA(image.Rect(0, 0, 2, 2))))
	labelfree.Set(r, Position, 9)
	if failed {
		r.Fail("stage", errors.New("boom"))
	}
	b, err := r.MarshalBinary()
	require.NoError(t, err)
	return b
}

func TestSelectKeepsNamedColumns(t *testing.T) {
	tests := []struct {
		name   string
		failed bool
		keep   []string
		want   []string
	}{
		{"embedding and label", false, []string{labelfree.Embedding.Name(), labelfree.Label.Name()}, []string{labelfree.Embedding.Name(), labelfree.Label.Name(), Position.Name()}},
		{"failed row keeps its error", true, []string{labelfree.Label.Name()}, []string{labelfree.Label.Name(), Position.Name()}},
		{"nothing", false, nil, []string{Position.Name()}},
		{"unknown name", false, []string{"no.such"}, []string{Position.Name()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep := map[string]bool{Position.Name(): true}
			for _, k := range tt.keep {
				keep[k] = true
			}
			out, err := selectColumns(sampleRow(t, tt.failed), keep)
			require.NoError(t, err)
			r, err := Decode(out)
			require.NoError(t, err)
			require.Equal(t, "row-1", r.ID)
			require.ElementsMatch(t, tt.want, r.ColumnNames())
			if tt.failed {
				require.EqualError(t, r.Err, "stage: boom")
			} else {
				require.Nil(t, r.Err)
			}
			if keep[labelfree.Embedding.Name()] {
				e, _ := labelfree.Get(r, labelfree.Embedding)
				require.Equal(t, []float32{1, 2, 3}, e)
			}
		})
	}
	_, err := selectColumns([]byte("nope"), nil)
	require.Error(t, err)
}

func FuzzSelect(f *testing.F) {
	f.Add(sampleRow(f, false))
	f.Add(sampleRow(f, true))
	f.Add([]byte("LFR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keep := map[string]bool{labelfree.Label.Name(): true}
		out, err := selectColumns(b, keep)
		if err != nil {
			return
		}
		// Whatever select accepts and the row decoder accepts, the
		// selected row decodes too and holds only kept columns.
		if _, derr := Decode(b); derr != nil {
			return
		}
		r, err := Decode(out)
		require.NoError(t, err)
		for _, c := range r.ColumnNames() {
			require.True(t, keep[c], c)
		}
	})
}

func rowsFile(rows ...[]byte) []byte {
	var buf bytes.Buffer
	buf.WriteString(rowsMagic)
	for _, r := range rows {
		buf.Write(binary.AppendUvarint(nil, uint64(len(r))))
		buf.Write(r)
	}
	return buf.Bytes()
}

func TestDecodeRowsFileRefusesDamage(t *testing.T) {
	good := rowsFile(sampleRow(t, false), sampleRow(t, true))
	rows, err := decodeRowsFile(bufio.NewReader(bytes.NewReader(good)))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	for _, bad := range [][]byte{
		nil,
		[]byte("LFROWS2\n"),
		good[:len(good)-3],
		append([]byte(rowsMagic), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
		append([]byte(rowsMagic), 3, 'a', 'b', 'c'),
	} {
		_, err := decodeRowsFile(bufio.NewReader(bytes.NewReader(bad)))
		require.Error(t, err)
	}
}

func FuzzDecodeRowsFile(f *testing.F) {
	f.Add(rowsFile(sampleRow(f, false)))
	f.Add(rowsFile())
	f.Add([]byte(rowsMagic + "\x05LFR1x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeRowsFile(bufio.NewReader(bytes.NewReader(b))) // must not panic
	})
}
