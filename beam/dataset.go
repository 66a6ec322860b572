package lfbeam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func([]byte), error](&readManifestFn{})
	register.DoFn3x1[context.Context, []byte, func([]byte), error](&loadImageFn{})
	register.DoFn3x1[context.Context, []byte, func(*[]byte) bool, error](&writeDatasetFn{})
	// dataset.Decoder is a Transformer worth distributing (decoding is
	// per-row work) but its package does not register it for persistence.
	labelfree.Register[*dataset.Decoder]()
}

// ReadDataset reads a dataset written by dataset.Write (a Parquet manifest
// and image files; from this machine, another one, or pandas and Spark
// through the same layout) into a PCollection of encoded rows, with
// Position set to each row's place in the manifest.
//
// dir must be reachable under the same path by the launching program and
// every worker: a shared file system (NFS, a Cloud Storage FUSE or
// Filestore mount on Dataflow). The launcher reads the manifest once to
// check it and learn the dataset's classes, which it returns. One worker
// reads the manifest (a few hundred bytes per row); the rows are then
// reshuffled and, with opts.LoadImages, the image files are read and
// checked against the manifest's SHA-256 in parallel, a missing or altered
// file failing its row (stage dataset.ReadStage) exactly as dataset.Read
// does.
func ReadDataset(ctx context.Context, s beam.Scope, dir string, opts *dataset.ReadOptions) (beam.PCollection, []string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return beam.PCollection{}, nil, fmt.Errorf("lfbeam: read dataset: %w", err)
	}
	ds, err := dataset.Read(ctx, abs, nil)
	if err != nil {
		return beam.PCollection{}, nil, fmt.Errorf("lfbeam: %w", err)
	}
	s = s.Scope("lfbeam.ReadDataset")
	rows := beam.ParDo(s, &readManifestFn{Dir: abs}, beam.Impulse(s))
	rows = beam.Reshuffle(s, rows)
	if opts != nil && opts.LoadImages {
		rows = beam.ParDo(s, &loadImageFn{}, rows)
	}
	return rows, ds.Classes, nil
}

type readManifestFn struct {
	// Dir is the dataset directory, absolute.
	Dir string
}

func (f *readManifestFn) ProcessElement(ctx context.Context, _ []byte, emit func([]byte)) error {
	ds, err := dataset.Read(ctx, f.Dir, nil)
	if err != nil {
		return fmt.Errorf("lfbeam: %w", err)
	}
	enc, err := Encode(ds.Rows)
	if err != nil {
		return err
	}
	for _, b := range enc {
		emit(b)
	}
	return nil
}

type loadImageFn struct{}

// ProcessElement reads the row's ImagePath into ImageBytes, as
// dataset.Read does with LoadImages.
func (loadImageFn) ProcessElement(ctx context.Context, b []byte, emit func([]byte)) error {
	r, err := Decode(b)
	if err != nil {
		return err
	}
	path, ok := labelfree.Get(r, labelfree.ImagePath)
	if ok && r.Err == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		sum := sha256.Sum256(data)
		want, _ := labelfree.Get(r, dataset.ContentHash)
		switch {
		case err != nil:
			r.Fail(dataset.ReadStage, err)
		case want != "" && hex.EncodeToString(sum[:]) != want:
			rel, _ := labelfree.Get(r, labelfree.ImagePath)
			r.Fail(dataset.ReadStage, fmt.Errorf("image file %s does not match the manifest's SHA-256", manifestPath(rel)))
		default:
			labelfree.Set(r, labelfree.ImageBytes, data)
		}
	}
	out, err := r.MarshalBinary()
	if err != nil {
		return fmt.Errorf("lfbeam: %w", err)
	}
	emit(out)
	return nil
}

// manifestPath turns an absolute image path back into the manifest's
// relative, slash-separated form (images/<class>/<file>) for messages
// that match dataset.Read's.
func manifestPath(abs string) string {
	dir, file := filepath.Split(abs)
	class := filepath.Base(dir)
	return dataset.ImagesDir + "/" + class + "/" + file
}

// WriteDataset writes the rows of col as a dataset directory that
// dataset.Read, pandas and Spark read: image files plus the Parquet
// manifest, in Position order, with classes as the dataset's class names
// and image metadata stripped unless opts.KeepMetadata.
//
// All rows are gathered on one worker, which calls dataset.Write, so that
// the manifest is one file with every row (failed rows included); the
// images travel to that worker. Drop columns the dataset does not store
// (embeddings, explanations) with Select first. dir must be on a file
// system the worker can write and the reader can see.
func WriteDataset(s beam.Scope, dir string, classes []string, col beam.PCollection, opts *dataset.WriteOptions) error {
	if dir == "" {
		return errors.New("lfbeam: write dataset: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("lfbeam: write dataset: %w", err)
	}
	fn := &writeDatasetFn{Dir: abs, Classes: classes}
	if opts != nil {
		fn.Options = *opts
	}
	s = s.Scope("lfbeam.WriteDataset")
	// One impulse element with every row as a side input: the dataset is
	// written exactly once, even when it has no rows.
	beam.ParDo0(s, fn, beam.Impulse(s), beam.SideInput{Input: col})
	return nil
}

type writeDatasetFn struct {
	// Dir is the dataset directory, absolute.
	Dir string
	// Classes are the dataset's class names.
	Classes []string
	// Options are dataset.Write's options.
	Options dataset.WriteOptions
}

func (f *writeDatasetFn) ProcessElement(ctx context.Context, _ []byte, iter func(*[]byte) bool) error {
	ds := &labelfree.Dataset{Classes: f.Classes}
	var b []byte
	for iter(&b) {
		r, err := Decode(b)
		if err != nil {
			return err
		}
		ds.Rows = append(ds.Rows, r)
	}
	sortByPosition(ds.Rows)
	for _, r := range ds.Rows {
		labelfree.Delete(r, Position)
	}
	opts := f.Options
	if err := dataset.Write(ctx, f.Dir, ds, &opts); err != nil {
		return fmt.Errorf("lfbeam: %w", err)
	}
	return nil
}
