package detect

import (
	"context"
	"image"
	"testing"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
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
