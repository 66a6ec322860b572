// Command slic is the Go half of the side-by-side SLIC benchmark; run
// bench_skimage.py next to it, which starts this program and alternates
// between it and scikit-image on the same images.
//
// Protocol: each line on stdin is "PATH REPS"; the program decodes PATH once
// (into *image.RGBA, outside the timing), segments it REPS times with
// superpixel.SLIC and prints "WALL CPU SEGMENTS": the wall-clock seconds and
// the CPU seconds of all its threads (getrusage) for the REPS runs.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"log"
	"os"
	"time"

	"github.com/labelfree/labelfree/internal/cputime"
	"github.com/labelfree/labelfree/superpixel"
)

func main() {
	segments := flag.Int("segments", 200, "superpixels wanted (n_segments)")
	compactness := flag.Float64("compactness", 10, "compactness")
	flag.Parse()
	s := superpixel.SLIC{Segments: *segments, Compactness: *compactness}
	cache := map[string]*image.RGBA{}
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	ctx := context.Background()
	for in.Scan() {
		var path string
		var reps int
		if _, err := fmt.Sscan(in.Text(), &path, &reps); err != nil {
			log.Fatalf("bad request %q: %v", in.Text(), err)
		}
		img, ok := cache[path]
		if !ok {
			img = load(path)
			cache[path] = img
		}
		var seg *superpixel.Segmentation
		cpu0 := cputime.Process().Seconds()
		start := time.Now()
		for range reps {
			var err error
			if seg, err = s.Segment(ctx, img); err != nil {
				log.Fatal(err)
			}
		}
		wall := time.Since(start).Seconds()
		fmt.Fprintf(out, "%.9f %.9f %d\n", wall, cputime.Process().Seconds()-cpu0, seg.N)
		out.Flush()
	}
	if err := in.Err(); err != nil {
		log.Fatal(err)
	}
}

func load(path string) *image.RGBA {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	m := image.NewRGBA(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
	draw.Draw(m, m.Rect, src, src.Bounds().Min, draw.Src)
	return m
}
