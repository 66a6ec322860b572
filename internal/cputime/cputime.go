// Package cputime reads the CPU time the process has used, for the
// benchmarks that report CPU time beside wall time (on a machine shared
// with other work, CPU time moves much less than wall time).
package cputime
