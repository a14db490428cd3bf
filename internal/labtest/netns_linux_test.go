package labtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
)

// netnsOfThread is the calling thread's network namespace, as the kernel
// names it ("net:[4026531840]").
func netnsOfThread() (string, error) { return os.Readlink("/proc/thread-self/ns/net") }

// loUp reports whether lo is up in the calling thread's namespace.
func loUp() (bool, error) {
	ifi, err := net.InterfaceByName("lo")
	if err != nil {
		return false, err
	}
	return ifi.Flags&net.FlagUp != 0, nil
}

// InFreshNetns runs fn in a namespace other than the test's, with lo up,
// and turns fn's error into a failure.
func TestInFreshNetns(t *testing.T) {
	RequirePriv(t)
	host, err := netnsOfThread()
	if err != nil {
		t.Fatal(err)
	}
	InFreshNetns(t, func() error {
		ns, err := netnsOfThread()
		if err != nil {
			return err
		}
		if ns == host {
			return fmt.Errorf("fn runs in the host's namespace %s", ns)
		}
		if up, err := loUp(); err != nil || !up {
			return fmt.Errorf("lo up %v (%v) in the fresh namespace", up, err)
		}
		return nil
	})
	sentinel := errors.New("sentinel")
	ft := &fakeTB{TB: t}
	func() {
		defer func() { recover() }()
		InFreshNetns(ft, func() error { return sentinel })
	}()
	if !ft.fatal {
		t.Error("fn's error did not fail the test")
	}
}

// EnterFreshNetns moves the test's own thread out of the host's namespace.
func TestEnterFreshNetns(t *testing.T) {
	RequirePriv(t)
	host, err := netnsOfThread()
	if err != nil {
		t.Fatal(err)
	}
	EnterFreshNetns(t)
	ns, err := netnsOfThread()
	if err != nil {
		t.Fatal(err)
	}
	if ns == host {
		t.Fatalf("still in the host's namespace %s", ns)
	}
	if up, err := loUp(); err != nil || !up {
		t.Errorf("lo up %v (%v) in the fresh namespace", up, err)
	}
}

// fakeTB records Fatal instead of ending the test; it panics to stop the
// caller as FailNow would.
type fakeTB struct {
	testing.TB
	fatal bool
}

func (f *fakeTB) Fatal(args ...any) { f.fatal = true; panic("fatal") }
