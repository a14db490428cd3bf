//go:build !linux

package experiment

import (
	"errors"
	"fmt"
	"time"
)

func closeUnsupported(op string) error {
	return fmt.Errorf("%s: %w", op, errors.ErrUnsupported)
}

func sockInq(int) (int, error)                   { return 0, closeUnsupported("ioctl SIOCINQ") }
func sockOutq(int) (int, error)                  { return 0, closeUnsupported("ioctl SIOCOUTQ") }
func setRawTimeouts(int, time.Duration) error    { return closeUnsupported("setsockopt SO_RCVTIMEO") }
func netstatCounters() (map[string]int64, error) { return nil, closeUnsupported("read netstat") }
