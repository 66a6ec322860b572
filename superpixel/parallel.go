package superpixel

import "sync"

// bands runs fn over `workers` contiguous row bands of [0, h), the first in
// the calling goroutine, and waits for all. Band i covers rows
// [i*h/workers, (i+1)*h/workers).
func bands(workers, h int, fn func(band, y0, y1 int)) {
	if workers <= 1 || h <= 1 {
		fn(0, 0, h)
		return
	}
	workers = min(workers, h)
	var wg sync.WaitGroup
	for i := 1; i < workers; i++ {
		wg.Go(func() { fn(i, i*h/workers, (i+1)*h/workers) })
	}
	fn(0, 0, h/workers)
	wg.Wait()
}
