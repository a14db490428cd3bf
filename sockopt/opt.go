package sockopt

// intOpt names one integer socket option: its level, its number and the
// macro name used in error messages ("TCP_NODELAY"). The values live in
// opts_linux.go; elsewhere they are zero and every call is unsupported.
type intOpt struct {
	level, name int
	label       string
}

// boolInt turns a flag into the 0/1 integer the kernel expects.
func boolInt(on bool) int {
	if on {
		return 1
	}
	return 0
}

// intControl returns a Control that sets o to v.
func intControl(o intOpt, v int) Control {
	return func(_, _ string, rc rawConn) error { return setIntRaw(rc, o, v) }
}

// getBool reads o and reports whether it is non-zero.
func getBool(c conn, o intOpt) (bool, error) {
	v, err := getInt(c, o)
	return v != 0, err
}
