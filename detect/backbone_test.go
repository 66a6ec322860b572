package detect

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree/features"
)

// TestBackboneSizes checks the computed feature-map size against a real
// run at sizes that are and are not multiples of the stride.
func TestBackboneSizes(t *testing.T) {
	for _, sz := range [][2]int{{64, 64}, {100, 70}, {160, 128}, {48, 47}} {
		bb, err := loadBackbone(nil, "", sz[0], sz[1], [3]float32{}, [3]float32{}, features.PureGo)
		require.NoError(t, err)
		assert.Equal(t, 96, bb.C)
		assert.Equal(t, sz[0]/16, bb.W, "this MobileNetV2 floors")
		x := make([]float32, 3*sz[0]*sz[1])
		require.NoError(t, bb.run(context.Background(), x, 1, make([]float32, bb.len()), 1), "size %v", sz)
	}
	for _, tc := range []struct {
		name  string
		onnx  []byte
		layer string
		want  string
	}{
		{"not ONNX", []byte("not onnx"), "", "malformed protobuf"},
		{"unknown layer", nil, "block_99_add", `no value named "block_99_add"`},
		{"flat embedding", nil, "embedding", "the head needs an NCHW feature map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadBackbone(tc.onnx, tc.layer, 64, 64, [3]float32{}, [3]float32{}, features.PureGo)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "detect: ")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
