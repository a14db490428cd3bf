package netlab

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCPUWarmerSpinsIdleAndEnds starts the helper that keeps a CPU awake
// and checks, from the kernel's view of its threads, that exactly one
// SCHED_IDLE thread is pinned to the CPU it names and is running, that a
// second hold shares the process, and that the process is gone when the
// last hold is released. It needs no privilege.
func TestCPUWarmerSpinsIdleAndEnds(t *testing.T) {
	cpu, release1, err := holdCPUAwake()
	if err != nil {
		t.Fatal(err)
	}
	pid := cpuWarmerPid()
	if pid == 0 {
		t.Fatal("no helper process after holdCPUAwake")
	}
	want, err := warmCPU()
	if err != nil {
		t.Fatal(err)
	}
	if cpu != want {
		t.Errorf("helper keeps CPU %d awake, want %d (the first of the affinity mask)", cpu, want)
	}
	cpu2, release2, err := holdCPUAwake()
	if err != nil {
		t.Fatal(err)
	}
	if p2 := cpuWarmerPid(); p2 != pid || cpu2 != cpu {
		t.Fatalf("second hold: helper %d on CPU %d, first %d on CPU %d", p2, cpu2, pid, cpu)
	}

	// The spinner sets its policy and affinity once running.
	var pinned map[int]int // cpu → SCHED_IDLE threads pinned to it alone
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if pinned = idleSpinners(t, pid); len(pinned) > 0 {
			break
		}
	}
	if len(pinned) != 1 || pinned[cpu] != 1 {
		t.Fatalf("SCHED_IDLE threads pinned per CPU %v, want one on CPU %d only", pinned, cpu)
	}
	// Spinning: the helper used CPU time while the test slept.
	before := cpuTicks(t, pid)
	time.Sleep(300 * time.Millisecond)
	if after := cpuTicks(t, pid); after <= before {
		t.Errorf("helper used no CPU time in 300 ms (%d → %d ticks)", before, after)
	}

	release1()
	release1() // a release is idempotent
	if !warmerAlive(pid) {
		t.Fatalf("helper %d ended while a hold remains", pid)
	}
	release2()
	if cpuWarmerPid() != 0 {
		t.Error("helper still recorded after the last release")
	}
	if warmerAlive(pid) {
		t.Errorf("helper %d still runs after the last release", pid)
	}
}

// idleSpinners counts pid's SCHED_IDLE threads by the one CPU each is
// pinned to.
func idleSpinners(t testing.TB, pid int) map[int]int {
	t.Helper()
	tasks, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, task := range tasks {
		tid, err := strconv.Atoi(filepath.Base(task))
		if err != nil {
			continue
		}
		attr, err := unix.SchedGetAttr(tid, 0)
		if err != nil || attr.Policy != unix.SCHED_IDLE {
			continue
		}
		var set unix.CPUSet
		if unix.SchedGetaffinity(tid, &set) != nil || set.Count() != 1 {
			continue
		}
		for cpu := 0; cpu < len(set)*64; cpu++ {
			if set.IsSet(cpu) {
				out[cpu]++
			}
		}
	}
	return out
}

// cpuTicks is utime+stime of pid from /proc/pid/stat (proc(5)).
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		t.Fatalf("short /proc/%d/stat: %q", pid, b)
	}
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}

// TestCPUWarmerEndsWithItsHolder kills a process holding the helper with
// SIGKILL, which runs no cleanup: the helper must still end, because its
// standard input reaches end of file when the kernel closes the dead
// holder's descriptors.
func TestCPUWarmerEndsWithItsHolder(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldCPUsForKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TCPLAB_TEST_HOLD_CPUS=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("holder printed no helper pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "warmer ")))
	if err != nil {
		t.Fatalf("holder said %q", line)
	}
	if !warmerAlive(pid) {
		t.Fatalf("helper %d not running while held", pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); warmerAlive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			unix.Kill(pid, unix.SIGKILL)
			t.Fatalf("helper %d still runs 10 s after its holder was killed", pid)
		}
	}
}

// TestHoldCPUsForKill is the holder of TestCPUWarmerEndsWithItsHolder: it
// holds the helper, prints its pid and waits to be killed.
func TestHoldCPUsForKill(t *testing.T) {
	if os.Getenv("TCPLAB_TEST_HOLD_CPUS") != "1" {
		t.Skip("run by TestCPUWarmerEndsWithItsHolder")
	}
	if _, _, err := holdCPUAwake(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("warmer %d\n", cpuWarmerPid())
	time.Sleep(time.Minute)
}

// warmerAlive reports whether pid exists and is not a zombie.
func warmerAlive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// TestLinkKeepsItsRelayCPUAwake builds labs whose link delays packets, with
// and without LetCPUsIdle, and one that neither delays nor paces: only the
// first runs the helper, and its relay threads run on the helper's CPU
// alone, as the link's counters and the kernel's affinity masks say.
func TestLinkKeepsItsRelayCPUAwake(t *testing.T) {
	for _, tc := range []struct {
		name string
		link LinkConfig
		want bool
	}{
		{"delay", LinkConfig{Delay: 5 * time.Millisecond}, true},
		{"rate", LinkConfig{RateBps: 10_000_000}, true},
		{"let-cpus-idle", LinkConfig{Delay: 5 * time.Millisecond, LetCPUsIdle: true}, false},
		{"neither", LinkConfig{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLab(t, Config{Link: tc.link})
			pid := cpuWarmerPid()
			if (pid != 0) != tc.want {
				t.Fatalf("helper running: %v, want %v", pid != 0, tc.want)
			}
			// The relay's threads tune themselves once they run.
			st := l.Links[0].Stats()
			for deadline := time.Now().Add(5 * time.Second); tc.want && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if st = l.Links[0].Stats(); st.Forward.CPUKeptAwake && st.Reverse.CPUKeptAwake {
					break
				}
			}
			for dir, d := range st.Dirs() {
				if d.CPUKeptAwake != tc.want {
					t.Errorf("%s: CPUKeptAwake %v, want %v", dir, d.CPUKeptAwake, tc.want)
				}
			}
			if !tc.want {
				return
			}
			cpu, err := warmCPU()
			if err != nil {
				t.Fatal(err)
			}
			// The relay's threads are this process's SCHED_FIFO threads
			// (where allowed) pinned to the helper's CPU.
			var relayThreads int
			tasks, _ := filepath.Glob("/proc/self/task/*")
			for _, task := range tasks {
				tid, _ := strconv.Atoi(filepath.Base(task))
				attr, err := unix.SchedGetAttr(tid, 0)
				if err != nil || attr.Policy != unix.SCHED_FIFO || attr.Priority != relayPriority {
					continue
				}
				var set unix.CPUSet
				if err := unix.SchedGetaffinity(tid, &set); err != nil {
					continue
				}
				if set.Count() != 1 || !set.IsSet(cpu) {
					t.Errorf("relay thread %d may run on %d CPUs, want CPU %d alone", tid, set.Count(), cpu)
				}
				relayThreads++
			}
			if relayThreads != 2 {
				t.Errorf("found %d relay threads at SCHED_FIFO %d, want 2", relayThreads, relayPriority)
			}
		})
	}
	if pid := cpuWarmerPid(); pid != 0 {
		t.Errorf("helper %d still runs after every lab closed", pid)
	}
}
