//go:build !linux

package netlab

import (
	"context"
	"time"
)

// Up needs Linux.
func (r *Registry) Up(ctx context.Context, name string, cfg Config) (*Lab, error) {
	return nil, errNeedLinux
}

// Down needs Linux.
func (r *Registry) Down(name string, timeout time.Duration) error { return errNeedLinux }

// List needs Linux.
func (r *Registry) List() ([]LabState, error) { return nil, errNeedLinux }

// ReclaimStale has nothing to reclaim off Linux.
func (r *Registry) ReclaimStale() ([]string, error) { return nil, nil }
