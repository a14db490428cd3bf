//go:build !linux

package netlab

import "io"

// InUserNS reports false: user namespaces are Linux's.
func InUserNS() bool { return false }

// InOwnUserNS reports false: user namespaces are Linux's.
func InOwnUserNS() bool { return false }

// ReexecInUserNS needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func ReexecInUserNS(args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	return 0, errNeedLinux
}

// ProbeUserNS reports that user namespaces need Linux.
func ProbeUserNS() error { return errNeedLinux }

// RunUserNSTrial never runs a trial outside Linux.
func RunUserNSTrial(stderr io.Writer) (status int, ran bool) { return 0, false }
