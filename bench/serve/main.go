// Command serve measures HTTP serving latency on loopback, side by side in
// one run: a plain net/http handler that reads the body and writes a small
// JSON reply (the floor), labelfree's serve.Server running a trivial
// pipeline (a stage that reads the image bytes and writes probabilities, a
// prediction and a box; the image's header is still checked against the
// pixel limit), and serve.Server running a pipeline that decodes the JPEG
// (a stage reading labelfree.Image), the cost every image model pays
// before its own work, and a real classifier: features.ImageFeaturizer
// (the embedded MobileNetV2, pure Go) and a fitted
// features.LogisticRegression, served through the micro-batcher, and the
// detector pipeline examples/snowleopard saves: that classifier followed by
// a detect.Detector (MobileNetV2 trunk and a CenterNet-style head), two
// micro-batched stages. The detector pipeline is trained in a few seconds
// on synthetic scenes (dataset/synth) with their true boxes: what it
// detects does not matter here, only what serving it costs. Give
// -detector-model snowleopard.lfp to serve a saved pipeline instead.
//
// Each server runs in its own child process (this program with -child),
// so neither the load generator nor another server shares its Go runtime
// (garbage collector, scheduler); all processes share the machine's cores. Rounds alternate
// the servers, so machine noise hits all of them alike.
//
//	go run ./bench/serve -duration 3s -rounds 3
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/synth"
	"github.com/labelfree/labelfree/detect"
	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/internal/servetest"
	"github.com/labelfree/labelfree/serve"
)

func main() {
	child := flag.String("child", "", "run one server: floor, trivial, decode, model or detector (internal)")
	duration := flag.Duration("duration", 3*time.Second, "measuring time per server, concurrency and round")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "unmeasured load before each measurement")
	rounds := flag.Int("rounds", 3, "rounds of floor, trivial, decode")
	conc := flag.String("c", "1,64", "comma-separated client counts")
	withModel := flag.Bool("model", true, "also serve MobileNetV2 + logistic regression")
	withDetector := flag.Bool("detector", true, "also serve the classifier + detector pipeline")
	flag.StringVar(&detectorModel, "detector-model", "", "serve this saved classifier + detector pipeline (snowleopard.lfp) instead of training one on synthetic scenes")
	modelDuration := flag.Duration("model-duration", 15*time.Second, "measuring time for the MobileNetV2 and detector servers (their requests take seconds at 64 clients)")
	flag.Parse()
	if *child != "" {
		runServer(*child)
		return
	}
	payload := makeJPEG()
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	kinds := []string{"floor", "trivial", "decode"}
	if *withModel {
		kinds = append(kinds, "model")
	}
	if *withDetector {
		kinds = append(kinds, "detector")
	}
	var addrs []string
	for _, k := range kinds {
		// One process per server, so one server's garbage collection and
		// goroutines do not slow another.
		cmd := exec.Command(exe, "-child", k, "-detector-model", detectorModel)
		cmd.Stderr = os.Stderr
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			log.Fatal(err)
		}
		defer func() { stdin.Close(); cmd.Wait() }()
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			log.Fatal(err)
		}
		addrs = append(addrs, strings.TrimSpace(line))
	}
	var names []string
	for _, k := range kinds {
		names = append(names, serverNames[k])
	}

	var cs []int
	for _, f := range strings.Split(*conc, ",") {
		var c int
		fmt.Sscan(f, &c)
		cs = append(cs, c)
	}
	type key struct{ server, c int }
	lat := map[key][]time.Duration{}
	count := map[key]int{}
	errs := map[key]int{}
	elapsed := map[key]time.Duration{}
	for r := range *rounds {
		for _, c := range cs {
			for s, addr := range addrs {
				url := "http://" + addr + "/v1/predict"
				dur := *duration
				if slow(kinds[s]) {
					dur = max(dur, *modelDuration)
				}
				load(url, payload, c, *warmup) // warm up connections and caches
				l, n, e, d := load(url, payload, c, dur)
				k := key{s, c}
				lat[k] = append(lat[k], l...)
				count[k] += n
				errs[k] += e
				elapsed[k] += d
				fmt.Fprintf(os.Stderr, "round %d c=%d %-32s p50 %v\n", r+1, c, names[s], pct(l, 50))
			}
		}
	}
	for s, addr := range addrs {
		if slow(kinds[s]) {
			for _, b := range batchSizes("http://" + addr + "/metrics") {
				fmt.Printf("%s: stage %s ran %d micro-batches over the whole run, mean size %.1f\n", names[s], b.stage, b.count, b.mean)
			}
		}
	}
	fmt.Printf("payload: %d-byte %dx%d JPEG; GOMAXPROCS %d (servers and client share the cores); %d rounds of %v per cell (%v for the CNN pipelines)\n\n",
		len(payload), payloadW, payloadH, runtime.GOMAXPROCS(0), *rounds, *duration, max(*duration, *modelDuration))
	fmt.Println("| server | clients | p50 | p90 | p99 | requests/s | errors | p50 / floor |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, c := range cs {
		floor := pct(lat[key{0, c}], 50)
		for s := range addrs {
			k := key{s, c}
			l := lat[k]
			fmt.Printf("| %s | %d | %s | %s | %s | %.0f | %d | %.2fx |\n", names[s], c,
				us(pct(l, 50)), us(pct(l, 90)), us(pct(l, 99)),
				float64(count[k])/elapsed[k].Seconds(), errs[k], float64(pct(l, 50))/float64(floor))
		}
	}
}

var serverNames = map[string]string{
	"floor":    "net/http floor",
	"trivial":  "labelfree trivial pipeline",
	"decode":   "labelfree JPEG-decode pipeline",
	"model":    "labelfree MobileNetV2 + logistic regression",
	"detector": "labelfree classifier + detector (snowleopard)",
}

// slow reports the servers that run a CNN per request.
func slow(kind string) bool { return kind == "model" || kind == "detector" }

type batchStat struct {
	stage string
	count int
	mean  float64
}

// batchSizes reads the server's batch-size histograms, one per batched
// stage, from /metrics.
func batchSizes(url string) []batchStat {
	resp, err := http.Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	sums, counts := map[string]float64{}, map[string]float64{}
	var stages []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		var m map[string]float64
		switch {
		case strings.HasPrefix(line, "labelfree_serve_batch_size_sum{"):
			m = sums
		case strings.HasPrefix(line, "labelfree_serve_batch_size_count{"):
			m = counts
		default:
			continue
		}
		_, rest, _ := strings.Cut(line, `stage="`)
		stage, _, _ := strings.Cut(rest, `"`)
		var v float64
		fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v)
		if !seen[stage] {
			seen[stage] = true
			stages = append(stages, stage)
		}
		m[stage] = v
	}
	var out []batchStat
	for _, st := range stages {
		if counts[st] > 0 {
			out = append(out, batchStat{st, int(counts[st]), sums[st] / counts[st]})
		}
	}
	return out
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3) }

func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}

// load runs c clients, each with its own keep-alive connection, posting
// payload back to back for d; it returns the latencies of the successful
// requests, their count, the failures and the time measured.
func load(url string, payload []byte, c int, d time.Duration) ([]time.Duration, int, int, time.Duration) {
	tr := &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var all []time.Duration
	var failed atomic.Int64
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			mine := make([]time.Duration, 0, 1<<14)
			for time.Now().Before(stop) {
				t0 := time.Now()
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
				req.Header.Set("Content-Type", "image/jpeg")
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all, len(all), int(failed.Load()), time.Since(start)
}

const payloadW, payloadH = 320, 240

// makeJPEG makes a camera-trap-like 320×240 JPEG of about 20 KB.
func makeJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, payloadW, payloadH))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range payloadH {
		for x := range payloadW {
			v := uint8(90 + 40*((x/16+y/16)%2) + rng.IntN(40))
			img.SetRGBA(x, y, color.RGBA{v, v - 10, v - 20, 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75})
	return buf.Bytes()
}

// floorHandler is the floor: it reads the body and writes a small JSON
// reply, as peers.md's figure does.
func floorHandler(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"bytes":%d,"prediction":1}`+"\n", n)
}

// decoder reads the decoded image and boxes it whole.
type decoder struct{}

func (*decoder) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "decode", Reads: []labelfree.ColumnRef{labelfree.Image.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Prediction.Ref(), labelfree.Boxes.Ref()}}
}

func (*decoder) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	b := img.Bounds()
	labelfree.Set(r, labelfree.Prediction, 1)
	labelfree.Set(r, labelfree.Boxes, []labelfree.Box{{X1: float64(b.Dx()), Y1: float64(b.Dy()), Score: 1, Class: 1}})
	return nil
}

// fitClassifier fits MobileNetV2 embeddings + logistic regression on a
// few synthetic light and dark scenes: a real classifier pipeline, served
// with its BatchTransformer featurizer behind the micro-batcher.
func fitClassifier() *labelfree.PipelineModel {
	var rows []*labelfree.Row
	for i := range 8 {
		img := image.NewRGBA(image.Rect(0, 0, payloadW, payloadH))
		base := uint8(40 + 160*(i%2))
		for y := range payloadH {
			for x := range payloadW {
				v := base + uint8((x*7+y*3+i*11)%40)
				img.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			}
		}
		r := labelfree.NewRow(fmt.Sprint(i))
		labelfree.Set(r, labelfree.Image, image.Image(img))
		labelfree.Set(r, labelfree.Label, i%2)
		rows = append(rows, r)
	}
	ds := labelfree.NewDataset(rows...)
	ds.Classes = []string{"dark", "light"}
	p, err := labelfree.NewPipeline(&features.ImageFeaturizer{}, &features.LogisticRegression{})
	if err != nil {
		log.Fatal(err)
	}
	model, _, err := (&labelfree.Executor{}).Fit(context.Background(), p, ds)
	if err != nil {
		log.Fatal(err)
	}
	return model
}

// detectorModel is the -detector-model flag: a saved pipeline to serve as
// the detector server.
var detectorModel string

// fitDetector builds the pipeline examples/snowleopard saves, a classifier
// (MobileNetV2 embeddings, stretched, and a balanced, standardised
// logistic regression) followed by a detector, on 16 synthetic scenes,
// half of them with a cat: the classifier learns the labels, the detector
// the cats' true boxes (the example trains it on LIME's), in a few seconds.
// Serving latency depends on the stages and their input sizes, not on how
// well they were trained; the detector still learns enough to report
// boxes, so replies carry them as a real detector's do.
func fitDetector() *labelfree.PipelineModel {
	if detectorModel != "" {
		m, err := labelfree.LoadFile(detectorModel)
		if err != nil {
			log.Fatal(err)
		}
		return m
	}
	ctx := context.Background()
	var rows []*labelfree.Row
	for i := range 16 {
		animals := i % 2
		sc, err := synth.Render(synth.Spec{Seed: uint64(i + 1), Width: payloadW, Height: payloadH, Animals: animals, Clutter: 6})
		if err != nil {
			log.Fatal(err)
		}
		r := labelfree.NewRow(fmt.Sprint("scene-", i))
		labelfree.Set(r, labelfree.Image, image.Image(sc.Image))
		labelfree.Set(r, labelfree.Label, animals)
		labelfree.Set(r, labelfree.TrueBoxes, sc.Boxes)
		rows = append(rows, r)
	}
	ds := labelfree.NewDataset(rows...)
	ds.Classes = []string{"other", "snow leopard"}
	p, err := labelfree.NewPipeline(
		&features.ImageFeaturizer{Crop: features.Stretch},
		&features.LogisticRegression{Balanced: true, Standardize: true, C: 0.1},
	)
	if err != nil {
		log.Fatal(err)
	}
	model, _, err := (&labelfree.Executor{}).Fit(ctx, p, ds)
	if err != nil {
		log.Fatal(err)
	}
	trainer := &detect.Trainer{Input: labelfree.TrueBoxes, Classes: []int{synth.AnimalClass}, Epochs: 20,
		Augmentations: -1, ValidationFraction: -1, Seed: 1}
	det, err := trainer.Train(ctx, ds)
	if err != nil {
		log.Fatal(err)
	}
	model.Stages = append(model.Stages, det)
	return model
}

func runServer(kind string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var model *labelfree.PipelineModel
	switch kind {
	case "floor":
		go (&http.Server{Handler: http.HandlerFunc(floorHandler)}).Serve(ln)
		close(done)
	case "trivial":
		model = &labelfree.PipelineModel{Stages: []labelfree.Stage{&servetest.Trivial{}}}
	case "decode":
		model = &labelfree.PipelineModel{Stages: []labelfree.Stage{&decoder{}}}
	case "model":
		model = fitClassifier()
	case "detector":
		model = fitDetector()
	default:
		log.Fatalf("unknown server %q", kind)
	}
	if model != nil {
		// Request logs are formatted as in production and then discarded.
		srv := &serve.Server{Model: model, Classes: []string{"other", "snow leopard"},
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), MaxQueue: 256, RequestTimeout: time.Minute}
		go func() {
			defer close(done)
			if err := srv.Serve(ctx, ln); err != nil {
				log.Fatal(err)
			}
		}()
	}
	fmt.Println(ln.Addr())
	io.Copy(io.Discard, os.Stdin) // the parent closes stdin when done
	cancel()
	<-done
}
