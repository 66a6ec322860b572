package detect

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/stretchr/testify/require"
)

func TestTrainOnTruthTry(t *testing.T) {
	start := time.Now()
	train := scenes(t, 1, 60, 320, 240)
	test := scenes(t, 2, 30, 320, 240)
	for _, r := range test.Rows {
		b, _ := labelfree.Get(r, labelfree.TrueBoxes)
		fmt.Println(b)
		break
	}
	tr := &Trainer{Input: labelfree.TrueBoxes, InputWidth: 160, InputHeight: 128, Hidden: 32, Epochs: 15, Augmentations: 1, Seed: 1,
		Progress: labelfree.ProgressFunc(func(s string, d, n int) { if d == n || s[len(s)-5:] == "train" { fmt.Println(s, d, n, time.Since(start)) } })}
	d, err := tr.Train(context.Background(), train)
	require.NoError(t, err)
	fmt.Printf("%+v\n", d.Report)
	var dets [][]labelfree.Box
	for _, r := range test.Rows {
		img, _ := labelfree.Get(r, labelfree.Image)
		b, err := d.Detect(context.Background(), img)
		require.NoError(t, err)
		dets = append(dets, b)
	}
	ev, err := Evaluate(dets, boxesOf(test, labelfree.TrueBoxes), nil)
	require.NoError(t, err)
	fmt.Println(ev, time.Since(start))
}
