package handshake_test

import (
	"testing"

	"github.com/tcplab/tcplab/handshake"
	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/tcplab/tcplab/sockopt"
)

// Inside a throwaway namespace, each option the handshake can negotiate is
// switched off (or ECN on) by its sysctl, and Negotiated sees the change on
// both ends.
func TestNegotiatedFollowsSysctls(t *testing.T) {
	labtest.RequirePriv(t)
	tests := []struct {
		key, value string
		check      func(c, s handshake.Result) error
	}{
		{"net.ipv4.tcp_timestamps", "0", func(c, s handshake.Result) error {
			if c.Timestamps || s.Timestamps || !c.SACK || !c.WindowScale {
				return errorf("timestamps off: %v / %v", c, s)
			}
			return nil
		}},
		{"net.ipv4.tcp_sack", "0", func(c, s handshake.Result) error {
			if c.SACK || s.SACK || !c.Timestamps {
				return errorf("sack off: %v / %v", c, s)
			}
			return nil
		}},
		{"net.ipv4.tcp_window_scaling", "0", func(c, s handshake.Result) error {
			if c.WindowScale || s.WindowScale || c.SndWscale|c.RcvWscale|s.SndWscale|s.RcvWscale != 0 {
				return errorf("window scaling off: %v / %v", c, s)
			}
			return nil
		}},
		{"net.ipv4.tcp_ecn", "1", func(c, s handshake.Result) error {
			if !c.ECN || !s.ECN {
				return errorf("ecn requested: %v / %v", c, s)
			}
			return nil
		}},
	}
	labtest.InFreshNetns(t, func() error {
		// Baseline: the namespace's defaults (tcp_ecn=2 only answers ECN).
		cr, _, err := negotiatedPair(sockopt.ListenConfig(), sockopt.Dialer())
		if err != nil {
			return err
		}
		if cr.ECN || !cr.Timestamps || !cr.SACK || !cr.WindowScale {
			return errorf("baseline in a new namespace: %v", cr)
		}
		for _, tt := range tests {
			old, err := sockopt.ReadSysctl(tt.key)
			if err != nil {
				return err
			}
			if err := sockopt.WriteSysctl(tt.key, tt.value); err != nil {
				return err
			}
			cr, sr, err := negotiatedPair(sockopt.ListenConfig(), sockopt.Dialer())
			if err != nil {
				return err
			}
			if err := tt.check(cr, sr); err != nil {
				return errorf("%s=%s: %w", tt.key, tt.value, err)
			}
			if err := sockopt.WriteSysctl(tt.key, old); err != nil {
				return err
			}
		}
		return nil
	})
}

// TCP Fast Open as the kernel reports it: the first connection only asks
// for a cookie (TFO_COOKIE_UNAVAILABLE), the second carries its request in
// the SYN (TCPI_OPT_SYN_DATA on both ends, TCPI_OPT_TFO_CHILD on the
// server). The cookie cache is per namespace, so a fresh one starts empty.
func TestNegotiatedFastOpen(t *testing.T) {
	labtest.RequirePriv(t)
	labtest.InFreshNetns(t, func() error {
		if err := sockopt.WriteSysctl("net.ipv4.tcp_fastopen", "3"); err != nil {
			return err
		}
		lc := sockopt.ListenConfig(sockopt.FastOpen(16))
		d := sockopt.Dialer(sockopt.FastOpenConnect(true))
		want := []struct {
			synData, child bool
			fail           handshake.FastOpenFail
		}{
			{false, false, handshake.FastOpenFailCookieUnavailable},
			{true, true, handshake.FastOpenFailUnspec},
		}
		for i, w := range want {
			cr, sr, err := negotiatedPair(lc, d)
			if err != nil {
				return err
			}
			if cr.SynData != w.synData || cr.FastOpenFail != w.fail || sr.SynData != w.synData || sr.FastOpenChild != w.child {
				return errorf("connection %d: client %v, server %v; want syn-data %v, fail %v, server child %v",
					i+1, cr, sr, w.synData, w.fail, w.child)
			}
		}
		return nil
	})
}
