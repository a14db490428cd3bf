package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// InUserNS reports whether the process runs in a user namespace other than
// the initial one: its /proc/self/uid_map maps anything but all 2³² ids
// onto themselves (user_namespaces(7)).
func InUserNS() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false // no user namespaces in this kernel
	}
	f := strings.Fields(string(b))
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}

// InOwnUserNS reports whether this process is a run that ReexecInUserNS
// started.
func InOwnUserNS() bool { return os.Getenv(EnvUserNS) == userNSRun && InUserNS() }

// ReexecInUserNS runs this program again (/proc/self/exe) with args (argv
// after the program name), the same environment plus EnvUserNS, and the
// given standard streams, in new user, network and mount namespaces
// (clone(2) CLONE_NEWUSER|CLONE_NEWNET|CLONE_NEWNS) where the caller's
// effective uid and gid are mapped to 0 (one id each, setgroups denied).
// There the program is root of its own user namespace: it may create
// network namespaces, veth pairs and packet sockets, but not open
// /dev/net/tun, and whatever it makes goes away with it. The child dies
// with the caller (PR_SET_PDEATHSIG), and SIGINT, SIGTERM and SIGHUP sent
// to the caller are passed on to it.
//
// It returns the child's exit status, or an error of one sentence saying
// what is missing when the kernel refuses the namespaces or this process
// already is such a child.
func ReexecInUserNS(args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if os.Getenv(EnvUserNS) != "" {
		return 0, errors.New("tcplab re-executed itself in a user namespace and is still not root there (the uid map was not applied): run it with sudo")
	}
	return reexec(context.Background(), args, userNSRun, nil, stdin, stdout, stderr)
}

// reexec starts /proc/self/exe with args and EnvUserNS=marker, in new
// namespaces when cred is nil and as cred (no new namespaces) otherwise,
// waits for it, passing on signals, and returns its exit status.
func reexec(ctx context.Context, args []string, marker string, cred *syscall.Credential, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd := exec.CommandContext(ctx, "/proc/self/exe", args...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(withoutEnv(os.Environ(), EnvUserNS), EnvUserNS+"="+marker)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if cred != nil {
		attr.Credential = cred
	} else {
		attr.Cloneflags = unix.CLONE_NEWUSER | unix.CLONE_NEWNET | unix.CLONE_NEWNS
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	}
	cmd.SysProcAttr = attr

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	// PR_SET_PDEATHSIG fires when the thread that forked the child ends, not
	// the process, so that thread stays locked (and alive) until the child
	// is reaped.
	type result struct {
		state *os.ProcessState
		err   error
	}
	started := make(chan error, 1)
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		err := cmd.Wait()
		done <- result{cmd.ProcessState, err}
	}()
	if err := <-started; err != nil {
		if cred != nil {
			return 0, fmt.Errorf("start %s as uid %d: %w", os.Args[0], cred.Uid, err)
		}
		return 0, userNSRefusal(err)
	}
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case r := <-done:
			if r.state == nil {
				return 0, r.err
			}
			if ws, ok := r.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 0, fmt.Errorf("the run in its user namespace ended by signal %v", ws.Signal())
			}
			return r.state.ExitCode(), nil
		}
	}
}

// withoutEnv returns env without the variable key.
func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// userNSRefusal turns the error of a refused clone(CLONE_NEWUSER) into one
// sentence: what is missing, read from the sysctls that gate user
// namespaces, and how to get it.
func userNSRefusal(err error) error {
	sysctl := func(path string) string {
		b, err := os.ReadFile("/proc/sys/" + path)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	var why, allow string
	switch {
	case sysctl("user/max_user_namespaces") == "0":
		why, allow = "user namespaces are turned off (user.max_user_namespaces is 0)", "sysctl -w user.max_user_namespaces=15000"
	case sysctl("kernel/unprivileged_userns_clone") == "0":
		why, allow = "unprivileged user namespaces are turned off (kernel.unprivileged_userns_clone is 0)", "sysctl -w kernel.unprivileged_userns_clone=1"
	case sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1":
		why, allow = "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns is 1)", "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile that gives tcplab the userns permission"
	case errors.Is(err, unix.ENOSPC):
		why, allow = "the limit on user namespaces is reached (user.max_user_namespaces)", "raise user.max_user_namespaces"
	case errors.Is(err, unix.EINVAL):
		why, allow = "this kernel has no user namespaces (CONFIG_USER_NS)", "a kernel built with CONFIG_USER_NS"
	default:
		why, allow = "the kernel or a security policy (a container's seccomp profile, say) refused to create one", "on a container, a seccomp profile that allows clone with CLONE_NEWUSER"
	}
	return fmt.Errorf("tcplab needs root or a user namespace of its own, and %s (%v): run it with sudo, or allow unprivileged user namespaces (%s)", why, err, allow)
}

// ProbeUserNS reports whether tcplab's unprivileged mode works here: nil
// when a trial of it succeeded, otherwise one sentence saying what failed.
// The trial is this program run again the way ReexecInUserNS runs it,
// checking inside its user namespace that a veth link can be built (see
// HaveVeth); run as root, it first drops to uid and gid 65534 (nobody), so
// the answer is the one an ordinary user would get. The program must call
// RunUserNSTrial first thing in main.
func ProbeUserNS() error {
	if os.Geteuid() == 0 && InUserNS() {
		if err := HaveVeth(); err != nil {
			return fmt.Errorf("this process already is root of a user namespace, and %w", err)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	var code int
	var err error
	if os.Geteuid() == 0 {
		cred := &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
		code, err = reexec(ctx, nil, userNSTrialUser, cred, nil, &out, &out)
	} else {
		code, err = reexec(ctx, nil, userNSTrial, nil, nil, &out, &out)
	}
	msg := strings.TrimSpace(out.String())
	switch {
	case err != nil:
		return err
	case code != 0 && msg == "":
		return fmt.Errorf("the trial run in a user namespace exited with status %d", code)
	case code != 0:
		return errors.New(msg)
	}
	return nil
}

// RunUserNSTrial runs a stage of ProbeUserNS's trial when this process was
// started for one, writing the reason for a failure to stderr, and reports
// whether it was; status is then the exit status the process should end
// with (0 the unprivileged mode works, 2 it does not).
func RunUserNSTrial(stderr io.Writer) (status int, ran bool) {
	switch os.Getenv(EnvUserNS) {
	case userNSTrialUser: // dropped to nobody: enter a user namespace
		code, err := reexec(context.Background(), nil, userNSTrial, nil, nil, stderr, stderr)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2, true
		}
		return code, true
	case userNSTrial: // inside it
		if os.Geteuid() != 0 {
			fmt.Fprintln(stderr, "the uid map of the user namespace was not applied: tcplab is not root inside it")
			return 2, true
		}
		if err := HaveVeth(); err != nil {
			fmt.Fprintln(stderr, err)
			return 2, true
		}
		return 0, true
	}
	return 0, false
}
