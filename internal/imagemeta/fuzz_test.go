package imagemeta

import (
	"bytes"
	"testing"
)

func FuzzStrip(f *testing.F) {
	for _, p := range []func(testing.TB) ([]byte, []byte){plantedJPEG, plantedPNG, plantedGIF} {
		clean, planted := p(f)
		f.Add(clean)
		f.Add(planted)
	}
	_, w := plantedWebP(f, "gopher-doc.1bpp.lossless.webp")
	f.Add(w)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Strip(data)
		if err != nil {
			return
		}
		if Format(out) != Format(data) {
			t.Fatalf("format changed from %q to %q", Format(data), Format(out))
		}
		if len(out) > len(data)+2 {
			t.Fatalf("output (%d bytes) longer than input (%d)", len(out), len(data))
		}
		again, err := Strip(out)
		if err != nil {
			t.Fatalf("stripped output does not parse: %v", err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("Strip is not idempotent")
		}
	})
}
