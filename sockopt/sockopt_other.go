//go:build !linux

package sockopt

import (
	"errors"
	"fmt"
	"runtime"
)

// unsupported is the error of every kernel call outside Linux.
func unsupported(op string) error {
	return fmt.Errorf("sockopt: %s on %s: %w", op, runtime.GOOS, errors.ErrUnsupported)
}

func setInt(_ conn, o intOpt, _ int) error       { return unsupported("setsockopt " + o.label) }
func setIntRaw(_ rawConn, o intOpt, _ int) error { return unsupported("setsockopt " + o.label) }
func getInt(_ conn, o intOpt) (int, error)       { return 0, unsupported("getsockopt " + o.label) }

func setString(_ conn, o intOpt, _ string) error       { return unsupported("setsockopt " + o.label) }
func setStringRaw(_ rawConn, o intOpt, _ string) error { return unsupported("setsockopt " + o.label) }
func getString(_ conn, o intOpt) (string, error)       { return "", unsupported("getsockopt " + o.label) }

func setLinger(_ conn, _, _ int) error       { return unsupported("setsockopt SO_LINGER") }
func setLingerRaw(_ rawConn, _, _ int) error { return unsupported("setsockopt SO_LINGER") }
func getLinger(_ conn) (int, int, error)     { return 0, 0, unsupported("getsockopt SO_LINGER") }

func getBytes(_ conn, o intOpt, _ int) ([]byte, error) {
	return nil, unsupported("getsockopt " + o.label)
}
