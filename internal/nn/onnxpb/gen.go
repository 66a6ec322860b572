// Package onnxpb holds the protobuf types of the ONNX model format, generated
// from onnx.proto (ONNX 1.12, IR version 8; Debian python3-onnx ships it)
// with protoc (Debian protobuf-compiler) and protoc-gen-go v1.36.12, the
// google.golang.org/protobuf version in go.mod. Regenerate with
// `go generate` after
// `go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12`.
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/labelfree/labelfree/internal/nn/onnxpb onnx.proto
