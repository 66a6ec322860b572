// Command cnn benchmarks labelfree's ONNX engine (internal/nn) against
// PyTorch on the CPU, side by side in one run: for each model and batch
// size it times labelfree, then PyTorch (a subprocess with
// torch.set_num_threads equal to GOMAXPROCS), and prints a Markdown table
// of images per second (best of -iters runs after a warm-up).
//
//	go run ./bench/cnn -iters 5
//
// Models are the fixed-seed torchvision exports of
// internal/nn/testdata/gen_torchvision.py, generated into -dir when missing.
// Needs Debian python3-torch, python3-torchvision and python3-onnx.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/labelfree/labelfree/internal/nn"
)

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "labelfree-nn-torchvision"), "directory of the ONNX exports")
	models := flag.String("models", "resnet50,resnet18,mobilenet_v2", "comma-separated models")
	batches := flag.String("batches", "1,16", "comma-separated batch sizes")
	iters := flag.Int("iters", 5, "timed runs per configuration (best is reported)")
	flag.Parse()
	threads := runtime.GOMAXPROCS(0)
	if _, err := os.Stat(filepath.Join(*dir, "mobilenet_v2.onnx")); err != nil {
		out, err := exec.Command("/usr/bin/python3", "internal/nn/testdata/gen_torchvision.py", *dir).CombinedOutput()
		if err != nil {
			log.Fatalf("generating models: %v\n%s", err, out)
		}
	}
	fmt.Printf("| model | batch | labelfree img/s | PyTorch img/s | ratio | labelfree allocs/run |\n|---|---|---|---|---|---|\n")
	for _, name := range strings.Split(*models, ",") {
		f, err := os.Open(filepath.Join(*dir, name+".onnx"))
		if err != nil {
			log.Fatal(err)
		}
		m, err := nn.Load(f, nil)
		f.Close()
		if err != nil {
			log.Fatal(err)
		}
		for _, bs := range strings.Split(*batches, ",") {
			batch, err := strconv.Atoi(bs)
			if err != nil {
				log.Fatal(err)
			}
			ours, allocs := timeGo(m, batch, *iters)
			theirs := timeTorch(name, bs, *iters, threads)
			fmt.Printf("| %s | %d | %.2f | %.2f | %.2fx | %.0f |\n", name, batch, ours, theirs, ours/theirs, allocs)
		}
	}
}

// timeTorch runs PyTorch twice, with OpenMP's default (spinning) and
// passive wait policies, and keeps the faster: on a busy machine spinning
// threads lose most of their time, and the peer should not be penalised.
func timeTorch(name, batch string, iters, threads int) float64 {
	best := 0.0
	for _, policy := range []string{"", "PASSIVE"} {
		cmd := exec.Command("/usr/bin/python3", "bench/cnn/torch_bench.py", name, batch, strconv.Itoa(iters), strconv.Itoa(threads))
		cmd.Env = os.Environ()
		if policy != "" {
			cmd.Env = append(cmd.Env, "OMP_WAIT_POLICY="+policy)
		}
		out, err := cmd.Output()
		if err != nil {
			log.Fatalf("torch: %v", err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			log.Fatal(err)
		}
		best = max(best, v)
	}
	return best
}

func timeGo(m *nn.Model, batch, iters int) (imgPerSec, allocsPerRun float64) {
	x := &nn.Tensor{Shape: []int{batch, 3, 224, 224}, Data: make([]float32, batch*3*224*224)}
	for k := range x.Data {
		x.Data[k] = float32(k%255)/255 - 0.5
	}
	s := m.NewSession()
	out := []*nn.Tensor{{}}
	ctx := context.Background()
	if err := s.Run(ctx, []*nn.Tensor{x}, out); err != nil {
		log.Fatal(err)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	best := time.Duration(1 << 62)
	for i := 0; i < iters; i++ {
		t := time.Now()
		if err := s.Run(ctx, []*nn.Tensor{x}, out); err != nil {
			log.Fatal(err)
		}
		best = min(best, time.Since(t))
	}
	runtime.ReadMemStats(&ms1)
	return float64(batch) / best.Seconds(), float64(ms1.Mallocs-ms0.Mallocs) / float64(iters)
}
