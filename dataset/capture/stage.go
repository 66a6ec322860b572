package capture

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
)

func isNoTime(err error) bool { return errors.Is(err, ErrNoTime) }

// TimeStage is a labelfree Transformer that sets annot.CaptureTime from the
// photo's EXIF (labelfree.ImageBytes when present, else the file at
// labelfree.ImagePath) plus the clock offset of its folder. A photo without
// DateTimeOriginal keeps no time and does not fail; a photo whose EXIF is
// malformed fails the row.
type TimeStage struct {
	Config
	// Root is the directory image paths are relative to, for matching the
	// folder offsets; paths are matched as they are when empty.
	Root string
}

// Info names the stage and its columns.
func (s *TimeStage) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "capture.time",
		Reads:  []labelfree.ColumnRef{labelfree.ImagePath.Ref()},
		Writes: []labelfree.ColumnRef{annot.CaptureTime.Ref()}}
}

// Validate checks the configuration.
func (s *TimeStage) Validate() error { return s.Config.Validate() }

// Transform reads one row's capture time.
func (s *TimeStage) Transform(ctx context.Context, r *labelfree.Row) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := labelfree.MustGet(r, labelfree.ImagePath)
	if err != nil {
		return err
	}
	rel := filepath.ToSlash(p)
	if s.Root != "" {
		if x, err := filepath.Rel(s.Root, p); err == nil {
			rel = filepath.ToSlash(x)
		}
	}
	var t time.Time
	if b, ok := labelfree.Get(r, labelfree.ImageBytes); ok {
		t, err = ReadTime(bytes.NewReader(b), s.Location)
	} else {
		t, err = fileTime(p, s.Location)
	}
	if isNoTime(err) {
		return nil
	}
	if err != nil {
		return err
	}
	labelfree.Set(r, annot.CaptureTime, t.Add(s.Offset(rel)))
	return nil
}

// EventStage is a labelfree DatasetTransformer that groups rows into events
// (GroupEvents) from annot.CaptureTime and annot.Deployment (set to the
// image folder when missing), writing annot.Event and annot.Deployment.
// Failed rows keep their error and are grouped like the others.
type EventStage struct {
	Config
	// Root is the directory image paths are made relative to.
	Root string
}

// Info names the stage and its columns.
func (s *EventStage) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "capture.events",
		Reads:  []labelfree.ColumnRef{labelfree.ImagePath.Ref()},
		Writes: []labelfree.ColumnRef{annot.Event.Ref(), annot.Deployment.Ref()}}
}

// Validate checks the configuration.
func (s *EventStage) Validate() error { return s.Config.Validate() }

// TransformDataset groups the rows into events.
func (s *EventStage) TransformDataset(ctx context.Context, ds *labelfree.Dataset) (*labelfree.Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	set := &annot.Set{Images: make([]annot.Image, len(ds.Rows))}
	for i, r := range ds.Rows {
		p, _ := labelfree.Get(r, labelfree.ImagePath)
		file := filepath.ToSlash(p)
		if s.Root != "" {
			if x, err := filepath.Rel(s.Root, p); err == nil {
				file = filepath.ToSlash(x)
			}
		}
		im := &set.Images[i]
		im.File = file
		im.Time, _ = labelfree.Get(r, annot.CaptureTime)
		im.Deployment, _ = labelfree.Get(r, annot.Deployment)
	}
	if _, err := GroupEvents(set, &s.Config); err != nil {
		return nil, err
	}
	out := ds.Clone()
	for i, r := range out.Rows {
		im := &set.Images[i]
		if im.Deployment != "" {
			labelfree.Set(r, annot.Deployment, im.Deployment)
		}
		if im.Event != "" {
			labelfree.Set(r, annot.Event, im.Event)
		} else {
			labelfree.Delete(r, annot.Event)
		}
	}
	return out, nil
}
