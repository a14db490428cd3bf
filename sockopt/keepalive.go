package sockopt

import (
	"fmt"
	"syscall"
	"time"
)

// KeepAliveConfig is the keepalive state of a socket: SO_KEEPALIVE and the
// three TCP_KEEP* timers of tcp(7) (RFC 1122 §4.2.3.6). The kernel counts
// Idle and Interval in whole seconds.
type KeepAliveConfig struct {
	Enable   bool          // SO_KEEPALIVE
	Idle     time.Duration // TCP_KEEPIDLE: idle time before the first probe
	Interval time.Duration // TCP_KEEPINTVL: time between probes
	Count    int           // TCP_KEEPCNT: unanswered probes before the connection is dropped
}

// KeepAlive returns a Control that applies cfg as SetKeepAlive does.
//
// Go's net package enables keepalive with a 15 s idle time and 15 s
// interval on every connection it dials or accepts unless the Dialer's or
// ListenConfig's KeepAlive is negative, and it does so after Control has
// run. Use this package's Dialer and ListenConfig, which set it to -1, or
// the Control's settings are overwritten.
func KeepAlive(cfg KeepAliveConfig) Control {
	return func(_, _ string, rc rawConn) error {
		return applyKeepAlive(cfg, func(o intOpt, v int) error { return setIntRaw(rc, o, v) })
	}
}

// SetKeepAlive wraps setsockopt(2) with SO_KEEPALIVE, then TCP_KEEPIDLE,
// TCP_KEEPINTVL and TCP_KEEPCNT. A zero or negative Idle, Interval or Count
// leaves that timer as it is; durations are rounded up to whole seconds.
func SetKeepAlive(c syscall.Conn, cfg KeepAliveConfig) error {
	return applyKeepAlive(cfg, func(o intOpt, v int) error { return setInt(c, o, v) })
}

// GetKeepAlive wraps getsockopt(2) with the same four options. The timers
// are reported even when keepalive is off (the sysctl defaults
// net.ipv4.tcp_keepalive_* unless overridden).
func GetKeepAlive(c syscall.Conn) (KeepAliveConfig, error) {
	var cfg KeepAliveConfig
	on, err := getBool(c, optKeepAlive)
	if err != nil {
		return cfg, err
	}
	idle, err := getInt(c, optKeepIdle)
	if err != nil {
		return cfg, err
	}
	intvl, err := getInt(c, optKeepIntvl)
	if err != nil {
		return cfg, err
	}
	cnt, err := getInt(c, optKeepCnt)
	if err != nil {
		return cfg, err
	}
	return KeepAliveConfig{
		Enable:   on,
		Idle:     time.Duration(idle) * time.Second,
		Interval: time.Duration(intvl) * time.Second,
		Count:    cnt,
	}, nil
}

func applyKeepAlive(cfg KeepAliveConfig, set func(intOpt, int) error) error {
	if err := set(optKeepAlive, boolInt(cfg.Enable)); err != nil {
		return err
	}
	if cfg.Idle > 0 {
		if err := set(optKeepIdle, seconds(cfg.Idle)); err != nil {
			return err
		}
	}
	if cfg.Interval > 0 {
		if err := set(optKeepIntvl, seconds(cfg.Interval)); err != nil {
			return err
		}
	}
	if cfg.Count > 0 {
		if err := set(optKeepCnt, cfg.Count); err != nil {
			return err
		}
	}
	return nil
}

// seconds rounds d up to whole seconds, as the kernel's timers count them.
func seconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// String formats the configuration as "on idle=15s intvl=15s cnt=9".
func (cfg KeepAliveConfig) String() string {
	state := "off"
	if cfg.Enable {
		state = "on"
	}
	return fmt.Sprintf("%s idle=%v intvl=%v cnt=%d", state, cfg.Idle, cfg.Interval, cfg.Count)
}
