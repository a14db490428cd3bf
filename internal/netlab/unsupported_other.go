//go:build !linux

package netlab

import (
	"errors"
	"fmt"
)

// errNeedLinux is what every operation that needs Linux returns elsewhere.
var errNeedLinux = fmt.Errorf("netlab: network namespaces and TUN devices need Linux: %w", errors.ErrUnsupported)
