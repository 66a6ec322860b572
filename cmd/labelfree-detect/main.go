// Command labelfree-detect runs a saved detector over a folder tree of
// camera-trap photos and writes MegaDetector batch output (format 1.6, for
// Timelapse and AddaxAI) and COCO.
//
//	labelfree-detect -model pipeline.lfm -root /archive -out results/
//
// The model is a pipeline saved with labelfree.SaveFile that contains a
// detect.Detector stage. Photos are processed in parallel with at most
// -workers in memory at once. Every finished photo is appended to
// results/journal.jsonl; run the same command again after an interruption
// (Ctrl-C, crash, reboot) and it resumes without redoing finished photos.
// Unreadable, truncated, oversized and undecodable files are recorded as
// failures in both outputs. File paths are written relative to -root; no
// image metadata (EXIF/GPS) is read or written.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/coco"
	"github.com/labelfree/labelfree/dataset/megadetector"
	"github.com/labelfree/labelfree/detect"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "labelfree-detect:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	flag := flag.NewFlagSet("labelfree-detect", flag.ContinueOnError)
	model := flag.String("model", "", "saved pipeline holding a detect.Detector (required)")
	root := flag.String("root", "", "folder of photos, searched recursively (required)")
	out := flag.String("out", "", "output folder for journal.jsonl, megadetector.json and coco.json (required)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "photos processed at once")
	classes := flag.String("classes", "", "comma-separated class names by class index (default: class N)")
	minScore := flag.Float64("min-score", -1, "override the detector's lowest score written (MegaDetector files usually keep boxes down to 0.005)")
	quiet := flag.Bool("q", false, "no progress bar")
	if err := flag.Parse(args); err != nil {
		return err
	}
	if *model == "" || *root == "" || *out == "" {
		flag.Usage()
		return fmt.Errorf("-model, -root and -out are required")
	}
	pm, err := labelfree.LoadFile(*model)
	if err != nil {
		return err
	}
	var det *detect.Detector
	for _, s := range pm.Stages {
		if d, ok := s.(*detect.Detector); ok {
			det = d
		}
	}
	if det == nil {
		return fmt.Errorf("%s holds no detect.Detector stage", *model)
	}
	if *minScore >= 0 {
		det.MinScore = *minScore
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a := &detect.Archive{Detector: det, Root: *root, Journal: filepath.Join(*out, "journal.jsonl"), Workers: *workers}
	if *classes != "" {
		a.Classes = strings.Split(*classes, ",")
	}
	if !*quiet {
		a.Progress = labelfree.NewProgressBar(os.Stderr)
	}
	res, err := a.Run(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; finished photos are in %s, run again to resume", a.Journal)
		}
		return err
	}
	if err := writeFile(filepath.Join(*out, "megadetector.json"), func(f *os.File) error {
		return megadetector.Write(ctx, f, res.Set, &megadetector.Options{Detector: "labelfree detect"})
	}); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(*out, "coco.json"), func(f *os.File) error {
		_, err := coco.Write(ctx, f, res.Set, &coco.Options{CameraTraps: true})
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d photos (%d resumed, %d processed, %d failed); wrote %s\n", res.Found, res.Resumed, res.Processed, res.Failed, *out)
	return nil
}

// writeFile writes path atomically.
func writeFile(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
