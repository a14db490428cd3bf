package netlab

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/labtest"
	"golang.org/x/sys/unix"
)

// TestMain lets the test binary serve as the program ProbeUserNS re-executes:
// a process started for a trial runs it and ends.
func TestMain(m *testing.M) {
	if code, ran := RunUserNSTrial(os.Stderr); ran {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestInUserNS(t *testing.T) {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		t.Skip("no user namespaces in this kernel")
	}
	initial := strings.Join(strings.Fields(string(b)), " ") == "0 0 4294967295"
	if InUserNS() == initial {
		t.Errorf("InUserNS() = %v with uid_map %q", InUserNS(), b)
	}
	if InOwnUserNS() && os.Getenv(EnvUserNS) != userNSRun {
		t.Error("InOwnUserNS without the marker")
	}
}

// TestProbeUserNS runs the trial of the unprivileged mode as nobody: the
// test binary drops to uid 65534, enters a user namespace of its own and
// builds a veth link there. Where the kernel refuses unprivileged user
// namespaces the answer must be the one-sentence refusal.
func TestProbeUserNS(t *testing.T) {
	labtest.RequirePriv(t)
	if InUserNS() {
		t.Skip("runs in a user namespace already")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(exe, &st); err != nil || st.Mode&0o001 == 0 {
		t.Skipf("the test binary %s is not executable by others (mode %o), so nobody cannot run the trial", exe, st.Mode&0o777)
	}
	err = ProbeUserNS()
	if err == nil {
		return
	}
	// Only the kernel's refusal to make the namespace is an acceptable
	// failure; a user namespace in which the lab cannot be built is a bug.
	if !strings.HasPrefix(err.Error(), "tcplab needs root or a user namespace of its own") || !strings.Contains(err.Error(), "sudo") {
		t.Fatalf("ProbeUserNS: %v; want success, or the sentence that says the kernel refused a user namespace", err)
	}
	t.Logf("unprivileged mode refused here: %v", err)
}

func TestUserNSRefusalSentence(t *testing.T) {
	for _, errno := range []error{unix.EPERM, unix.ENOSPC, unix.EINVAL, unix.EACCES} {
		err := userNSRefusal(os.NewSyscallError("fork/exec /proc/self/exe", errno))
		msg := err.Error()
		if !strings.Contains(msg, "sudo") || !strings.Contains(msg, "allow unprivileged user namespaces") || !strings.Contains(msg, errno.Error()) {
			t.Errorf("%v: %q", errno, msg)
		}
		if strings.Count(msg, ". ") != 0 || strings.Contains(msg, "\n") {
			t.Errorf("%v: not one sentence: %q", errno, msg)
		}
	}
}

func TestReexecRefusesLoop(t *testing.T) {
	t.Setenv(EnvUserNS, userNSRun)
	_, err := ReexecInUserNS([]string{"probe"}, nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "sudo") {
		t.Errorf("ReexecInUserNS inside a re-executed run: %v, want a refusal", err)
	}
	if errors.Is(err, unix.EPERM) {
		t.Errorf("it tried to clone: %v", err)
	}
}
