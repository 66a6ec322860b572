package labelfree

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// A Checkpoint remembers rows that a stage has finished, so that a run
// interrupted by a crash or Ctrl-C resumes without redoing them. Load and
// Store are called concurrently.
type Checkpoint interface {
	Load(stage, rowID string) ([]byte, bool)
	Store(stage, rowID string, row []byte) error
}

// A DirCheckpoint keeps one append-only log file per stage in a directory.
// Each record carries a CRC, so a record torn by a crash is ignored and
// recomputed. Records are flushed to the file as they are stored; call
// Close to release the files.
type DirCheckpoint struct {
	dir string

	mu     sync.Mutex
	loaded map[string]map[string][]byte
	files  map[string]*os.File
}

// OpenCheckpoint opens (creating if needed) a checkpoint directory.
func OpenCheckpoint(dir string) (*DirCheckpoint, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("labelfree: open checkpoint: %w", err)
	}
	return &DirCheckpoint{dir: dir, loaded: map[string]map[string][]byte{}, files: map[string]*os.File{}}, nil
}

func (c *DirCheckpoint) path(stage string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, stage)
	return filepath.Join(c.dir, fmt.Sprintf("%s-%08x.ckpt", safe, crc32.ChecksumIEEE([]byte(stage))))
}

// stageLocked reads the stage's log once.
func (c *DirCheckpoint) stageLocked(stage string) map[string][]byte {
	if m, ok := c.loaded[stage]; ok {
		return m
	}
	m := map[string][]byte{}
	c.loaded[stage] = m
	f, err := os.Open(c.path(stage))
	if err != nil {
		return m
	}
	defer f.Close()
	rd := bufio.NewReader(f)
	for {
		id, row, err := readRecord(rd)
		if err != nil {
			return m // EOF or a torn tail: keep what was read
		}
		m[id] = row
	}
}

// Load returns the stored row for (stage, rowID).
func (c *DirCheckpoint) Load(stage, rowID string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.stageLocked(stage)[rowID]
	return b, ok
}

// Store appends the row to the stage's log.
func (c *DirCheckpoint) Store(stage, rowID string, row []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.files[stage]
	if !ok {
		var err error
		f, err = os.OpenFile(c.path(stage), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("labelfree: checkpoint: %w", err)
		}
		c.files[stage] = f
	}
	if _, err := f.Write(record(rowID, row)); err != nil {
		return fmt.Errorf("labelfree: checkpoint: %w", err)
	}
	c.stageLocked(stage)[rowID] = row
	return nil
}

// Close closes the log files.
func (c *DirCheckpoint) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	c.files = map[string]*os.File{}
	return errors.Join(errs...)
}

// record frames (id, row) as: len(id) uvarint, id, len(row) uvarint, row,
// CRC-32 of everything before it.
func record(id string, row []byte) []byte {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	b = binary.AppendUvarint(b, uint64(len(row)))
	b = append(b, row...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

const maxRecord = 1 << 30

func readRecord(rd *bufio.Reader) (string, []byte, error) {
	crc := crc32.NewIEEE()
	tee := io.TeeReader(rd, crc)
	read := func() ([]byte, error) {
		n, err := binary.ReadUvarint(byteReader{tee})
		if err != nil {
			return nil, err
		}
		if n > maxRecord {
			return nil, errors.New("record too large")
		}
		b := make([]byte, n)
		_, err = io.ReadFull(tee, b)
		return b, err
	}
	id, err := read()
	if err != nil {
		return "", nil, err
	}
	row, err := read()
	if err != nil {
		return "", nil, err
	}
	sum := crc.Sum32()
	var tail [4]byte
	if _, err := io.ReadFull(rd, tail[:]); err != nil {
		return "", nil, err
	}
	if binary.LittleEndian.Uint32(tail[:]) != sum {
		return "", nil, errors.New("checksum mismatch")
	}
	return string(id), row, nil
}

type byteReader struct{ r io.Reader }

func (b byteReader) ReadByte() (byte, error) {
	var x [1]byte
	_, err := io.ReadFull(b.r, x[:])
	return x[0], err
}
