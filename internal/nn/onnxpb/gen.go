// Package onnxpb holds the protobuf types of the ONNX model format, generated
// from onnx.proto (ONNX 1.12, IR version 8) with protoc and protoc-gen-go
// v1.28.0. Regenerate with `go generate` (needs protoc and protoc-gen-go on
// PATH).
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/labelfree/labelfree/internal/nn/onnxpb onnx.proto
