//go:build !linux

package netlab

import "context"

// New needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func New(ctx context.Context, cfg Config) (*Lab, error) { return nil, errNeedLinux }
