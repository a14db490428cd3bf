// Package labtest holds the helpers that tcplab's tests share: privilege
// checks in one place, per-test namespaces, golden pcap loading and the
// dependency-direction test. It is imported only from _test.go files.
package labtest

import (
	"os"
	"runtime"
	"testing"
)

// RequireEnv names the environment variable that turns a privilege skip into
// a failure, so that CI cannot pass by skipping the namespace tests.
const RequireEnv = "TCPLAB_REQUIRE_PRIV"

// RequirePriv skips t unless the process can create network namespaces,
// TUN devices and AF_PACKET sockets (Linux, effective uid 0). With
// TCPLAB_REQUIRE_PRIV=1 in the environment the test fails instead of skipping.
func RequirePriv(t testing.TB) {
	t.Helper()
	var why string
	switch {
	case runtime.GOOS != "linux":
		why = "network namespaces need Linux"
	case os.Geteuid() != 0:
		why = "network namespaces, TUN and AF_PACKET need root (run the tests with sudo)"
	}
	if why == "" {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("privileged test cannot run: %s (%s=1 forbids skipping)", why, RequireEnv)
	}
	t.Skipf("skipping privileged test: %s", why)
}
