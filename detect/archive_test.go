package detect

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/coco"
	"github.com/labelfree/labelfree/dataset/megadetector"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// archiveTree writes good synthetic photos in nested folders plus broken,
// truncated, oversized and hostile-header files; it returns the number of
// photos and how many of them must fail.
func archiveTree(t *testing.T, root string) (photos, failures int) {
	write := func(rel string, data []byte) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	var good []byte
	for i := range 8 {
		sc, err := synth.Render(synth.Spec{Seed: uint64(100 + i), Animals: i % 2, Clutter: 2})
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, jpeg.Encode(&buf, sc.Image, nil))
		good = buf.Bytes()
		write([]string{"site1/cam1/", "site1/cam2/", "site2/"}[i%3]+"IMG_000"+string(rune('0'+i))+".JPG", good)
	}
	write("bad/broken.jpg", []byte("this is not a jpeg"))
	write("bad/truncated.jpg", good[:len(good)/3])
	write("bad/big.jpg", append(append([]byte(nil), good...), make([]byte, 400_000)...))
	// A PNG whose (valid) header claims 60000×60000 pixels.
	var pb bytes.Buffer
	require.NoError(t, png.Encode(&pb, image.NewGray(image.Rect(0, 0, 1, 1))))
	p := pb.Bytes()
	binary.BigEndian.PutUint32(p[16:], 60000)
	binary.BigEndian.PutUint32(p[20:], 60000)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	write("bad/huge.png", p)
	write("notes.txt", []byte("not a photo"))
	require.NoError(t, os.Symlink(filepath.Join(root, "site2"), filepath.Join(root, "loop")))
	require.NoError(t, os.Symlink(filepath.Join(root, "site1", "cam1", "IMG_0000.JPG"), filepath.Join(root, "linked.jpg")))
	return 13, 4
}

func TestArchiveResumesAndRecordsFailures(t *testing.T) {
	d, err := tinyTrainer().Train(context.Background(), scenes(t, 5, 6, 96, 96))
	require.NoError(t, err)
	root := t.TempDir()
	photos, failures := archiveTree(t, root)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	a := &Archive{Detector: d, Root: root, Journal: journal, Workers: 2, MaxBytes: 300_000, Classes: []string{"other", "snow leopard"},
		Progress: labelfree.ProgressFunc(func(_ string, done, _ int) {
			if done == 5 {
				cancel()
			}
		})}
	_, err = a.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	lines, err := os.ReadFile(journal)
	require.NoError(t, err)
	first := strings.Count(string(lines), "\n")
	require.GreaterOrEqual(t, first, 5)
	require.Less(t, first, photos)
	// A crash mid-line leaves a truncated last line: ignored.
	f, err := os.OpenFile(journal, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"file":"site2/IMG_00`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	a.Progress = nil
	res, err := a.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, photos, res.Found)
	assert.Equal(t, first, res.Resumed)
	assert.Equal(t, photos-first, res.Processed, "finished files are not redone")
	assert.Equal(t, failures, res.Failed)
	require.Len(t, res.Set.Images, photos)
	reasons := map[string]string{}
	for _, im := range res.Set.Images {
		if im.Failure != "" {
			reasons[im.File] = im.Failure
		} else {
			assert.Equal(t, 320, im.Width)
			for _, b := range im.Boxes {
				require.NoError(t, b.Validate(im.Width, im.Height))
			}
		}
	}
	assert.Contains(t, reasons["bad/broken.jpg"], "header")
	assert.Contains(t, reasons["bad/truncated.jpg"], "decoding")
	assert.Contains(t, reasons["bad/big.jpg"], "bytes")
	assert.Contains(t, reasons["bad/huge.png"], "pixels")

	// MegaDetector batch output that reads back, and COCO.
	var md bytes.Buffer
	require.NoError(t, megadetector.Write(context.Background(), &md, res.Set, &megadetector.Options{Detector: "labelfree detect"}))
	back, err := megadetector.Read(context.Background(), bytes.NewReader(md.Bytes()), nil)
	require.NoError(t, err)
	assert.Len(t, back.Images, photos)
	var cc bytes.Buffer
	rep, err := coco.Write(context.Background(), &cc, res.Set, nil)
	require.NoError(t, err)
	assert.NotNil(t, rep)
	assert.Contains(t, cc.String(), `"images"`)

	// A third run has nothing left to do.
	res, err = a.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, res.Processed)
	assert.Equal(t, photos, res.Resumed)

	// A journal corrupted in the middle is an error, not a silent redo.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("garbage\n{}\n"), 0o644))
	a.Journal = bad
	_, err = a.Run(context.Background())
	assert.ErrorContains(t, err, "corrupt")
}

func TestArchiveParams(t *testing.T) {
	_, err := (&Archive{}).Run(context.Background())
	var pe *labelfree.ParamError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "Detector", pe.Field)
	_, err = (&Archive{Detector: &Detector{}, Root: t.TempDir(), Journal: "j"}).Run(context.Background())
	assert.ErrorContains(t, err, "not fitted")
}
