//go:build !linux

package netlab

// RequireRoot reports that labs need Linux.
func RequireRoot() error { return errNeedLinux }

// HaveTUN reports that TUN devices need Linux.
func HaveTUN() error { return errNeedLinux }

// HaveNetem reports that netem needs Linux.
func HaveNetem() error { return errNeedLinux }

// IdleHalts knows nothing of idle CPUs outside Linux.
func IdleHalts() (desc string, late bool) { return "unknown (not Linux)", false }
