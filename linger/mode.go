package linger

import (
	"fmt"
	"math"
	"time"
)

// Mode is one of the three SO_LINGER behaviours: Default, Abortive or
// Timeout(d). The zero Mode is Default. Modes are comparable with ==.
type Mode struct {
	on  bool  // l_onoff
	sec int32 // l_linger in seconds; meaningful only when on
}

// Default returns the mode {l_onoff 0}: close(2) returns at once, the queued
// data and a FIN go out in the background, and the active closer holds
// TIME_WAIT.
func Default() Mode { return Mode{} }

// Abortive returns the mode {l_onoff 1, l_linger 0}: close(2) sends RST,
// discards unsent data and skips TIME_WAIT (net/ipv4/tcp.c __tcp_close:
// sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime).
func Abortive() Mode { return Mode{on: true} }

// Timeout returns the mode {l_onoff 1, l_linger N}: close(2) blocks until the
// peer has acknowledged the FIN or N seconds have passed, then returns 0
// either way; on timeout the orphaned connection carries on (no RST).
//
// The FIN counts as acknowledged when the state leaves FIN_WAIT1 (or
// CLOSING, LAST_ACK). A peer that has read everything but does not close
// delays that ACK by its delayed-ACK timer (net/ipv4/tcp_input.c tcp_fin
// enters pingpong mode), about 40 ms; a peer that closes at EOF answers at
// once with its own FIN.
//
// l_linger counts whole seconds, so d is rounded up to the next second, with
// at least 1 s (0 would be Abortive) and at most math.MaxInt32 s. The kernel
// measures the wait in jiffies (4 ms at HZ=250).
func Timeout(d time.Duration) Mode {
	sec := d / time.Second
	if d%time.Second != 0 {
		sec++
	}
	switch {
	case sec < 1:
		sec = 1
	case sec > math.MaxInt32:
		sec = math.MaxInt32
	}
	return Mode{on: true, sec: int32(sec)}
}

// fromLinger maps a struct linger read from the kernel to a Mode. The kernel
// keeps l_linger when l_onoff is cleared, so any {0, N} is Default. A
// negative l_linger (the kernel's "forever") maps to the longest Timeout.
func fromLinger(onoff, linger int32) Mode {
	switch {
	case onoff == 0:
		return Default()
	case linger == 0:
		return Abortive()
	case linger < 0:
		return Mode{on: true, sec: math.MaxInt32}
	}
	return Mode{on: true, sec: linger}
}

// Linger returns the struct linger fields the mode sets: l_onoff and
// l_linger in seconds.
func (m Mode) Linger() (onoff, seconds int32) {
	if !m.on {
		return 0, 0
	}
	return 1, m.sec
}

// Duration is how long close(2) may block: d rounded as Timeout documents,
// or 0 for Default and Abortive.
func (m Mode) Duration() time.Duration {
	return time.Duration(m.sec) * time.Second
}

// String returns "Default", "Abortive" or "Timeout(Ns)".
func (m Mode) String() string {
	switch {
	case !m.on:
		return "Default"
	case m.sec == 0:
		return "Abortive"
	}
	return fmt.Sprintf("Timeout(%s)", m.Duration())
}
