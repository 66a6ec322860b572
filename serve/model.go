package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/labelfree/labelfree"
)

func writes(m *labelfree.PipelineModel, name string) bool {
	for _, w := range m.Info().Writes {
		if w.Name == name {
			return true
		}
	}
	return false
}

func (s *Server) initModelInfo() {
	s.info = ModelInfo{Name: s.ModelName, Version: s.ModelVersion, Stages: make([]string, len(s.Model.Stages))}
	for i, st := range s.Model.Stages {
		s.info.Stages[i] = st.Info().Name
	}
	s.boxes = writes(s.Model, labelfree.Boxes.Name())
}

// FileVersion returns a short content hash of a model file ("sha256:" and
// 16 hex digits), a good Server.ModelVersion: every replica serving the
// same file reports the same version.
func FileVersion(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("serve: model version: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("serve: model version: %w", err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}
