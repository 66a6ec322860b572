package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunOnDefaultScenes(t *testing.T) {
	out := t.TempDir()
	require.NoError(t, run(context.Background(), "", 1, 60, out, nil))
	for _, name := range []string{"scene1", "scene2", "scene3"} {
		_, err := os.Stat(filepath.Join(out, name+".lime.png"))
		require.NoError(t, err)
	}
}
