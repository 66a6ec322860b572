// Command cnn benchmarks labelfree's ONNX engine (internal/nn) against
// PyTorch on the CPU, side by side in one run. For each model and batch size
// it alternates single timed runs: labelfree, then PyTorch with OpenMP's
// default (spinning) wait policy, then PyTorch with the passive one, -iters
// times after a warm-up, and reports the best run of each (for PyTorch the
// better policy: on a busy machine spinning threads lose most of their time,
// and the peer should not be penalised for it). PyTorch runs in two
// long-lived subprocesses (bench/cnn/torch_bench.py) with
// torch.set_num_threads equal to GOMAXPROCS.
//
//	go run ./bench/cnn -iters 5
//
// Built with -tags onnxruntime (cgo) and run with LABELFREE_ONNXRUNTIME_LIB
// naming libonnxruntime.so, it also times the same model on the
// onnxruntime engine (nn.EngineONNXRuntime) in the same alternation, with
// spinning worker threads and without (ONNXRuntimeNoSpin), keeping the
// better, as for PyTorch; so one run compares pure Go, onnxruntime and
// PyTorch side by side:
//
//	go build -tags onnxruntime -o /tmp/cnnbench-ort ./bench/cnn
//	LABELFREE_ONNXRUNTIME_LIB=/path/to/libonnxruntime.so.1 /tmp/cnnbench-ort -iters 5
//
// Models are the fixed-seed torchvision exports of
// internal/nn/testdata/gen_torchvision.py, generated into -dir when missing.
// Needs Debian python3-torch, python3-torchvision and python3-onnx; -torch=false
// leaves PyTorch out (any NCHW 224×224 model named NAME.onnx in -dir runs).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
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
	iters := flag.Int("iters", 5, "timed runs per configuration (the best is reported)")
	withTorch := flag.Bool("torch", true, "time PyTorch too")
	flag.Parse()
	withORT := nn.ONNXRuntimeBuilt()
	threads := runtime.GOMAXPROCS(0)
	if _, err := os.Stat(filepath.Join(*dir, "mobilenet_v2.onnx")); err != nil {
		out, err := exec.Command("/usr/bin/python3", "internal/nn/testdata/gen_torchvision.py", *dir).CombinedOutput()
		if err != nil {
			log.Fatalf("generating models: %v\n%s", err, out)
		}
	}
	var spin, passive *torch
	if *withTorch {
		spin = startTorch(threads, "")
		passive = startTorch(threads, "PASSIVE")
	}
	fmt.Printf("GEMM backend: %s, GOMAXPROCS=%d, torch threads=%d, onnxruntime engine: %v (intra-op threads %d)\n\n", nn.GEMMBackend(), threads, threads, withORT, threads)
	fmt.Printf("| model | batch | labelfree img/s | onnxruntime img/s | PyTorch img/s | labelfree/PyTorch | onnxruntime/PyTorch | labelfree allocs/run |\n|---|---|---|---|---|---|---|---|\n")
	load := func(name string, opts *nn.Options) *nn.Model {
		f, err := os.Open(filepath.Join(*dir, name+".onnx"))
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		m, err := nn.Load(f, opts)
		if err != nil {
			log.Fatal(err)
		}
		return m
	}
	for _, name := range strings.Split(*models, ",") {
		m := load(name, nil)
		var om, omPassive *nn.Model
		if withORT {
			om = load(name, &nn.Options{Engine: nn.EngineONNXRuntime})
			omPassive = load(name, &nn.Options{Engine: nn.EngineONNXRuntime, ONNXRuntimeNoSpin: true})
		}
		for _, bs := range strings.Split(*batches, ",") {
			batch, err := strconv.Atoi(bs)
			if err != nil {
				log.Fatal(err)
			}
			x := &nn.Tensor{Shape: []int{batch, 3, 224, 224}, Data: make([]float32, batch*3*224*224)}
			for k := range x.Data {
				x.Data[k] = float32(k%255)/255 - 0.5
			}
			s := m.NewSession()
			in, out := []*nn.Tensor{x}, []*nn.Tensor{{}}
			ctx := context.Background()
			var ortS, ortP *nn.Session
			oout := []*nn.Tensor{{}}
			runORT := func(s *nn.Session) time.Duration {
				t := time.Now()
				if err := s.Run(ctx, in, oout); err != nil {
					log.Fatal(err)
				}
				return time.Since(t)
			}
			// warm-up
			if err := s.Run(ctx, in, out); err != nil {
				log.Fatal(err)
			}
			if om != nil {
				ortS, ortP = om.NewSession(), omPassive.NewSession()
				runORT(ortS)
				runORT(ortP)
			}
			if spin != nil {
				spin.run(name, batch)
				passive.run(name, batch)
			}
			inf := time.Duration(1 << 62)
			ours, native, theirs := inf, inf, inf
			var mallocs uint64
			for i := 0; i < *iters; i++ {
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				t := time.Now()
				if err := s.Run(ctx, in, out); err != nil {
					log.Fatal(err)
				}
				ours = min(ours, time.Since(t))
				runtime.ReadMemStats(&ms1)
				mallocs += ms1.Mallocs - ms0.Mallocs
				if ortS != nil {
					native = min(native, runORT(ortS), runORT(ortP))
				}
				if spin != nil {
					theirs = min(theirs, spin.run(name, batch), passive.run(name, batch))
				}
			}
			rate := func(d time.Duration) string {
				if d == inf {
					return "–"
				}
				return fmt.Sprintf("%.2f", float64(batch)/d.Seconds())
			}
			ratio := func(a, b time.Duration) string {
				if a == inf || b == inf {
					return "–"
				}
				return fmt.Sprintf("%.2fx", b.Seconds()/a.Seconds())
			}
			fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %.1f |\n", name, batch, rate(ours), rate(native), rate(theirs),
				ratio(ours, theirs), ratio(native, theirs), float64(mallocs)/float64(*iters))
		}
	}
}

type torch struct {
	in  io.Writer
	out *bufio.Scanner
}

func startTorch(threads int, policy string) *torch {
	cmd := exec.Command("/usr/bin/python3", "bench/cnn/torch_bench.py", strconv.Itoa(threads))
	cmd.Env = os.Environ()
	if policy != "" {
		cmd.Env = append(cmd.Env, "OMP_WAIT_POLICY="+policy)
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		log.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatalf("starting PyTorch: %v", err)
	}
	return &torch{in: in, out: bufio.NewScanner(out)}
}

// run times one PyTorch forward pass.
func (t *torch) run(model string, batch int) time.Duration {
	fmt.Fprintf(t.in, "%s %d\n", model, batch)
	if !t.out.Scan() {
		log.Fatalf("PyTorch exited: %v", t.out.Err())
	}
	sec, err := strconv.ParseFloat(strings.TrimSpace(t.out.Text()), 64)
	if err != nil {
		log.Fatal(err)
	}
	return time.Duration(sec * float64(time.Second))
}
