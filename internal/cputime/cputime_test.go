package cputime

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProcessCountsWork spins until the process has used 20 ms more CPU
// time, which fails (after 10 s) if Process does not count it.
func TestProcessCountsWork(t *testing.T) {
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		t.Skip("CPU time is not measured here")
	}
	before := Process()
	require.Positive(t, before)
	deadline := time.Now().Add(10 * time.Second)
	for Process()-before < 20*time.Millisecond {
		require.True(t, time.Now().Before(deadline), "no CPU time counted after 10 s of spinning")
	}
}
