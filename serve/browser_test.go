package serve

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath is Debian's chromium (apt install chromium; listed in
// .ci/apt-packages).
const chromiumPath = "/usr/bin/chromium"

// TestWebPageDrawsBoxes uploads a photo through the page at / in headless
// Chromium and checks the reply's box is listed and drawn on the canvas.
func TestWebPageDrawsBoxes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent: apt install chromium", chromiumPath)
	}
	srv := &Server{Model: loadModel(t, &brightDetector{}), Token: "page-token", ModelName: "bright"}
	ts := newTestServer(t, srv)
	photo := filepath.Join(t.TempDir(), "photo.png")
	require.NoError(t, os.WriteFile(photo, pngBytes(t, scene(200, 150, image.Rect(40, 30, 120, 90))), 0o600))

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	pixel := func(x, y int) chromedp.Action[[]int] {
		return chromedp.Evaluate[[]int](`Array.from(document.getElementById("canvas").getContext("2d").getImageData(` +
			strconv.Itoa(x) + `,` + strconv.Itoa(y) + `,1,1).data)`)
	}
	text := func(id string) string {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		require.NoError(t, err, id)
		return v
	}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SendKeys(chromedp.ID("token"), "page-token"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{photo}),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("result")),
	))
	status, prediction, boxes, model := text("status"), text("prediction"), text("boxes"), text("model")
	canvasW, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("canvas").width`))
	require.NoError(t, err)
	edge, err := chromedp.Run(ctx, pixel(40, 60)) // on the box's left edge
	require.NoError(t, err)
	inside, err := chromedp.Run(ctx, pixel(80, 60)) // the bright object
	require.NoError(t, err)
	outside, err := chromedp.Run(ctx, pixel(160, 120)) // background
	require.NoError(t, err)
	assert.Contains(t, status, "done: 1 box")
	assert.Contains(t, prediction, "bright")
	assert.Contains(t, boxes, "(40, 30)–(120, 90)")
	assert.Contains(t, model, "bright")
	assert.Equal(t, 200, canvasW)
	assert.Equal(t, []int{0x3c, 0xb4, 0x4b, 255}, edge, "the box of class 1 is stroked in its colour")
	assert.Equal(t, []int{250, 240, 230, 255}, inside, "the photo is drawn under the box")
	assert.Equal(t, []int{20, 30, 40, 255}, outside)

	// A wrong token shows the server's error on the page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("token"), "wrong"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("error")),
	))
	errText := text("error")
	assert.Contains(t, errText, "unauthorized")
}
