package netlab

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Keeping the relay's CPU awake.
//
// A relay thread sleeps in ppoll(2) until shortly before a packet is due. On
// a virtual machine whose kernel has no cpuidle driver, a CPU with nothing to
// run executes HLT and the hypervisor takes the virtual CPU off its physical
// one; when the relay's timer fires, the hypervisor must first run that
// virtual CPU again, which on the machines tcplab was measured on took
// 0.1–2 ms and sometimes more: a 1 ms SCHED_FIFO sleep woke with p99.9
// 2.3–2.8 ms on an idle CPU and 178–230 µs on one kept busy
// (BenchmarkWakeLatency).
//
// So while a link holds or paces packets, a helper process keeps one CPU
// busy with a SCHED_IDLE spinner pinned to it, and the relay's threads pin
// themselves to that CPU. The kernel runs a SCHED_IDLE thread only when
// nothing else wants the CPU and preempts it at once for anything that
// wakes (sched(7)), so the spinner takes no time from the experiment or the
// relay: it only stands where the idle loop would halt. One CPU, not all:
// spinning on every CPU measured no better for the relay's CPU and burns
// all of the machine's idle time, which a hypervisor may count against it.
// The spinner lives in a process of
// its own, not as a thread of this one, because a thread of this process
// that the kernel starves would hold a P of the Go runtime and stall every
// stop-the-world pause of the garbage collector.
//
// The helper is this program again (/proc/self/exe) with EnvCPUWarmer set
// to the CPU's number: this package's init turns such a process into the
// spinner before main runs. It ends when its standard input reaches end of
// file, which happens when the last relay releases it or when this process
// dies, however it dies.

// EnvCPUWarmer marks a process started to keep a CPU awake; its value is
// the CPU's number.
const EnvCPUWarmer = "TCPLAB_CPU_WARMER"

func init() {
	if v, ok := os.LookupEnv(EnvCPUWarmer); ok {
		cpu, err := strconv.Atoi(v)
		if err != nil || cpu < 0 {
			fmt.Fprintf(os.Stderr, "cpu warmer: %s=%q is not a CPU number\n", EnvCPUWarmer, v)
			os.Exit(2)
		}
		os.Exit(runCPUWarmer(cpu, os.Stdin))
	}
}

// runCPUWarmer spins at SCHED_IDLE on cpu until stop reaches end of file.
func runCPUWarmer(cpu int, stop io.Reader) int {
	runtime.GOMAXPROCS(2) // a P for the spinner and one for the reader
	// No collection may ever have to stop the spinner; nothing here
	// allocates after this point but io.Copy's one buffer.
	debug.SetGCPercent(-1)
	go spinIdle(cpu)
	_, _ = io.Copy(io.Discard, stop)
	return 0
}

// spinIdle makes the calling goroutine's thread SCHED_IDLE on cpu alone and
// spins there for ever. A thread that cannot be made SCHED_IDLE or moved
// there does not spin.
func spinIdle(cpu int) {
	runtime.LockOSThread()
	if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0); err != nil {
		fmt.Fprintln(os.Stderr, "cpu warmer:", os.NewSyscallError("sched_setattr SCHED_IDLE", err))
		return // an ordinary thread must not spin
	}
	var one unix.CPUSet
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		fmt.Fprintln(os.Stderr, "cpu warmer:", os.NewSyscallError("sched_setaffinity", err))
		return
	}
	for {
	}
}

// warmCPU picks the CPU to keep awake: the first one the process may run
// on (where the relay's threads then run too).
func warmCPU() (int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return -1, os.NewSyscallError("sched_getaffinity", err)
	}
	for cpu := range len(set) * 64 {
		if set.IsSet(cpu) {
			return cpu, nil
		}
	}
	return -1, errors.New("empty CPU affinity mask")
}

// cpuWarmer is the helper process shared by every relay of this process
// that asks for it; the last one to release it ends it.
var cpuWarmer struct {
	sync.Mutex
	users int
	cpu   int // the CPU it keeps awake
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// holdCPUAwake starts the helper process if no relay holds it yet, and
// returns the CPU it keeps awake, where the caller's relay threads belong,
// and a function that releases the hold. A helper that cannot start costs
// only timing accuracy, so a relay carries on without it, and its
// DirectionStats.CPUKeptAwake says so.
func holdCPUAwake() (cpu int, release func(), err error) {
	cpuWarmer.Lock()
	defer cpuWarmer.Unlock()
	if cpuWarmer.users == 0 {
		cpu, err := warmCPU()
		if err != nil {
			return -1, nil, fmt.Errorf("netlab: cpu warmer: %w", err)
		}
		cmd := exec.Command("/proc/self/exe")
		cmd.Args[0] = os.Args[0] + " (cpu warmer)"
		cmd.Env = append(withoutEnv(os.Environ(), EnvCPUWarmer), EnvCPUWarmer+"="+strconv.Itoa(cpu))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return -1, nil, fmt.Errorf("netlab: cpu warmer: %w", err)
		}
		if err := cmd.Start(); err != nil {
			return -1, nil, fmt.Errorf("netlab: start the cpu warmer: %w", err)
		}
		cpuWarmer.cmd, cpuWarmer.stdin, cpuWarmer.cpu = cmd, stdin, cpu
	}
	cpuWarmer.users++
	var once sync.Once
	return cpuWarmer.cpu, func() { once.Do(releaseCPU) }, nil
}

// releaseCPU drops one hold and ends the helper with the last.
func releaseCPU() {
	cpuWarmer.Lock()
	defer cpuWarmer.Unlock()
	cpuWarmer.users--
	if cpuWarmer.users > 0 {
		return
	}
	_ = cpuWarmer.stdin.Close() // end of file: the helper returns
	_ = cpuWarmer.cmd.Wait()
	cpuWarmer.cmd, cpuWarmer.stdin = nil, nil
}

// cpuWarmerPid is the helper's process id, 0 when none runs.
func cpuWarmerPid() int {
	cpuWarmer.Lock()
	defer cpuWarmer.Unlock()
	if cpuWarmer.cmd == nil {
		return 0
	}
	return cpuWarmer.cmd.Process.Pid
}
