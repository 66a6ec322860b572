package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/detect"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/lime"
)

type stepTiming struct {
	name         string
	elapsed      time.Duration
	rows, failed int
}

type report struct {
	cfg                                config
	provider                           string
	steps                              []stepTiming
	queries, failedQueries             int
	rows, failedRows                   int
	failures                           map[string]int
	train, test                        int
	fit                                features.FitResult
	metrics                            *features.Metrics
	roc                                []features.CurvePoint
	lime                               limeScores
	detVsTruth, limeVsTruth, detVsLIME *detect.Evaluation
	detPerImage                        float64 // seconds
	pipelinePath                       string
	total                              time.Duration
}

func (r *report) step(name string, start time.Time, rows, failed int) {
	r.steps = append(r.steps, stepTiming{name, time.Since(start), rows, failed})
	if name == "LIME" && rows > 0 {
		r.lime.PerImage = time.Since(start).Seconds() / float64(rows)
	}
}

// summary is the one-screen summary printed at the end.
func (r *report) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nlabelfree snow-leopard workflow (%s provider, query %q) in %v\n", r.provider, r.cfg.query, r.total.Round(time.Second))
	fmt.Fprintf(&b, "  search    %d queries (%d failed)\n", r.queries, r.failedQueries)
	fmt.Fprintf(&b, "  dataset   %d images, %d set aside (%s); train %d, test %d\n", r.rows, r.failedRows, failureText(r.failures), r.train, r.test)
	if m := r.metrics; m != nil {
		fmt.Fprintf(&b, "  classify  held-out accuracy %.3f, ROC AUC %.3f, average precision %.3f (L-BFGS: %s after %d iterations)\n", m.Accuracy, m.ROCAUC, m.AveragePrecision, r.fit.Status, r.fit.Iterations)
	}
	l := r.lime
	fmt.Fprintf(&b, "  LIME      %d positives explained (%.2f s each), mean R² %.2f, %d flagged low-fidelity\n", l.Explained, l.PerImage, l.MeanR2, l.LowFidelity)
	if l.Animals > 0 {
		fmt.Fprintf(&b, "  boxes     %d animals in %d images: seed rule (80%% share, one box) IoU %.2f, recall@0.5 %.2f\n", l.Animals, l.WithTruth, l.SeedMeanIoU, l.SeedRecall)
		fmt.Fprintf(&b, "            labelfree multi-box: mean best IoU %.2f, recall@0.5 %.2f, %.2f boxes/image\n", l.MultiMeanIoU, l.MultiRecall, l.BoxesPerImage)
	}
	if d := r.detVsLIME; d != nil {
		fmt.Fprintf(&b, "  detector  %.1f ms/image (LIME: %.0f×); AP@0.5 against LIME's boxes %.2f", 1000*r.detPerImage, r.lime.PerImage/max(r.detPerImage, 1e-9), d.AP50)
		if r.detVsTruth != nil {
			fmt.Fprintf(&b, ", against the truth %.2f (LIME's own boxes: %.2f)", r.detVsTruth.AP50, r.limeVsTruth.AP50)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  saved     %s (classifier + detector; serve it with serve/cmd/labelfree-serve)\n", r.pipelinePath)
	fmt.Fprintf(&b, "  report    %s\n", filepath.Join(r.cfg.out, "report.md"))
	return b.String()
}

func failureText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func writeReport(dir string, r *report, explained, test *labelfree.Dataset) error {
	if err := writePNG(filepath.Join(dir, "roc.png"), rocPlot(r.roc, 360)); err != nil {
		return err
	}
	if r.detVsTruth != nil {
		pts := make([]features.CurvePoint, len(r.detVsTruth.Curve))
		for i, p := range r.detVsTruth.Curve {
			pts[i] = features.CurvePoint{FPR: p.Recall, TPR: p.Precision}
		}
		if err := writePNG(filepath.Join(dir, "pr.png"), rocPlot(pts, 360)); err != nil {
			return err
		}
	}
	if err := writePNG(filepath.Join(dir, "detector.png"), detectorGrid(test, 4, 12)); err != nil {
		return err
	}
	if err := writePNG(filepath.Join(dir, "lime.png"), limeGrid(explained, 4, 12)); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# labelfree: %s\n\n", r.cfg.query)
	fmt.Fprintf(&b, "Provider `%s`, seed %d, backbone `%s`.\n\n", r.provider, r.cfg.seed, orDefault(r.cfg.backbone, "embedded MobileNetV2"))
	b.WriteString("## Stages\n\n| stage | rows | failed | time |\n| --- | ---: | ---: | ---: |\n")
	for _, s := range r.steps {
		fmt.Fprintf(&b, "| %s | %d | %d | %v |\n", s.name, s.rows, s.failed, s.elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "\nDataset: %d images, %d set aside (%s); train %d, test %d.\n", r.rows, r.failedRows, failureText(r.failures), r.train, r.test)
	if m := r.metrics; m != nil {
		fmt.Fprintf(&b, "\n## Classifier (held-out test split)\n\n%s\n\n```\n%s\n```\n\n![ROC curve](roc.png)\n", m.String(), m.ConfusionString([]string{"other", r.cfg.query}))
	}
	l := r.lime
	fmt.Fprintf(&b, "\n## LIME boxes\n\n%d positives explained with %d samples each (%.2f s per image), mean local fidelity R² %.2f, %d flagged low-fidelity.\n\n", l.Explained, r.cfg.limeSamples, l.PerImage, l.MeanR2, l.LowFidelity)
	if l.Animals > 0 {
		b.WriteString("| rule | mean IoU | animals found (IoU ≥ 0.5) |\n| --- | ---: | ---: |\n")
		fmt.Fprintf(&b, "| seed: top 80%% of importance, one box (IoU against the box around all animals) | %.3f | %.3f |\n", l.SeedMeanIoU, l.SeedRecall)
		fmt.Fprintf(&b, "| labelfree default: density selection, one box per group (best IoU per animal) | %.3f | %.3f |\n\n", l.MultiMeanIoU, l.MultiRecall)
	}
	b.WriteString("![LIME heatmaps: green = labelfree boxes, yellow = seed rule, red = truth](lime.png)\n\n")
	if r.detVsLIME != nil {
		fmt.Fprintf(&b, "## Detector\n\nTrained on LIME's boxes and on negatives; %.1f ms per image against LIME's %.2f s (%.0f× cheaper).\n\n", 1000*r.detPerImage, r.lime.PerImage, r.lime.PerImage/max(r.detPerImage, 1e-9))
		b.WriteString("| boxes | against | AP@0.5 | AP@[.5:.95] | precision | recall |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
		row := func(what, against string, e *detect.Evaluation) {
			if e != nil {
				fmt.Fprintf(&b, "| %s | %s | %.3f | %.3f | %.3f | %.3f |\n", what, against, e.AP50, e.AP, e.Precision, e.Recall)
			}
		}
		row("detector (test images)", "truth", r.detVsTruth)
		row("LIME (explained images)", "truth", r.limeVsTruth)
		row("detector (explained images)", "LIME", r.detVsLIME)
		b.WriteString("\n![detector boxes (blue) and truth (red) on test images](detector.png)\n\n")
		if r.detVsTruth != nil {
			b.WriteString("![precision (up) against recall (right) of the detector on the test images](pr.png)\n\n")
		}
	}
	fmt.Fprintf(&b, "Pipeline saved to `%s`.\n", filepath.Base(r.pipelinePath))
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(b.String()), 0o644)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var (
	white  = color.RGBA{255, 255, 255, 255}
	black  = color.RGBA{0, 0, 0, 255}
	grey   = color.RGBA{190, 190, 190, 255}
	blue   = color.RGBA{30, 90, 200, 255}
	green  = color.RGBA{40, 220, 60, 255}
	red    = color.RGBA{230, 40, 40, 255}
	yellow = color.RGBA{250, 210, 0, 255}
)

// rocPlot draws the ROC curve in a size×size square.
func rocPlot(points []features.CurvePoint, size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	m := 24
	span := float64(size - 2*m)
	at := func(x, y float64) (int, int) {
		return m + int(x*span), size - m - int(y*span)
	}
	x0, y0 := at(0, 0)
	x1, y1 := at(1, 1)
	line(img, x0, y0, x1, y1, grey)
	line(img, x0, y0, x1, y0, black)
	line(img, x0, y0, x0, y1, black)
	line(img, x0, y1, x1, y1, grey)
	line(img, x1, y0, x1, y1, grey)
	px, py := at(0, 0)
	for _, p := range points {
		qx, qy := at(p.FPR, p.TPR)
		line(img, px, py, qx, qy, blue)
		line(img, px, py+1, qx, qy+1, blue)
		px, py = qx, qy
	}
	return img
}

// line draws a straight line with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int { return int(math.Abs(float64(v))) }

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// detectorGrid tiles up to n test images with animals: the detector's
// boxes (blue) and the truth (red).
func detectorGrid(ds *labelfree.Dataset, cols, n int) *image.RGBA {
	var tiles []*image.RGBA
	for _, r := range ds.OK() {
		truth, _ := labelfree.Get(r, labelfree.TrueBoxes)
		img, ok := labelfree.Get(r, labelfree.Image)
		if len(truth) == 0 || !ok || len(tiles) == n {
			continue
		}
		b := img.Bounds()
		t := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(t, t.Bounds(), img, b.Min, draw.Src)
		lime.DrawBoxes(t, truth, red, 2)
		pred, _ := labelfree.Get(r, labelfree.Boxes)
		lime.DrawBoxes(t, pred, blue, 2)
		tiles = append(tiles, t)
	}
	return tile(tiles, cols)
}

// limeGrid tiles up to n explained images: heatmap, labelfree's boxes
// (green), the seed rule's box (yellow) and the truth (red).
func limeGrid(ds *labelfree.Dataset, cols, n int) *image.RGBA {
	var tiles []*image.RGBA
	for _, r := range ds.OK() {
		if len(tiles) == n {
			break
		}
		ex, ok := labelfree.Get(r, lime.Explanations)
		img, ok2 := labelfree.Get(r, labelfree.Image)
		if !ok || !ok2 {
			continue
		}
		t := ex.Heatmap(img)
		truth, _ := labelfree.Get(r, labelfree.TrueBoxes)
		lime.DrawBoxes(t, truth, red, 2)
		lime.DrawBoxes(t, ex.Boxes(seedRule), yellow, 1)
		pred, _ := labelfree.Get(r, labelfree.Boxes)
		lime.DrawBoxes(t, pred, green, 2)
		tiles = append(tiles, t)
	}
	return tile(tiles, cols)
}

// tile lays images out in a grid with cols columns.
func tile(tiles []*image.RGBA, cols int) *image.RGBA {
	if len(tiles) == 0 {
		return image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	tw, th := 0, 0
	for _, t := range tiles {
		tw, th = max(tw, t.Bounds().Dx()), max(th, t.Bounds().Dy())
	}
	gap := 4
	cols = min(cols, len(tiles))
	rows := (len(tiles) + cols - 1) / cols
	out := image.NewRGBA(image.Rect(0, 0, cols*(tw+gap)-gap, rows*(th+gap)-gap))
	draw.Draw(out, out.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	for i, t := range tiles {
		at := image.Pt((i%cols)*(tw+gap), (i/cols)*(th+gap))
		draw.Draw(out, t.Bounds().Add(at), t, image.Point{}, draw.Src)
	}
	return out
}
