package labelfree_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/labelfree/labelfree"
)

// A pipeline of one estimator and one transformer is fitted, saved, loaded
// and applied to new rows.
func Example() {
	train := rowsX(1, 2, 3, 6)
	p, err := labelfree.NewPipeline(centerer{}, &threshold{Level: 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	var ex labelfree.Executor
	model, _, err := ex.Fit(context.Background(), p, train)
	if err != nil {
		fmt.Println(err)
		return
	}

	var file bytes.Buffer
	if err := labelfree.Save(&file, model); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := labelfree.Load(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := ex.Transform(context.Background(), loaded, rowsX(2, 5, -1))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range out.Rows {
		if r.Err != nil {
			fmt.Println(r.ID, "failed:", r.Err)
			continue
		}
		a, _ := labelfree.Get(r, colAbove)
		fmt.Println(r.ID, a)
	}
	// Output:
	// r000 false
	// r001 true
	// r002 failed: Centerer: negative x -1
}

// Columns are typed keys: the compiler checks every read and write.
func ExampleNewColumn() {
	species := labelfree.NewColumn[string]("example.species", "species name")
	r := labelfree.NewRow("img-0001")
	labelfree.Set(r, species, "Panthera uncia")
	name, ok := labelfree.Get(r, species)
	fmt.Println(name, ok)
	// Output: Panthera uncia true
}

// NewPipeline reports a column read with another type than it was written,
// naming both stages.
func ExampleNewPipeline() {
	_, err := labelfree.NewPipeline(writesX{}, clashing{})
	fmt.Println(err)
	// Output: labelfree: stage 1 (Clashing) reads column "test.x" as string, but stage 0 (WritesX) provides it as float64
}

// A progress bar draws each stage's progress on one line.
func ExampleNewProgressBar() {
	var out strings.Builder
	ex := labelfree.Executor{Workers: 1, Progress: labelfree.NewProgressBar(&out)}
	if _, err := ex.Transform(context.Background(), noise{}, rowsX(make([]float64, 8)...)); err != nil {
		fmt.Println(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\r")
	last := lines[len(lines)-1]
	fmt.Println(strings.Contains(last, "8/8"))
	// Output: true
}
