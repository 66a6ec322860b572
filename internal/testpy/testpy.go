// Package testpy finds a Python interpreter for tests that check
// labelfree's outputs with independent Python readers.
package testpy

import (
	"os/exec"
	"strings"
	"testing"
)

// candidates are tried in order: Debian's interpreter first, because apt
// installs the python3-* packages the checks import for it, while a python3
// earlier on PATH (pyenv, a virtualenv) often lacks them.
var candidates = []string{"/usr/bin/python3", "python3"}

// Find returns a python3 that imports every one of modules, or skips the
// test naming what is missing.
func Find(t testing.TB, modules ...string) string {
	t.Helper()
	imp := "import sys"
	if len(modules) > 0 {
		imp += "; import " + strings.Join(modules, ", ")
	}
	for _, c := range candidates {
		py, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(py, "-c", imp).Run() == nil {
			return py
		}
	}
	t.Skipf("no python3 importing %v (install Debian's python3 packages)", modules)
	return ""
}
