package netlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Up builds a lab like New and names it: its namespaces are bind-mounted for
// ip netns exec and its state is recorded with this process's pid. The lab
// lives until Close (or Down), or until this process dies and a later
// ReclaimStale finds it. Up refuses a name that a live process holds.
func (r *Registry) Up(ctx context.Context, name string, cfg Config) (_ *Lab, err error) {
	if err := checkLabName(name); err != nil {
		return nil, err
	}
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := r.reclaimLocked(); err != nil {
		return nil, err
	}
	if st, err := r.read(name); err == nil {
		return nil, fmt.Errorf("netlab: lab %s is already up (pid %d)", name, st.PID)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, role := range []string{"client", "server", "proxy"} {
		if _, err := os.Lstat(r.netnsPath(name, role)); err == nil {
			return nil, fmt.Errorf("netlab: %s exists and belongs to no recorded lab: remove it with ip netns delete %s", r.netnsPath(name, role), netnsName(name, role))
		}
	}

	cfg.Name = name
	l, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close())
		}
	}()
	start, _, err := pidStart(os.Getpid())
	if err != nil {
		return nil, err
	}
	st := LabState{
		Name:       name,
		PID:        os.Getpid(),
		PIDStart:   start,
		Created:    time.Now().UTC(),
		Topology:   cfg.Topology.String(),
		Link:       l.Links[0].Config(),
		Namespaces: map[string]string{},
		Addrs:      map[string]string{},
		Interfaces: map[string]string{},
	}
	for role := range l.namespaces() {
		st.Namespaces[role] = netnsName(name, role)
	}
	st.Addrs["client"], st.Addrs["server"] = l.ClientAddr.String(), l.ServerAddr.String()
	st.Interfaces["client"], st.Interfaces["server"] = l.ClientIf, l.ServerIf
	if l.Proxy != nil {
		st.Addrs["proxy-client"], st.Addrs["proxy-server"] = l.ProxyClientAddr.String(), l.ProxyServerAddr.String()
		st.Interfaces["proxy-client"], st.Interfaces["proxy-server"] = l.ProxyClientIf, l.ProxyServerIf
	}

	// The state goes first, so a crash between here and the mounts leaves a
	// record that ReclaimStale can follow; its removal is the last cleanup.
	if err := r.write(&st); err != nil {
		return nil, err
	}
	l.addCleanup(func() error { return r.remove(name) })
	if err := shareMountDir(r.NetnsDir); err != nil {
		return nil, err
	}
	for role, ns := range l.namespaces() {
		path := r.netnsPath(name, role)
		if err := bindNS(ns, path); err != nil {
			return nil, err
		}
		l.addCleanup(func() error { return unmountNS(path) })
	}
	r.mu.Lock()
	if r.live == nil {
		r.live = map[string]*Lab{}
	}
	r.live[name] = l
	r.mu.Unlock()
	l.addCleanup(func() error {
		r.mu.Lock()
		delete(r.live, name)
		r.mu.Unlock()
		return nil
	})
	return l, nil
}

// Down removes the named lab. A lab this process runs is closed; a lab whose
// process still runs is asked to stop with SIGTERM and given timeout to
// remove itself; a lab whose process is gone is reclaimed.
func (r *Registry) Down(name string, timeout time.Duration) error {
	if err := checkLabName(name); err != nil {
		return err
	}
	r.mu.Lock()
	l := r.live[name]
	r.mu.Unlock()
	if l != nil {
		return l.Close()
	}
	st, err := r.read(name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("netlab: no lab named %s", name)
	}
	if err != nil {
		return err
	}
	if alive(st) {
		if err := unix.Kill(st.PID, unix.SIGTERM); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("netlab: stop lab %s: %w", name, os.NewSyscallError("kill", err))
		}
		for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(r.statePath(name)); errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if !alive(st) {
				break
			}
		}
		if alive(st) {
			return fmt.Errorf("netlab: lab %s: process %d did not stop within %v", name, st.PID, timeout)
		}
	}
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return r.reclaim(name)
}

// List returns the recorded labs, each marked alive or not.
func (r *Registry) List() ([]LabState, error) {
	ents, err := os.ReadDir(r.StateDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netlab: list labs: %w", err)
	}
	var out []LabState
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || checkLabName(name) != nil {
			continue
		}
		st, err := r.read(name)
		if err != nil {
			continue // being written or removed right now, or not ours
		}
		st.Alive = alive(st)
		out = append(out, *st)
	}
	return out, nil
}

// ReclaimStale removes every recorded lab whose process is gone: its
// namespace mounts, then its state. It returns the names of the labs it
// removed. Call it at the start of every run: it is how a run killed with
// SIGKILL is cleaned up. Mounts that no state records are left alone (they
// may be a lab made by hand, with scripts/lab-up.sh); a lab whose mounts
// cannot be removed keeps its state, so a later call tries again.
func (r *Registry) ReclaimStale() ([]string, error) {
	if _, err := os.Stat(r.StateDir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no named lab was ever made here: leave /run as it is
	}
	unlock, err := r.lock()
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, nil // not root: nothing of ours can be there to reclaim
		}
		return nil, err
	}
	defer unlock()
	return r.reclaimLocked()
}

func (r *Registry) reclaimLocked() ([]string, error) {
	states, err := r.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, st := range states {
		if st.Alive {
			continue
		}
		if err := r.reclaim(st.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, st.Name)
	}
	return removed, errors.Join(errs...)
}

// reclaim removes the mounts of a lab whose process is gone and, once they
// are gone, its state.
func (r *Registry) reclaim(name string) error {
	var errs []error
	for _, role := range []string{"client", "server", "proxy"} {
		if err := unmountNS(r.netnsPath(name, role)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		errs = append(errs, r.remove(name))
	}
	return errors.Join(errs...)
}

// lock takes an exclusive flock(2) on StateDir/.lock, so concurrent tcplab
// processes do not reclaim what another is setting up.
func (r *Registry) lock() (func(), error) {
	if err := os.MkdirAll(r.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("netlab: registry: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(r.StateDir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("netlab: registry: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("netlab: registry: %w", os.NewSyscallError("flock", err))
	}
	return func() { f.Close() }, nil // closing releases the lock
}

func (r *Registry) read(name string) (*LabState, error) {
	b, err := os.ReadFile(r.statePath(name))
	if err != nil {
		return nil, err
	}
	return parseState(b, name)
}

// write records st atomically (a temporary file renamed into place).
func (r *Registry) write(st *LabState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.statePath(st.Name) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("netlab: record lab %s: %w", st.Name, err)
	}
	if err := os.Rename(tmp, r.statePath(st.Name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("netlab: record lab %s: %w", st.Name, err)
	}
	return nil
}

// remove forgets the lab: its state file and the log its background
// process wrote (StateDir/<name>.log, made by tcplab lab up).
func (r *Registry) remove(name string) error {
	if err := os.Remove(r.statePath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("netlab: forget lab %s: %w", name, err)
	}
	if err := os.Remove(filepath.Join(r.StateDir, name+".log")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("netlab: forget lab %s: %w", name, err)
	}
	return nil
}

// alive reports whether the process that recorded st still runs: the pid
// exists, started when the record says, and is not a zombie (a killed lab
// process whose parent has not reaped it yet no longer runs its relay).
func alive(st *LabState) bool {
	if err := unix.Kill(st.PID, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return false
	}
	start, state, err := pidStart(st.PID)
	return err == nil && start == st.PIDStart && state != "Z" && state != "X"
}

// pidStart returns the start time and the state letter of process pid.
func pidStart(pid int) (uint64, string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", err
	}
	start, err := procStartTime(string(b))
	return start, procState(string(b)), err
}

// shareMountDir makes dir a shared mount point, as ip-netns(8) does, so the
// namespace mounts made in it propagate to mount namespaces cloned from this
// one: mount --make-shared dir, and if dir is not a mount point yet, a bind
// mount of dir on itself first.
func shareMountDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("netlab: %w", err)
	}
	err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) {
		if err = unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err == nil {
			err = unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
		}
	}
	if err != nil {
		return fmt.Errorf("netlab: make %s a shared mount: %w", dir, os.NewSyscallError("mount", err))
	}
	return nil
}

// bindNS bind-mounts the namespace ns holds onto path (an empty file it
// creates), which keeps the namespace alive and lets ip netns exec enter it.
func bindNS(ns *NS, path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("netlab: %w", err)
	}
	f.Close()
	src := "/proc/self/fd/" + strconv.Itoa(ns.Fd())
	if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		return fmt.Errorf("netlab: bind %s on %s: %w", ns.Name(), path, os.NewSyscallError("mount", err))
	}
	return nil
}

// unmountNS lazily unmounts path and removes it; a path that is absent, or
// present but not mounted, is not an error.
func unmountNS(path string) error {
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("netlab: unmount %s: %w", path, os.NewSyscallError("umount2", err))
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("netlab: %w", err)
	}
	return nil
}
