package netlab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
	"golang.org/x/sys/unix"
)

// testRegistry is a registry in temporary directories; the mount that makes
// its netns directory shared is removed when the test ends.
func testRegistry(t *testing.T) *Registry {
	t.Helper()
	labtest.RequirePriv(t)
	dir := t.TempDir()
	r := &Registry{NetnsDir: filepath.Join(dir, "netns"), StateDir: filepath.Join(dir, "state")}
	t.Cleanup(func() {
		for unix.Unmount(r.NetnsDir, unix.MNT_DETACH) == nil {
		}
	})
	return r
}

// mountedAt reports whether path is a mount point of this mount namespace.
func mountedAt(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}

func TestRegistryUpListDown(t *testing.T) {
	r := testRegistry(t)
	l, err := r.Up(context.Background(), "t1", Config{Link: LinkConfig{Delay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := r.Up(context.Background(), "t1", Config{}); err == nil {
		t.Error("a second Up of the same name succeeded")
	}
	for _, role := range []string{"client", "server"} {
		path := r.netnsPath("t1", role)
		if !mountedAt(t, path) {
			t.Fatalf("%s is not mounted", path)
		}
		// The mount is the lab's namespace.
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		ns := map[string]*NS{"client": l.Client, "server": l.Server}[role]
		if ino, _ := ns.inode(); st.Ino != ino {
			t.Errorf("%s holds namespace %d, the lab's %s is %d", path, st.Ino, role, ino)
		}
	}
	labs, err := r.List()
	if err != nil || len(labs) != 1 {
		t.Fatalf("List = %v, %v; want one lab", labs, err)
	}
	if got := labs[0]; !got.Alive || got.PID != os.Getpid() || got.Namespaces["client"] != "tcplab-t1-client" || got.Addrs["server"] != "198.18.0.2" {
		t.Errorf("List()[0] = %+v", got)
	}
	// ReclaimStale leaves a live lab alone.
	if removed, err := r.ReclaimStale(); err != nil || len(removed) != 0 {
		t.Errorf("ReclaimStale removed %v, %v", removed, err)
	}
	if err := r.Down("t1", time.Second); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"client", "server"} {
		path := r.netnsPath("t1", role)
		if _, err := os.Lstat(path); err == nil || mountedAt(t, path) {
			t.Errorf("%s still there after Down", path)
		}
	}
	if _, err := os.Stat(r.statePath("t1")); err == nil {
		t.Error("state file still there after Down")
	}
	if l.Client.Fd() != -1 {
		t.Error("Down left the lab open")
	}
	if err := r.Down("t1", time.Second); err == nil {
		t.Error("Down of an unknown lab succeeded")
	}
}

// TestRegistryReclaimStale fakes what a SIGKILLed run leaves: a state file
// naming a dead process and a namespace still bind-mounted; beside it, a
// namespace mounted by hand must survive.
func TestRegistryReclaimStale(t *testing.T) {
	r := testRegistry(t)
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run /bin/true to get a dead pid: %v", err)
	}
	dead := cmd.Process.Pid
	if err := os.MkdirAll(r.StateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	st := LabState{Name: "gone", PID: dead, PIDStart: 1, Namespaces: map[string]string{"client": "tcplab-gone-client"}}
	if err := r.write(&st); err != nil {
		t.Fatal(err)
	}
	ns, err := NewNS("stale")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if err := shareMountDir(r.NetnsDir); err != nil {
		t.Fatal(err)
	}
	path := r.netnsPath("gone", "client")
	byHand := r.netnsPath("byhand", "server") // a mount no state records: a lab made by hand
	for _, p := range []string{path, byHand} {
		if err := bindNS(ns, p); err != nil {
			t.Fatal(err)
		}
	}
	labs, _ := r.List()
	if len(labs) != 1 || labs[0].Alive {
		t.Fatalf("List = %+v, want one dead lab", labs)
	}
	removed, err := r.ReclaimStale()
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != "gone" {
		t.Errorf("ReclaimStale removed %v, want [gone]", removed)
	}
	if _, err := os.Lstat(path); err == nil || mountedAt(t, path) {
		t.Errorf("%s still there", path)
	}
	if !mountedAt(t, byHand) {
		t.Errorf("ReclaimStale removed %s, which no lab records", byHand)
	}
	if err := unmountNS(byHand); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(r.statePath("gone")); err == nil {
		t.Error("stale state file still there")
	}
}

// TestRegistryIPNetnsExec brings a lab up at the real /run/netns under a
// name unique to this test and runs ip netns exec in it.
func TestRegistryIPNetnsExec(t *testing.T) {
	labtest.RequirePriv(t)
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("no ip(8) to check ip netns exec with")
	}
	r := NewRegistry()
	name := fmt.Sprintf("test-%d", os.Getpid())
	l, err := r.Up(context.Background(), name, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, err := exec.Command(ip, "netns", "exec", netnsName(name, "client"), ip, "-o", "-4", "addr", "show", "dev", l.ClientIf).CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns exec: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "198.18.0.1/32") {
		t.Errorf("ip netns exec shows %q, want 198.18.0.1/32 on %s", out, l.ClientIf)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(DefaultNetnsDir, netnsName(name, "client"))); err == nil {
		t.Error("namespace mount left in /run/netns")
	}
}
