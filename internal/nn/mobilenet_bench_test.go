package nn

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/labelfree/labelfree/internal/cputime"
)

// detectorBackbone loads the features package's embedded MobileNetV2 cut at
// block_12_add with a 256×192 input, as the detect package runs it.
func detectorBackbone(tb testing.TB) *Model {
	tb.Helper()
	f, err := os.Open("../../features/models/mobilenetv2_nsfwjs.onnx")
	if err != nil {
		tb.Skip(err)
	}
	defer f.Close()
	m, err := Load(f, &Options{InputShapes: map[string][]int{"": {-1, 3, 192, 256}}, Outputs: []string{"block_12_add"}})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkDetectorBackbone times the detector's backbone (MobileNetV2 cut
// at block_12_add, 256×192) at batch 1 and 16 on one and two threads, and
// reports process CPU milliseconds per image beside img/s.
func BenchmarkDetectorBackbone(b *testing.B) {
	m := detectorBackbone(b)
	for _, batch := range []int{1, 16} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("batch=%d/threads=%d", batch, threads), func(b *testing.B) {
				x := rampInput(batch, 3, 192, 256)
				s := m.NewSession()
				s.SetThreads(threads)
				out := []*Tensor{{}}
				ctx := context.Background()
				if err := s.Run(ctx, []*Tensor{x}, out); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				c0 := cputime.Process()
				for i := 0; i < b.N; i++ {
					if err := s.Run(ctx, []*Tensor{x}, out); err != nil {
						b.Fatal(err)
					}
				}
				cpu := cputime.Process() - c0
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
				b.ReportMetric(cpu.Seconds()*1e3/float64(b.N*batch), "cpu-ms/img")
			})
		}
	}
}

// TestDetectorBackboneSteps prints the time of each plan step of the
// detector's backbone, on one thread, grouped by operator and shape
// (LABELFREE_NN_STEPS=batch, say 1 or 16).
func TestDetectorBackboneSteps(t *testing.T) {
	env := os.Getenv("LABELFREE_NN_STEPS")
	if env == "" {
		t.Skip("set LABELFREE_NN_STEPS to the batch size")
	}
	var batch int
	fmt.Sscan(env, &batch)
	m := detectorBackbone(t)
	x := rampInput(batch, 3, 192, 256)
	s := m.NewSession()
	s.SetThreads(1)
	out := []*Tensor{{}}
	ctx := context.Background()
	if err := s.Run(ctx, []*Tensor{x}, out); err != nil {
		t.Fatal(err)
	}
	g := s.p.g
	for k, id := range g.inputs {
		if err := s.bindInput(id, []*Tensor{x}[k]); err != nil {
			t.Fatal(err)
		}
	}
	const reps = 5
	times := make([]time.Duration, len(s.p.steps))
	desc := make([]string, len(s.p.steps))
	for r := 0; r < reps; r++ {
		for k, st := range s.p.steps {
			t0 := time.Now()
			if err := st.k.run(s, s.ins[k], s.outs[k]); err != nil {
				t.Fatal(err)
			}
			times[k] += time.Since(t0)
			if r == 0 {
				var sh []string
				for _, v := range s.ins[k] {
					if v != nil {
						sh = append(sh, fmt.Sprint(v.shape))
					}
				}
				desc[k] = fmt.Sprintf("%-6s %s %T %+v", st.op, strings.Join(sh, " "), st.k, st.k)
			}
			for _, id := range st.release {
				v := &s.vals[id]
				if v.f != nil {
					s.putBuf(v.f)
					v.f = nil
				}
			}
		}
	}
	var total time.Duration
	byOp := map[string]time.Duration{}
	for k := range times {
		total += times[k]
		byOp[s.p.steps[k].op] += times[k]
	}
	for k := range times {
		t.Logf("%7.3f ms %s", float64(times[k])/reps/1e6/float64(batch), desc[k])
	}
	var ops []string
	for op := range byOp {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return byOp[ops[i]] > byOp[ops[j]] })
	for _, op := range ops {
		t.Logf("%-10s %7.3f ms/img %5.1f%%", op, float64(byOp[op])/reps/1e6/float64(batch), 100*float64(byOp[op])/float64(total))
	}
	t.Logf("total %.3f ms/img (one thread)", float64(total)/reps/1e6/float64(batch))
}
