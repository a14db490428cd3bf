package sockopt

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setIntFD wraps setsockopt(2) for an integer option.
func setIntFD(fd int, o intOpt, v int) error {
	if err := unix.SetsockoptInt(fd, o.level, o.name, v); err != nil {
		return os.NewSyscallError("setsockopt "+o.label, err)
	}
	return nil
}

// getIntFD wraps getsockopt(2) for an integer option.
func getIntFD(fd int, o intOpt) (int, error) {
	v, err := unix.GetsockoptInt(fd, o.level, o.name)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt "+o.label, err)
	}
	return v, nil
}

func setInt(c conn, o intOpt, v int) error {
	return control(c, func(fd int) error { return setIntFD(fd, o, v) })
}

func setIntRaw(rc rawConn, o intOpt, v int) error {
	return controlRaw(rc, func(fd int) error { return setIntFD(fd, o, v) })
}

func getInt(c conn, o intOpt) (v int, err error) {
	err = control(c, func(fd int) error {
		v, err = getIntFD(fd, o)
		return err
	})
	return v, err
}

// setStringFD wraps setsockopt(2) for an option whose value is a string.
func setStringFD(fd int, o intOpt, s string) error {
	if err := unix.SetsockoptString(fd, o.level, o.name, s); err != nil {
		return os.NewSyscallError("setsockopt "+o.label, err)
	}
	return nil
}

func setString(c conn, o intOpt, s string) error {
	return control(c, func(fd int) error { return setStringFD(fd, o, s) })
}

func setStringRaw(rc rawConn, o intOpt, s string) error {
	return controlRaw(rc, func(fd int) error { return setStringFD(fd, o, s) })
}

func getString(c conn, o intOpt) (s string, err error) {
	err = control(c, func(fd int) error {
		s, err = unix.GetsockoptString(fd, o.level, o.name)
		if err != nil {
			return os.NewSyscallError("getsockopt "+o.label, err)
		}
		return nil
	})
	return s, err
}

// setLingerFD wraps setsockopt(2) for SO_LINGER (struct linger).
func setLingerFD(fd int, onoff, secs int) error {
	l := unix.Linger{Onoff: int32(onoff), Linger: int32(secs)}
	if err := unix.SetsockoptLinger(fd, optLinger.level, optLinger.name, &l); err != nil {
		return os.NewSyscallError("setsockopt "+optLinger.label, err)
	}
	return nil
}

func setLinger(c conn, onoff, secs int) error {
	return control(c, func(fd int) error { return setLingerFD(fd, onoff, secs) })
}

func setLingerRaw(rc rawConn, onoff, secs int) error {
	return controlRaw(rc, func(fd int) error { return setLingerFD(fd, onoff, secs) })
}

func getLinger(c conn) (onoff, secs int, err error) {
	err = control(c, func(fd int) error {
		l, err := unix.GetsockoptLinger(fd, optLinger.level, optLinger.name)
		if err != nil {
			return os.NewSyscallError("getsockopt "+optLinger.label, err)
		}
		onoff, secs = int(l.Onoff), int(l.Linger)
		return nil
	})
	return onoff, secs, err
}

// getBytes wraps getsockopt(2) for an option returned as raw bytes, with
// the length the kernel actually wrote.
func getBytes(c conn, o intOpt, size int) (b []byte, err error) {
	err = control(c, func(fd int) error {
		buf := make([]byte, size)
		n := uint32(size)
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(o.level), uintptr(o.name),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		if e != 0 {
			return os.NewSyscallError("getsockopt "+o.label, e)
		}
		b = buf[:min(int(n), size)]
		return nil
	})
	return b, err
}
