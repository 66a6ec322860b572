package capture_test

import (
	"fmt"
	"time"

	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/capture"
)

// Photos of one camera become events wherever the gap exceeds 5 minutes.
func ExampleGroupEvents() {
	t0 := time.Date(2024, 2, 11, 5, 3, 7, 0, time.UTC)
	s := &annot.Set{Images: []annot.Image{
		{File: "cam01/a.jpg", Time: t0},
		{File: "cam01/b.jpg", Time: t0.Add(2 * time.Second)},
		{File: "cam01/c.jpg", Time: t0.Add(40 * time.Minute)},
		{File: "cam02/a.jpg", Time: t0},
	}}
	n, _ := capture.GroupEvents(s, nil)
	fmt.Println(n, "events")
	for _, im := range s.Images {
		fmt.Println(im.File, im.Event)
	}
	// Output:
	// 3 events
	// cam01/a.jpg cam01-0001
	// cam01/b.jpg cam01-0001
	// cam01/c.jpg cam01-0002
	// cam02/a.jpg cam02-0001
}
