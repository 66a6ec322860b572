package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labelfree/labelfree"
)

// widthStage writes the image's width as probabilities of two classes.
type widthStage struct{}

func (*widthStage) Info() labelfree.StageInfo {
	return labelfree.StageInfo{Name: "width", Reads: []labelfree.ColumnRef{labelfree.Image.Ref()},
		Writes: []labelfree.ColumnRef{labelfree.Probabilities.Ref(), labelfree.Prediction.Ref()}}
}

func (*widthStage) Transform(ctx context.Context, r *labelfree.Row) error {
	img, err := labelfree.MustGet(r, labelfree.Image)
	if err != nil {
		return err
	}
	p := float64(img.Bounds().Dx()) / 100
	labelfree.Set(r, labelfree.Probabilities, []float64{1 - p, p})
	labelfree.Set(r, labelfree.Prediction, 1)
	return nil
}

func init() { labelfree.Register[*widthStage]() }

// lineWriter hands complete log lines to a channel.
type lineWriter struct{ lines chan string }

func (w lineWriter) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		w.lines <- sc.Text()
	}
	return len(p), nil
}

func TestRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lfp")
	require.NoError(t, labelfree.SaveFile(path, &labelfree.PipelineModel{Stages: []labelfree.Stage{&widthStage{}}}))
	logs := lineWriter{make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	env := func(k string) string { return map[string]string{"TOK": "secret"}[k] }
	go func() {
		done <- run(ctx, []string{"-model", path, "-addr", "127.0.0.1:0", "-classes", "narrow,wide", "-name", "w", "-token-env", "TOK"}, env, logs)
	}()
	var addr string
	for addr == "" {
		select {
		case line := <-logs.lines:
			var v map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &v))
			if v["msg"] == "serve: listening" {
				addr = v["addr"].(string)
			}
		case err := <-done:
			t.Fatalf("run returned %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("no listening log line")
		}
	}
	var body bytes.Buffer
	require.NoError(t, png.Encode(&body, image.NewGray(image.Rect(0, 0, 25, 4))))
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/predict", &body)
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "%s", raw)
	var reply struct {
		Model      struct{ Name, Version string }
		Prediction struct {
			Name        string
			Probability float64
		}
	}
	require.NoError(t, json.Unmarshal(raw, &reply))
	assert.Equal(t, "w", reply.Model.Name)
	assert.True(t, strings.HasPrefix(reply.Model.Version, "sha256:"), reply.Model.Version)
	assert.Equal(t, "wide", reply.Prediction.Name)
	assert.InDelta(t, 0.25, reply.Prediction.Probability, 1e-12)
	cancel()
	require.NoError(t, <-done)
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-model", filepath.Join(t.TempDir(), "missing.lfp")},
		{"-model", "x", "-log-level", "loud"},
		{"-no-such-flag"},
	} {
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard)
		assert.Error(t, err, "%v", args)
	}
}
