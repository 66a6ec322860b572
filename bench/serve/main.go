// Command serve measures HTTP serving latency on loopback, side by side in
// one run: a plain net/http handler that reads the body and writes a small
// JSON reply (the floor), labelfree's serve.Server running a trivial
// pipeline (a stage that reads the image bytes and writes probabilities, a
// prediction and a box; the image's header is still checked against the
// pixel limit), and serve.Server running a pipeline that decodes the JPEG
// (a stage reading labelfree.Image), the cost every image model pays
// before its own work.
//
// The servers run in a child process (this program with -child) so the
// load generator's allocations and scheduling do not share a Go runtime
// with them; both processes share the machine's cores. Rounds alternate
// floor, trivial and decode, so machine noise hits all three alike.
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
	"github.com/labelfree/labelfree/serve"
)

func main() {
	child := flag.Bool("child", false, "run the servers (internal)")
	duration := flag.Duration("duration", 3*time.Second, "measuring time per server, concurrency and round")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "unmeasured load before each measurement")
	rounds := flag.Int("rounds", 3, "rounds of floor, trivial, decode")
	conc := flag.String("c", "1,64", "comma-separated client counts")
	flag.Parse()
	if *child {
		runServers()
		return
	}
	payload := makeJPEG()
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(exe, "-child")
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
	addrs := strings.Fields(line)
	names := []string{"net/http floor", "labelfree trivial pipeline", "labelfree JPEG-decode pipeline"}

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
				load(url, payload, c, *warmup) // warm up connections and caches
				l, n, e, d := load(url, payload, c, *duration)
				k := key{s, c}
				lat[k] = append(lat[k], l...)
				count[k] += n
				errs[k] += e
				elapsed[k] += d
				fmt.Fprintf(os.Stderr, "round %d c=%d %-32s p50 %v\n", r+1, c, names[s], pct(l, 50))
			}
		}
	}
	fmt.Printf("payload: %d-byte %dx%d JPEG; GOMAXPROCS %d (servers and client share the cores); %d rounds of %v per cell\n\n",
		len(payload), payloadW, payloadH, runtime.GOMAXPROCS(0), *rounds, *duration)
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
			v := uint8(90 + 40*((x/16+y/16)%2) + rng.IntN(24))
			img.SetRGBA(x, y, color.RGBA{v, v - 10, v - 20, 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 60})
	return buf.Bytes()
}

// floorHandler is the floor: it reads the body and writes a small JSON
// reply, as peers.md's figure does.
func floorHandler(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"bytes":%d,"prediction":1}`+"\n", n)
}

// trivial reads the image's bytes and writes fixed outputs.
type trivial struct{}

func (*trivial) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "trivial", Reads: []labelfree.ColumnRef{labelfree.ImageBytes.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref(), labelfree.Boxes.Ref()}}
}

func (*trivial) Transform(ctx context.Context, r *labelfree.Row) error {
	b, err := labelfree.MustGet(r, labelfree.ImageBytes)
	if err != nil {
		return err
	}
	p := float64(len(b)%100) / 100
	labelfree.Set(r, labelfree.Probabilities, []float64{1 - p, p})
	labelfree.Set(r, labelfree.Prediction, 1)
	labelfree.Set(r, labelfree.Boxes, []labelfree.Box{{X0: 10, Y0: 20, X1: 110, Y1: 90, Score: p, Class: 1}})
	return nil
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

func runServers() {
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		return ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Request logs are formatted as in production and then discarded.
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	floorLn, trivialLn, decodeLn := listen(), listen(), listen()
	go (&http.Server{Handler: http.HandlerFunc(floorHandler)}).Serve(floorLn)
	var wg sync.WaitGroup
	for _, s := range []struct {
		ln    net.Listener
		stage labelfree.Stage
	}{{trivialLn, &trivial{}}, {decodeLn, &decoder{}}} {
		srv := &serve.Server{Model: &labelfree.PipelineModel{Stages: []labelfree.Stage{s.stage}},
			Classes: []string{"other", "snow leopard"}, Logger: logger, MaxQueue: 256}
		wg.Go(func() {
			if err := srv.Serve(ctx, s.ln); err != nil {
				log.Fatal(err)
			}
		})
	}
	fmt.Println(floorLn.Addr(), trivialLn.Addr(), decodeLn.Addr())
	io.Copy(io.Discard, os.Stdin) // the parent closes stdin when done
	cancel()
	wg.Wait()
}
