package nn

import (
	"errors"
	"fmt"
)

// ErrUnsupported is wrapped by every error about an operator, attribute,
// opset or element type the engine does not implement.
var ErrUnsupported = errors.New("unsupported")

// NodeError is a load-time error about one node of the graph.
type NodeError struct {
	Node string // node name (or its first output when unnamed)
	Op   string // operator type
	Err  error
}

// Error implements error.
func (e *NodeError) Error() string {
	return fmt.Sprintf("nn: node %q (%s): %v", e.Node, e.Op, e.Err)
}

// Unwrap returns the underlying error (often wrapping ErrUnsupported).
func (e *NodeError) Unwrap() error { return e.Err }

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrUnsupported)
}
