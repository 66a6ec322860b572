package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree/internal/nn/onnxpb"
)

// onnxNodeTests is where Debian's libonnx-testdata installs the official
// ONNX backend node tests.
const onnxTestData = "/usr/share/libonnx-testdata/data"

// onnxSuites are the suites run: operator node tests, and small PyTorch
// modules (grouped and depthwise convs, pools, BatchNorm) converted to ONNX.
var onnxSuites = []string{"node", "pytorch-converted", "pytorch-operator", "simple"}

// TestONNXConformance runs every backend node test whose operators are all
// supported. A test either passes, or is rejected at load with an error
// wrapping ErrUnsupported (an attribute value or element type outside what
// the engine implements, e.g. uint8 Add or Dropout training mode); any other
// outcome fails.
func TestONNXConformance(t *testing.T) {
	if _, err := os.Stat(onnxTestData); err != nil {
		t.Skipf("ONNX backend tests not installed (apt-get install libonnx-testdata): %v", err)
	}
	var dirs []string
	for _, suite := range onnxSuites {
		entries, err := os.ReadDir(filepath.Join(onnxTestData, suite))
		require.NoError(t, err)
		for _, e := range entries {
			dirs = append(dirs, filepath.Join(onnxTestData, suite, e.Name()))
		}
	}
	supported := map[string]bool{}
	for _, op := range SupportedOps() {
		supported[op] = true
	}
	type count struct{ pass, rejected int }
	perOp := map[string]*count{}
	var rejected []string
	total := 0
	for _, dir := range dirs {
		name := filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
		raw, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			continue
		}
		mp := &onnxpb.ModelProto{}
		require.NoError(t, unmarshal(raw, mp), name)
		ops := map[string]bool{}
		ok := true
		for _, n := range mp.GetGraph().GetNode() {
			ops[n.GetOpType()] = true
			ok = ok && supported[n.GetOpType()] && (n.GetDomain() == "" || n.GetDomain() == "ai.onnx")
		}
		if !ok || len(ops) == 0 {
			continue
		}
		total++
		bump := func(pass bool) {
			for op := range ops {
				if perOp[op] == nil {
					perOp[op] = &count{}
				}
				if pass {
					perOp[op].pass++
				} else {
					perOp[op].rejected++
				}
			}
		}
		m, err := Load(strings.NewReader(string(raw)), nil)
		if err != nil {
			if errors.Is(err, ErrUnsupported) {
				bump(false)
				rejected = append(rejected, fmt.Sprintf("%s: %v", name, err))
				continue
			}
			t.Errorf("%s: load: %v", name, err)
			continue
		}
		sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
		require.NotEmpty(t, sets, name)
		good := true
		for _, set := range sets {
			if err := runNodeTest(m, set); err != nil {
				t.Errorf("%s/%s: %v", name, filepath.Base(set), err)
				good = false
			}
		}
		if good {
			bump(true)
		}
	}
	var names []string
	for op := range perOp {
		names = append(names, op)
	}
	sort.Strings(names)
	passed := 0
	for _, op := range names {
		t.Logf("%-20s passed %3d  rejected at load %2d", op, perOp[op].pass, perOp[op].rejected)
	}
	for _, r := range rejected {
		t.Logf("rejected: %s", r)
	}
	passed = total - len(rejected)
	t.Logf("%d node tests use only supported ops: %d run and pass, %d rejected at load as unsupported", total, passed, len(rejected))
	require.Greater(t, passed, 200, "fewer node tests ran than expected")
}

func readTensor(path string) (*Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeTensorProto(b)
}

func runNodeTest(m *Model, set string) error {
	var inputs []*Tensor
	for k := 0; k < len(m.Inputs()); k++ {
		x, err := readTensor(filepath.Join(set, fmt.Sprintf("input_%d.pb", k)))
		if err != nil {
			return err
		}
		inputs = append(inputs, x)
	}
	got, err := m.Run(context.Background(), inputs...)
	if err != nil {
		return err
	}
	for k := range got {
		want, err := readTensor(filepath.Join(set, fmt.Sprintf("output_%d.pb", k)))
		if err != nil {
			return err
		}
		if err := closeTensors(got[k], want, 1e-3, 1e-7); err != nil {
			return fmt.Errorf("output %d: %w", k, err)
		}
	}
	return nil
}

// closeTensors compares like numpy.testing.assert_allclose.
func closeTensors(got, want *Tensor, rtol, atol float64) error {
	if !sameShape(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	if want.Int64 != nil {
		if len(got.Int64) != len(want.Int64) {
			return fmt.Errorf("got %d integers, want %d", len(got.Int64), len(want.Int64))
		}
		for k := range want.Int64 {
			if got.Int64[k] != want.Int64[k] {
				return fmt.Errorf("element %d: %d, want %d", k, got.Int64[k], want.Int64[k])
			}
		}
		return nil
	}
	if len(got.Data) != len(want.Data) {
		return fmt.Errorf("got %d floats, want %d", len(got.Data), len(want.Data))
	}
	for k := range want.Data {
		g, w := float64(got.Data[k]), float64(want.Data[k])
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		if math.Abs(g-w) > atol+rtol*math.Abs(w) || math.IsNaN(g) {
			return fmt.Errorf("element %d: %g, want %g", k, g, w)
		}
	}
	return nil
}
