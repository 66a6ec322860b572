package labelfree

import (
	"archive/zip"
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"time"
)

// File format of saved pipelines.
//
// A saved PipelineModel is a zip archive (readable with any zip tool) that
// holds:
//
//   - labelfree.json, the manifest: {"format": "labelfree-pipeline",
//     "version": 1, "created": RFC 3339 time, "classes": [names], "stages":
//     [{"type", "name", "encoding", "file"}]}. "type" is the registered Go type of the stage
//     (package path and type name), "encoding" is "binary" for stages that
//     implement encoding.BinaryMarshaler and "json" for the others.
//   - stages/NNN.bin or stages/NNN.json, one file per stage, in order.
//
// Every member carries zip's CRC-32, so a damaged file is refused. A reader
// refuses a manifest with a version newer than FormatVersion.
const (
	FormatName    = "labelfree-pipeline"
	FormatVersion = 1
)

const manifestName = "labelfree.json"

// maxMember bounds one member of a pipeline file (4 GiB), so a hostile
// archive cannot make Load allocate without end.
const maxMember = 4 << 30

type manifest struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Created time.Time       `json:"created"`
	Classes []string        `json:"classes,omitempty"`
	Stages  []manifestStage `json:"stages"`
}

type manifestStage struct {
	Type     string `json:"type"`
	Name     string `json:"name"`
	Encoding string `json:"encoding"`
	File     string `json:"file"`
}

var registry struct {
	sync.RWMutex
	types map[string]reflect.Type
}

// Register makes the stage type T loadable by Load. T must be a pointer to a
// struct; register every fitted stage type in its package's init function.
// Stages that implement encoding.BinaryMarshaler and BinaryUnmarshaler are
// saved through them; others are saved as the JSON of their exported fields.
func Register[T Stage]() {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("labelfree.Register: %v is not a pointer to a struct", t))
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.types == nil {
		registry.types = map[string]reflect.Type{}
	}
	registry.types[typeName(t)] = t.Elem()
}

func typeName(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() + "." + t.Name()
}

// Save writes the model to w in the format described above.
func Save(w io.Writer, m *PipelineModel) error {
	man := manifest{Format: FormatName, Version: FormatVersion, Created: time.Now().UTC().Truncate(time.Second), Classes: m.Classes}
	type member struct {
		name string
		data []byte
	}
	var members []member
	for i, s := range m.Stages {
		t := reflect.TypeOf(s)
		registry.RLock()
		_, ok := registry.types[typeName(t)]
		registry.RUnlock()
		if !ok || t.Kind() != reflect.Pointer {
			return fmt.Errorf("labelfree: save: stage %d (%s) has unregistered type %v: call labelfree.Register[%v]() in its package", i, s.Info().Name, t, t)
		}
		ms := manifestStage{Type: typeName(t), Name: s.Info().Name}
		var data []byte
		var err error
		if bm, ok := s.(encoding.BinaryMarshaler); ok {
			ms.Encoding, ms.File = "binary", fmt.Sprintf("stages/%03d.bin", i)
			data, err = bm.MarshalBinary()
		} else {
			ms.Encoding, ms.File = "json", fmt.Sprintf("stages/%03d.json", i)
			data, err = json.Marshal(s)
		}
		if err != nil {
			return fmt.Errorf("labelfree: save: stage %d (%s): %w", i, ms.Name, err)
		}
		man.Stages = append(man.Stages, ms)
		members = append(members, member{ms.File, data})
	}
	manData, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return fmt.Errorf("labelfree: save: %w", err)
	}
	zw := zip.NewWriter(w)
	for _, mem := range append([]member{{manifestName, manData}}, members...) {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: mem.name, Method: zip.Deflate, Modified: man.Created})
		if err != nil {
			return fmt.Errorf("labelfree: save: %w", err)
		}
		if _, err := f.Write(mem.data); err != nil {
			return fmt.Errorf("labelfree: save: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("labelfree: save: %w", err)
	}
	return nil
}

// SaveFile saves the model to path atomically: a crash mid-write leaves any
// earlier file at path intact.
func SaveFile(path string, m *PipelineModel) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".labelfree-*")
	if err != nil {
		return fmt.Errorf("labelfree: save: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file private; a saved model is meant to be
	// shared with the programs that serve it.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("labelfree: save: %w", err)
	}
	if err := Save(tmp, m); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("labelfree: save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("labelfree: save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("labelfree: save: %w", err)
	}
	return nil
}

// ErrFormat is wrapped by every error Load returns for a file that is not a
// valid pipeline file of a supported version.
var ErrFormat = errors.New("not a valid labelfree pipeline file")

// Load reads a model written by Save. The packages that declare its stage
// types must be imported (they register them).
func Load(r io.ReaderAt, size int64) (*PipelineModel, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("labelfree: load: %w: %w", ErrFormat, err)
	}
	read := func(name string) ([]byte, error) {
		for _, f := range zr.File {
			if f.Name != name {
				continue
			}
			if f.UncompressedSize64 > maxMember {
				return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", name, f.UncompressedSize64, maxMember)
			}
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(rc, maxMember+1)); err != nil {
				return nil, err // includes zip.ErrChecksum for damaged data
			}
			return buf.Bytes(), nil
		}
		return nil, fmt.Errorf("member %s is missing", name)
	}
	data, err := read(manifestName)
	if err != nil {
		return nil, fmt.Errorf("labelfree: load: %w: %w", ErrFormat, err)
	}
	var man manifest
	if err := json.Unmarshal(data, &man); err != nil {
		return nil, fmt.Errorf("labelfree: load: %w: manifest: %w", ErrFormat, err)
	}
	if man.Format != FormatName {
		return nil, fmt.Errorf("labelfree: load: %w: format is %q, want %q", ErrFormat, man.Format, FormatName)
	}
	if man.Version > FormatVersion || man.Version < 1 {
		return nil, fmt.Errorf("labelfree: load: %w: file format version %d is not supported (this labelfree reads versions 1 to %d; upgrade labelfree to read newer files)", ErrFormat, man.Version, FormatVersion)
	}
	m := &PipelineModel{Classes: man.Classes}
	for i, ms := range man.Stages {
		registry.RLock()
		t, ok := registry.types[ms.Type]
		registry.RUnlock()
		if !ok {
			return nil, fmt.Errorf("labelfree: load: stage %d (%s) has type %s, which is not registered: import the package that defines it", i, ms.Name, ms.Type)
		}
		b, err := read(ms.File)
		if err != nil {
			return nil, fmt.Errorf("labelfree: load: %w: stage %d (%s): %w", ErrFormat, i, ms.Name, err)
		}
		v := reflect.New(t).Interface()
		switch ms.Encoding {
		case "binary":
			u, ok := v.(encoding.BinaryUnmarshaler)
			if !ok {
				return nil, fmt.Errorf("labelfree: load: stage %d (%s): type %s cannot decode binary data", i, ms.Name, ms.Type)
			}
			err = u.UnmarshalBinary(b)
		case "json":
			err = json.Unmarshal(b, v)
		default:
			err = fmt.Errorf("unknown encoding %q", ms.Encoding)
		}
		if err != nil {
			return nil, fmt.Errorf("labelfree: load: %w: stage %d (%s): %w", ErrFormat, i, ms.Name, err)
		}
		s := v.(Stage)
		if err := ValidateStage(s); err != nil {
			return nil, fmt.Errorf("labelfree: load: stage %d (%s): %w", i, ms.Name, err)
		}
		m.Stages = append(m.Stages, s)
	}
	if err := m.check(nil); err != nil {
		return nil, fmt.Errorf("labelfree: load: %w", err)
	}
	return m, nil
}

// LoadFile loads a model saved with SaveFile or Save.
func LoadFile(path string) (*PipelineModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labelfree: load: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("labelfree: load: %w", err)
	}
	return Load(f, st.Size())
}
