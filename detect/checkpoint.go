package detect

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkpoint is the trainer's state after an epoch.
type checkpoint struct {
	Fingerprint [32]byte
	Epoch       int
	Head, Best  head
	Adam        adamState
	BestAP      float64
	Bad         int
	BestEpoch   int
	History     []EpochStats
	// Stopped is set when training had ended at this checkpoint.
	Stopped string
}

// readCheckpoint returns nil, nil when path does not exist.
func readCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("detect: reading checkpoint: %w", err)
	}
	var ck checkpoint
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&ck); err != nil {
		return nil, fmt.Errorf("detect: checkpoint %s is corrupt: %w", path, err)
	}
	return &ck, nil
}

// writeCheckpoint writes atomically: a crash leaves the old or the new file.
func writeCheckpoint(path string, ck *checkpoint) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(ck); err != nil {
		return fmt.Errorf("detect: encoding checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".detect-ckpt-*")
	if err != nil {
		return fmt.Errorf("detect: writing checkpoint: %w", err)
	}
	_, err = tmp.Write(buf.Bytes())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("detect: writing checkpoint: %w", err)
	}
	return nil
}
