package superpixel

import (
	"encoding/binary"
	"image"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/require"
)

func TestCodecRoundTrip(t *testing.T) {
	for _, size := range [][3]int{{1, 1, 1}, {13, 7, 5}, {320, 240, 200}} {
		img, seg := segmentScene(t, size[0], size[1], size[2])
		b, err := seg.MarshalBinary()
		require.NoError(t, err)
		var got Segmentation
		require.NoError(t, got.UnmarshalBinary(b))
		require.Equal(t, seg.Labels, got.Labels)
		require.Equal(t, seg.Segments, got.Segments)
		checkSegmentation(t, &got, img, true)
		for k := range seg.N {
			require.Equal(t, seg.Neighbors(k), got.Neighbors(k))
		}
		if size[0] == 320 {
			// The run-length form is far smaller than the raw labels.
			require.Less(t, len(b), 4*len(seg.Labels)/10)
		}
	}
}

func TestCodecThroughRow(t *testing.T) {
	img, seg := segmentScene(t, 64, 48, 20)
	r := labelfree.NewRow("a")
	labelfree.Set[image.Image](r, labelfree.Image, img)
	labelfree.Set(r, Segments, seg)
	b, err := r.MarshalBinary()
	require.NoError(t, err)
	var back labelfree.Row
	require.NoError(t, back.UnmarshalBinary(b))
	got, ok := labelfree.Get(&back, Segments)
	require.True(t, ok)
	require.Equal(t, seg.Labels, got.Labels)
	require.Equal(t, seg.Segments, got.Segments)
}

func header(w, h, n uint64) []byte {
	b := []byte(segMagic)
	b = binary.AppendUvarint(b, w)
	b = binary.AppendUvarint(b, h)
	return binary.AppendUvarint(b, n)
}

func TestCodecRejects(t *testing.T) {
	run := func(b []byte, k, n uint64) []byte {
		return binary.AppendUvarint(binary.AppendUvarint(b, k), n)
	}
	cases := map[string][]byte{
		"empty":            nil,
		"magic":            []byte("LFSQ\x01"),
		"version":          []byte("LFSP\x02"),
		"truncated header": []byte(segMagic + "\x05"),
		"zero width":       header(0, 4, 1),
		"huge":             header(1<<20, 1<<20, 1),
		"zero segments":    header(2, 2, 0),
		"too many":         header(2, 2, 5),
		"no colours":       run(header(2, 2, 1), 0, 4),
		"label range":      append(run(header(2, 2, 1), 1, 4), 0, 0, 0, 0),
		"zero run":         append(run(run(header(2, 2, 1), 0, 0), 0, 4), 0, 0, 0, 0),
		"long run":         append(run(header(2, 2, 1), 0, 5), 0, 0, 0, 0),
		"truncated runs":   append(run(header(2, 2, 1), 0, 3), 0, 0, 0, 0),
		"empty segment":    append(run(header(2, 2, 2), 0, 4), 0, 0, 0, 0, 1, 1, 1, 1),
		"trailing":         append(run(header(2, 2, 1), 0, 4), 0, 0, 0, 0, 9),
	}
	for name, b := range cases {
		var s Segmentation
		err := s.UnmarshalBinary(b)
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
	// And a valid one built by hand.
	var s Segmentation
	b := append(run(run(header(2, 2, 2), 1, 1), 0, 3), 1, 2, 3, 4, 5, 6, 7, 8)
	require.NoError(t, s.UnmarshalBinary(b))
	require.Equal(t, []int32{1, 0, 0, 0}, s.Labels)
	require.Equal(t, 3, s.Segments[0].Pixels)
	require.Equal(t, []int32{0}, s.Neighbors(1))

	_, err := (&Segmentation{}).MarshalBinary()
	require.Error(t, err)
}

// FuzzUnmarshal: arbitrary bytes never panic; whatever decodes is a valid
// segmentation that encodes back to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	_, seg := segmentScene(f, 30, 20, 8)
	b, err := seg.MarshalBinary()
	require.NoError(f, err)
	f.Add(b)
	f.Add(header(2, 2, 1))
	f.Add(append(binary.AppendUvarint(binary.AppendUvarint(header(3, 1, 2), 1), 2), 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Segmentation
		if err := s.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		require.NoError(t, s.Validate())
		again, err := s.MarshalBinary()
		require.NoError(t, err)
		var s2 Segmentation
		require.NoError(t, s2.UnmarshalBinary(again))
		require.Equal(t, s.Labels, s2.Labels)
		require.Equal(t, s.Segments, s2.Segments)
	})
}
