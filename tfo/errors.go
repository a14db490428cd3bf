package tfo

import "errors"

// ErrNotSupported is the conclusive "no" of HaveClient and HaveServer: the
// returned error wraps it and says what is missing. It matches
// errors.ErrUnsupported too.
var ErrNotSupported error = notSupported{}

type notSupported struct{}

func (notSupported) Error() string        { return "TCP Fast Open not supported" }
func (notSupported) Is(target error) bool { return target == errors.ErrUnsupported }
