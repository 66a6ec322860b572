package annot

import (
	"fmt"
	"io"
	"io/fs"
)

// ReadFileLimit reads the named file of fsys, refusing one larger than
// limit bytes without reading more than limit+1 of it: the format readers'
// guard against hostile sizes.
func ReadFileLimit(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}
