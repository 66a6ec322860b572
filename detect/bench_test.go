package detect

import (
	"context"
	"fmt"
	"image"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/internal/cputime"
)

// BenchmarkDetect times one 320×240 photo through a detector at the
// default 256×192 input (backbone, head, peaks, NMS).
func BenchmarkDetect(b *testing.B) {
	ds := scenes(b, 9, 4, 320, 240)
	d, err := (&Trainer{Input: labelfree.TrueBoxes, Epochs: 1, Augmentations: -1, ValidationFraction: -1}).Train(context.Background(), ds)
	if err != nil {
		b.Fatal(err)
	}
	sc, err := synth.Render(synth.Spec{Seed: 1, Animals: 1, Clutter: 3})
	if err != nil {
		b.Fatal(err)
	}
	img := image.Image(sc.Image)
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Detect(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetectBatch times DetectBatch on 16 photos at the default
// 256×192 input with one and two threads, and reports process CPU
// milliseconds per image beside img/s.
func BenchmarkDetectBatch(b *testing.B) {
	ds := scenes(b, 9, 4, 320, 240)
	d, err := (&Trainer{Input: labelfree.TrueBoxes, Epochs: 1, Augmentations: -1, ValidationFraction: -1}).Train(context.Background(), ds)
	if err != nil {
		b.Fatal(err)
	}
	var imgs []image.Image
	for i := range 16 {
		sc, err := synth.Render(synth.Spec{Seed: uint64(i), Animals: i % 2, Clutter: 3})
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, sc.Image)
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			d.Threads = threads
			ctx := context.Background()
			if _, err := d.DetectBatch(ctx, imgs); err != nil {
				b.Fatal(err)
			}
			c0 := cputime.Process()
			for b.Loop() {
				if _, err := d.DetectBatch(ctx, imgs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(imgs))/b.Elapsed().Seconds(), "img/s")
			b.ReportMetric((cputime.Process()-c0).Seconds()*1e3/float64(b.N*len(imgs)), "cpu-ms/img")
		})
	}
}
