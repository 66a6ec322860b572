// Command logreg times features.LogisticRegression against scikit-learn's
// LogisticRegression (lbfgs) on the same embeddings, side by side: each
// round fits the Go model in this process, then runs sklearn_fit.py (which
// times its own fit, excluding Python start-up and loading), alternating so
// that machine noise hits both alike.
//
//	go run ./bench/logreg -rounds 5                 # synthetic 1280-d embeddings
//	go run ./bench/logreg -data /tmp/emb/real       # embeddings written by -write
//
// See run.sh, which installs scikit-learn and records the settings used in
// docs/benchmarks.md.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/labelfree/labelfree/features"
	"github.com/labelfree/labelfree/internal/cputime"
)

type meta struct {
	N      int `json:"n"`
	D      int `json:"d"`
	NTrain int `json:"n_train"`
}

type pyResult struct {
	FitS         float64 `json:"fit_s"`
	CPUS         float64 `json:"cpu_s"`
	Iterations   int     `json:"iterations"`
	TestAccuracy float64 `json:"test_accuracy"`
	Objective    float64 `json:"objective"`
}

func main() {
	var (
		data    = flag.String("data", "", "prefix of embeddings files (.json, .x.f32, .y.i32); empty generates synthetic ones")
		n       = flag.Int("n", 6000, "synthetic rows")
		ntrain  = flag.Int("ntrain", 4000, "synthetic training rows")
		d       = flag.Int("d", 1280, "synthetic embedding length")
		k       = flag.Int("k", 2, "synthetic classes")
		C       = flag.Float64("C", 1, "inverse regularisation strength, both libraries")
		sktol   = flag.Float64("sktol", 1e-4, "scikit-learn tol (its default 1e-4)")
		gotol   = flag.Float64("gotol", 0, "Go Tol; 0 matches scikit-learn's: sktol / n_train")
		maxIter = flag.Int("maxiter", 1000, "iteration limit, both")
		rounds  = flag.Int("rounds", 5, "alternating rounds")
		python  = flag.String("python", "/usr/bin/python3", "Python with scikit-learn")
	)
	flag.Parse()
	dir, err := os.MkdirTemp("", "logreg-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	prefix := *data
	if prefix == "" {
		prefix = filepath.Join(dir, "synthetic")
		if err := synthesize(prefix, *n, *ntrain, *d, *k); err != nil {
			log.Fatal(err)
		}
	}
	m, x, y, err := load(prefix)
	if err != nil {
		log.Fatal(err)
	}
	tol := *gotol
	if tol == 0 {
		tol = *sktol / float64(m.NTrain)
	}
	script := filepath.Join(filepath.Dir(os.Args[0]), "sklearn_fit.py")
	if _, err := os.Stat(script); err != nil {
		script = "bench/logreg/sklearn_fit.py"
	}
	fmt.Printf("data %s: %d train + %d test rows, %d features; C=%g, sklearn tol=%g, Go Tol=%g, GOMAXPROCS=%d\n",
		prefix, m.NTrain, m.N-m.NTrain, m.D, *C, *sktol, tol, runtime.GOMAXPROCS(0))
	var goT, pyT, goC, pyC []float64
	for r := range *rounds {
		lr := &features.LogisticRegression{C: *C, Tol: tol, MaxIter: *maxIter}
		start, cpu0 := time.Now(), cputime.Process().Seconds()
		model, err := lr.FitXY(context.Background(), x[:m.NTrain], y[:m.NTrain], 0)
		el, cpu := time.Since(start).Seconds(), cputime.Process().Seconds()-cpu0
		if err != nil {
			log.Fatal(err)
		}
		correct := 0
		for i := m.NTrain; i < m.N; i++ {
			p, err := model.PredictProba(x[i])
			if err != nil {
				log.Fatal(err)
			}
			if slices.Index(p, slices.Max(p)) == y[i] {
				correct++
			}
		}
		goT = append(goT, el)
		goC = append(goC, cpu)
		fmt.Printf("round %d  Go      fit %7.3f s  cpu %7.3f s  %4d iterations  test acc %.4f  objective %.10f  (%s)\n",
			r, el, cpu, model.Result.Iterations, float64(correct)/float64(m.N-m.NTrain), model.Result.Objective, model.Result.Status)

		out, err := exec.Command(*python, script, prefix, fmt.Sprint(*C), fmt.Sprint(*sktol), fmt.Sprint(*maxIter)).Output()
		if err != nil {
			log.Fatalf("sklearn: %v", err)
		}
		var py pyResult
		if err := json.Unmarshal(out, &py); err != nil {
			log.Fatalf("sklearn output %q: %v", out, err)
		}
		pyT = append(pyT, py.FitS)
		pyC = append(pyC, py.CPUS)
		fmt.Printf("round %d  sklearn fit %7.3f s  cpu %7.3f s  %4d iterations  test acc %.4f  objective %.10f\n",
			r, py.FitS, py.CPUS, py.Iterations, py.TestAccuracy, py.Objective)
	}
	med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	gt, pt, gc, pc := med(goT), med(pyT), med(goC), med(pyC)
	fmt.Printf("median fit wall: Go %.3f s, scikit-learn %.3f s (sklearn/Go %.2fx)\n", gt, pt, pt/gt)
	fmt.Printf("median fit CPU:  Go %.3f s, scikit-learn %.3f s (sklearn/Go %.2fx)\n", gc, pc, pc/gc)
}

// synthesize writes k-class embeddings that look like CNN features:
// non-negative (ReLU6 outputs, averaged), correlated through a low-rank
// latent factor, with class information spread thinly over many features.
func synthesize(prefix string, n, ntrain, d, k int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	const rank = 32
	basis := make([]float64, rank*d)
	for i := range basis {
		basis[i] = rng.NormFloat64() / math.Sqrt(rank)
	}
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, rank)
		for j := range centres[c] {
			centres[c][j] = rng.NormFloat64() * 0.35
		}
	}
	x := make([]float32, n*d)
	y := make([]int32, n)
	z := make([]float64, rank)
	for i := range n {
		c := rng.IntN(k)
		y[i] = int32(c)
		for j := range z {
			z[j] = centres[c][j] + rng.NormFloat64()
		}
		for f := range d {
			v := 0.5 + 0.3*rng.NormFloat64()
			for j := range rank {
				v += z[j] * basis[j*d+f]
			}
			x[i*d+f] = float32(min(6, max(0, v)))
		}
	}
	return write(prefix, meta{N: n, D: d, NTrain: ntrain}, x, y)
}

func write(prefix string, m meta, x []float32, y []int32) error {
	mj, _ := json.Marshal(m)
	if err := os.WriteFile(prefix+".json", mj, 0o644); err != nil {
		return err
	}
	fx, err := os.Create(prefix + ".x.f32")
	if err != nil {
		return err
	}
	if err := binary.Write(fx, binary.LittleEndian, x); err != nil {
		return err
	}
	if err := fx.Close(); err != nil {
		return err
	}
	fy, err := os.Create(prefix + ".y.i32")
	if err != nil {
		return err
	}
	if err := binary.Write(fy, binary.LittleEndian, y); err != nil {
		return err
	}
	return fy.Close()
}

func load(prefix string) (meta, [][]float32, []int, error) {
	var m meta
	b, err := os.ReadFile(prefix + ".json")
	if err != nil {
		return m, nil, nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, nil, nil, err
	}
	xb, err := os.ReadFile(prefix + ".x.f32")
	if err != nil {
		return m, nil, nil, err
	}
	yb, err := os.ReadFile(prefix + ".y.i32")
	if err != nil {
		return m, nil, nil, err
	}
	if len(xb) != 4*m.N*m.D || len(yb) != 4*m.N || m.NTrain <= 0 || m.NTrain > m.N {
		return m, nil, nil, fmt.Errorf("%s: sizes do not match %+v", prefix, m)
	}
	x := make([][]float32, m.N)
	y := make([]int, m.N)
	for i := range x {
		x[i] = make([]float32, m.D)
		for j := range x[i] {
			x[i][j] = math.Float32frombits(binary.LittleEndian.Uint32(xb[4*(i*m.D+j):]))
		}
		y[i] = int(int32(binary.LittleEndian.Uint32(yb[4*i:])))
	}
	return m, x, y, nil
}
