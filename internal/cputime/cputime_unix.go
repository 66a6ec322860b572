//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Process returns the user and system CPU time the whole process has used,
// on all its threads (the garbage collector's included), or 0 if the
// system does not say.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
